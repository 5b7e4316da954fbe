"""One small interface in front of every simulator we record from (docs/contracts.md, "Sources").

    source = open_source("vizdoom", map="MAP01", seed=0)
    frame = source.reset()          # (H, W, 3) uint8 at the simulator's native size
    frame = source.step(action)     # one model frame: the action held for the source's tics per frame
    source.pose                     # (x, y, z, yaw, pitch) of the player now
    source.close()

Pose convention, the same for every source: ``x, y`` on the ground plane, ``z`` up, ``yaw`` in degrees
counter-clockwise from +x (the heading is ``(cos yaw, sin yaw)``), ``pitch`` in degrees, positive up.
So a ``turn`` of +10 (right) lowers ``yaw`` by 10 and a ``look`` of +5 raises ``pitch`` by 5.
"""

from __future__ import annotations

import abc
from typing import Any, Mapping

import numpy as np

from engine.actions import Action


class Source(abc.ABC):
    """A simulator stepped one model frame at a time with schema actions."""

    name: str = ""
    fps: float = 0.0                 # model frames per second of game time
    tics_per_frame: int = 1          # simulator tics one model frame holds its action for
    keys: tuple[str, ...] = ()       # action keys the simulator acts on; the others are ignored
    turn_range: float = 15.0         # largest |turn| in degrees per frame the recorders use
    look_range: float = 5.0          # largest |look| in degrees per frame the recorders use
    pose_units: str = ""
    walk_step: float = 1.0           # pose units one walking frame covers (recording policies scale by it)
    map: str = ""
    done: bool = False               # the episode ended inside the simulator (level exit)

    @abc.abstractmethod
    def reset(self, seed: int | None = None) -> np.ndarray:
        """Start a new episode (reseeded when ``seed`` is given) and return its first frame."""

    @abc.abstractmethod
    def step(self, action: Action | Mapping[str, Any]) -> np.ndarray:
        """Hold ``action`` for one model frame and return the frame that follows."""

    @property
    @abc.abstractmethod
    def pose(self) -> np.ndarray:
        """(5,) float64: x, y, z, yaw, pitch (see the module docstring)."""

    @property
    def depth(self) -> np.ndarray | None:
        """(H, W) float32 distance per pixel in pose units, for recording policies; None when unavailable."""
        return None

    def close(self) -> None:
        """Release the simulator."""

    def meta(self) -> dict[str, Any]:
        return {
            "source": self.name, "map": self.map, "fps": self.fps, "tics_per_frame": self.tics_per_frame,
            "keys": list(self.keys), "turn_range": self.turn_range, "look_range": self.look_range,
            "pose_units": self.pose_units,
        }

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wrap_degrees(angle: float) -> float:
    """Angle in degrees folded into [-180, 180)."""
    return (angle + 180.0) % 360.0 - 180.0
