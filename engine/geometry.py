"""The camera's own motion, known from the action: a turn (yaw) or a look (pitch) moves every pixel of a
pinhole view by a homography that needs no depth, so it can be applied to a frame exactly. Only the
strip the turn reveals is unknown (filled from the nearest edge here). Walking needs depth and is left
to the world model.

ViZDoom renders with a 90 degree horizontal field of view: at 64 px wide the focal length is 32 px, and
an 8 degree turn moves the centre of the view by 32 tan(8) = 4.5 px (about 5 px measured,
benchmarks/turn_shift.py)."""

from __future__ import annotations

import numpy as np

DOOM_FIELD_OF_VIEW = 90.0


def rotation_grid(width: int, height: int, turn: float, look: float,
                  field_of_view: float = DOOM_FIELD_OF_VIEW) -> tuple[np.ndarray, np.ndarray]:
    """Source pixel coordinates (x, y), each (height, width), that the view after turning ``turn`` degrees
    (positive right) and looking ``look`` degrees (positive up) shows at each of its pixels."""
    focal = (width / 2) / np.tan(np.radians(field_of_view) / 2)
    u = (np.arange(width) - (width - 1) / 2) / focal
    v = (np.arange(height) - (height - 1) / 2) / focal              # image rows grow downwards
    u, v = np.meshgrid(u, v)
    yaw, pitch = np.radians(turn), np.radians(look)
    # The new camera's ray (u, v, 1) in the old camera's frame: undo the look, then the turn.
    y = v * np.cos(pitch) - np.sin(pitch)
    z = v * np.sin(pitch) + np.cos(pitch)
    x = u * np.cos(yaw) + z * np.sin(yaw)
    z = -u * np.sin(yaw) + z * np.cos(yaw)
    z = np.maximum(z, 1e-3)                                          # behind the old camera: clamped to an edge
    return x / z * focal + (width - 1) / 2, y / z * focal + (height - 1) / 2


def rotate_view(frames: np.ndarray, turn: np.ndarray, look: np.ndarray,
                field_of_view: float = DOOM_FIELD_OF_VIEW) -> np.ndarray:
    """Frames (N, H, W, C) as seen after each one's turn/look (N,) in degrees, bilinear, edges repeated
    into the revealed strip; the dtype is kept (uint8 rounds)."""
    n, height, width = frames.shape[:3]
    out = np.empty(frames.shape, np.float32)
    source = frames.astype(np.float32)
    for i in range(n):
        x, y = rotation_grid(width, height, float(turn[i]), float(look[i]), field_of_view)
        x, y = np.clip(x, 0, width - 1), np.clip(y, 0, height - 1)
        x0, y0 = np.minimum(x.astype(int), width - 2), np.minimum(y.astype(int), height - 2)
        fx, fy = (x - x0)[..., None], (y - y0)[..., None]
        image = source[i]
        top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
        bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
        out[i] = top * (1 - fy) + bottom * fy
    if np.issubdtype(frames.dtype, np.integer):
        return np.clip(np.rint(out), 0, 255).astype(frames.dtype)
    return out.astype(frames.dtype)
