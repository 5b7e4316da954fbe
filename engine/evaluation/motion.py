"""The camera's motion from the actions alone, measured against the simulator: a MotionModel fitted on
recordings with poses, the step each window's camera was already making, and the poses it dead-reckons
(benchmarks/geometric_baseline.py and benchmarks/dead_reckoning.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import DataError
from engine.geometry import MotionModel, view_points


def motion_model(folders: str, shards: int) -> MotionModel:
    """A MotionModel fitted on the first ``shards`` recordings of each folder (their actions and poses)."""
    recordings = []
    for folder in folders.split(","):
        files = sorted(Path(folder).glob("*.npz"))[:shards]
        if not files:
            raise DataError(f"no recordings (*.npz) in {folder}: record some with `dreamwalk collect`")
        for file in files:
            with np.load(file) as shard:
                recordings.append((shard["actions"], shard["poses"].astype(np.float64)))
    return MotionModel.fit(recordings)


def starting_momentum(model: MotionModel, poses: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """(W, 2): the step (forward, right) each window's camera was already making at its start, solved so
    that the model's first step lands on the simulator's first pose (the model is linear in it)."""
    steps = []
    for window_poses, window_actions in zip(poses, actions):
        def first(previous: np.ndarray) -> np.ndarray:
            return model.poses(window_poses[0], window_actions[:1], previous_step=previous)[0, :2]
        still = first(np.zeros(2))
        response = np.stack([first(np.eye(2)[i]) - still for i in range(2)], axis=1)
        steps.append(np.linalg.solve(response, window_poses[1, :2] - still))
    return np.stack(steps)


def dead_reckoned(model: MotionModel, poses: np.ndarray, depth: np.ndarray | None, actions: np.ndarray,
                  walls: bool, momentum: np.ndarray | None = None) -> np.ndarray:
    """(W, T + 1, 5): each window's start pose, then where ``actions`` take it by the motion model alone
    (with ``walls``, the points of the start's depth stop the player; ``momentum`` (W, 2), the step each
    window starts with)."""
    return np.stack([np.concatenate([poses[w, :1], model.poses(
        poses[w, 0], actions[w], previous_step=None if momentum is None else momentum[w],
        obstacles=view_points(depth[w], poses[w, 0]) if walls else None)]) for w in range(len(poses))])
