"""Reading recorded episodes (docs/contracts.md, "Episodes"): ``from engine.data import read_episodes``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from engine.actions import actions_from_array
from engine.data.shards import list_shards, read_depth, read_shard


@dataclass
class Episode:
    """One recorded episode. ``actions[t]`` is applied to go from ``frames[t]`` to ``frames[t + 1]``."""

    frames: np.ndarray                          # (T, H, W, 3) uint8 at native size
    raw_actions: np.ndarray                     # (T, 12) float32, engine.actions raw form
    poses: np.ndarray | None                    # (T, 5) float: x, y, z, yaw, pitch
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    depth: np.ndarray | None = None             # (T, H, W) float32 along the view axis, map units; None: not recorded

    @property
    def actions(self) -> list[dict[str, bool | float]]:
        """(T) schema dicts."""
        return actions_from_array(self.raw_actions)

    def __len__(self) -> int:
        return len(self.frames)


def read_episodes(path: str | Path) -> Iterator[Episode]:
    """Episodes of a folder of shards (or of one shard file), in name order, one at a time.

    Raises DataError for a folder without shards and for a corrupt or truncated shard.
    """
    for shard in list_shards(Path(path)):
        frames, actions, poses, meta = read_shard(shard)
        yield Episode(frames, actions, poses, meta, shard, read_depth(shard))
