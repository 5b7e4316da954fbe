"""What a world shows, one shape for every world (``WorldView``): a session hands its view the prompt, then
each frame the action, the dream where the view asks for it, and takes back the frame to show and the frame
the network goes on from.

Two views implement it: ``FlatView`` (a world without a memory: the dream itself, at the display size) and
``engine.runtime.memory.PlayMemory`` (a world with a memory, and with the world builder where the pack has
it: what was seen and built, the dream only where neither reaches). A session does not ask which it has.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from engine.images import bilinear_resize
from engine.runtime.images import load_prompt
from engine.runtime.memory import PlayMemory, surface_size
from engine.runtime.picture_settings import PictureSettings


class WorldView(Protocol):
    settings: PictureSettings

    def begin(self, image: Any, prompt: np.ndarray, settings: PictureSettings | None,
              depth: np.ndarray | None) -> np.ndarray:
        """Start from the prompt image (as given) and ``prompt`` (at the networks' size); the frame shown."""

    @property
    def camera(self) -> np.ndarray | None:
        """The camera's pose (x, y, z, yaw, pitch), None where the world has none."""

    def advance(self, raw_action: np.ndarray) -> None:
        """The camera follows the action (12,)."""

    def blocked(self) -> bool:
        """Whether a wall held the camera back on its last move."""

    def covers(self) -> bool:
        """Whether the view at the camera's pose is whole without the dream (the network may rest)."""

    def needs_dream(self) -> bool:
        """Whether ``show`` needs this frame's dream."""

    def guess(self) -> np.ndarray:
        """The view at the camera's pose at the networks' size (what an anchored world dreams from)."""

    def show(self, dreamed: np.ndarray | None) -> np.ndarray:
        """The frame to show from the dream (None where ``needs_dream`` said so)."""

    def observed(self) -> np.ndarray | None:
        """The frame the network goes on from (networks' size), None: its own dream."""

    def picture(self) -> np.ndarray:
        """The prompt as kept in a scene."""

    def kept(self) -> tuple[np.ndarray | None, np.ndarray, Any]:
        """What a scene keeps beside the picture: its depth (or None), the camera's pose, the memory."""

    def resume(self, memory: Any, pose: np.ndarray, frames: int) -> np.ndarray | None:
        """Go on from a scene's memory (after ``begin``); the frame there, or None to keep the prompt's."""

    def snapshot(self) -> Any: ...

    def restore(self, state: Any) -> None: ...

    def close(self) -> None: ...


class FlatView:
    """A world without a memory: what it shows is the dream itself, at the display size."""

    def __init__(self, frame_size: tuple[int, int], model_size: tuple[int, int]) -> None:
        self.frame_size, self.model_size = frame_size, model_size
        self.settings = PictureSettings()
        self._image: Any = None

    def begin(self, image: Any, prompt: np.ndarray, settings: PictureSettings | None,
              depth: np.ndarray | None) -> np.ndarray:
        self._image = image                  # kept as given: read again at full size only if a scene is kept
        return prompt if self.frame_size == self.model_size else load_prompt(image, self.frame_size)

    @property
    def camera(self) -> np.ndarray | None:
        return None

    def advance(self, raw_action: np.ndarray) -> None:
        pass

    def blocked(self) -> bool:
        return False

    def covers(self) -> bool:
        return False

    def needs_dream(self) -> bool:
        return True

    def guess(self) -> np.ndarray:
        raise RuntimeError("a world without a memory has no view to dream from")

    def show(self, dreamed: np.ndarray | None) -> np.ndarray:
        return bilinear_resize(dreamed, self.frame_size)

    def observed(self) -> np.ndarray | None:
        return None

    def picture(self) -> np.ndarray:
        return load_prompt(self._image, surface_size(self.frame_size))

    def kept(self) -> tuple[np.ndarray | None, np.ndarray, Any]:
        return None, np.zeros(5), None

    def resume(self, memory: Any, pose: np.ndarray, frames: int) -> np.ndarray | None:
        return None

    def snapshot(self) -> Any:
        return None

    def restore(self, state: Any) -> None:
        pass

    def close(self) -> None:
        pass


def open_view(memory: PlayMemory | None, frame_size: tuple[int, int], model_size: tuple[int, int]) -> WorldView:
    """The view of a world: its memory where it has one, else the flat dream."""
    return memory if memory is not None else FlatView(frame_size, model_size)
