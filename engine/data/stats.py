"""Statistics of recorded gameplay: the action histogram, map coverage and time spent against walls."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.actions import AXIS_KEYS, BUTTON_KEYS

TURN_BINS = (0.0, 0.5, 2.0, 4.0, 7.0, 10.0, np.inf)     # |turn| degrees per frame


def action_statistics(raw: np.ndarray) -> dict[str, Any]:
    """Share of frames each button is held, and how turn/look are distributed, from (T, 12) raw actions."""
    raw = np.asarray(raw, dtype=np.float64)
    frames = len(raw)
    if frames == 0:
        return {"frames": 0}
    buttons = raw[:, : len(BUTTON_KEYS)] >= 0.5
    turn, look = raw[:, len(BUTTON_KEYS)], raw[:, len(BUTTON_KEYS) + 1]
    moving = buttons[:, :4].any(axis=1)
    counts, _ = np.histogram(np.abs(turn), bins=TURN_BINS)
    labels = [f"{lo:g}-{hi:g}" if np.isfinite(hi) else f">{lo:g}" for lo, hi in zip(TURN_BINS[:-1], TURN_BINS[1:])]
    return {
        "frames": frames,
        "pressed": {key: float(buttons[:, i].mean()) for i, key in enumerate(BUTTON_KEYS)},
        "forward_only": float((buttons[:, 0] & ~buttons[:, 1:4].any(axis=1) & (np.abs(turn) < 0.5)).mean()),
        "no_movement_key": float((~moving).mean()),
        "idle": float((~buttons.any(axis=1) & (np.abs(turn) < 0.5) & (np.abs(look) < 0.5)).mean()),
        "turn_abs_mean": float(np.abs(turn).mean()),
        "turn_left_right": [float((turn < -0.5).mean()), float((turn > 0.5).mean())],
        "turn_histogram": dict(zip(labels, (counts / frames).round(4).tolist())),
        "look_abs_mean": float(np.abs(look).mean()),
        "looking": float((np.abs(look) >= 0.5).mean()),
        AXIS_KEYS[0] + "_range": [float(turn.min()), float(turn.max())],
        AXIS_KEYS[1] + "_range": [float(look.min()), float(look.max())],
    }


def coverage_cells(poses: np.ndarray, cell: float) -> set[tuple[int, int]]:
    """Distinct ground-plane grid cells of side ``cell`` (pose units) the player stood in."""
    poses = np.asarray(poses)
    cells = np.floor(poses[:, :2] / cell).astype(np.int64)
    return {(int(a), int(b)) for a, b in cells}


def wall_press_share(raw: np.ndarray, poses: np.ndarray, walk_step: float) -> float:
    """Share of frames pressing forward that did not move the player: walking into a wall."""
    raw, poses = np.asarray(raw), np.asarray(poses)
    forward = raw[:-1, 0] >= 0.5
    moved = np.linalg.norm(np.diff(poses[:, :2], axis=0), axis=1)
    stuck = forward & (moved < 0.1 * walk_step)
    return float(stuck.sum() / max(int(forward.sum()), 1))
