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


def rotate_latents(latents: np.ndarray, turn: np.ndarray, look: np.ndarray,
                   field_of_view: float = DOOM_FIELD_OF_VIEW) -> np.ndarray:
    """Latent frames (N, C, h, w) turned on their own grid (``rotate_view`` over channels last); the numpy
    twin of ``engine.models.denoiser.RotationWarp``."""
    return rotate_view(latents.transpose(0, 2, 3, 1), turn, look, field_of_view).transpose(0, 3, 1, 2)


def turned_prompts(prompts: np.ndarray, turns: np.ndarray, looks: np.ndarray,
                   field_of_view: float = DOOM_FIELD_OF_VIEW) -> np.ndarray:
    """(W, T, H, W, C): each prompt (W, H, W, C) turned and tilted by its window's turns/looks (W, T)
    summed up to each frame: the rollout of a world that only turns, a baseline beside copying the prompt."""
    turn, look = np.cumsum(turns, axis=1), np.cumsum(looks, axis=1)
    return np.stack([rotate_view(prompts, turn[:, t], look[:, t], field_of_view)
                     for t in range(turns.shape[1])], axis=1)


def reproject(frame: np.ndarray, depth: np.ndarray, start: np.ndarray, poses: np.ndarray,
              field_of_view: float = DOOM_FIELD_OF_VIEW, upsample: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A frame (H, W, 3) with its depth (H, W, map units) seen from ``start`` (x, y, z, angle, pitch:
    ViZDoom's pose, angle anticlockwise, pitch up), drawn from each of ``poses`` (T, 5): every pixel
    placed where the camera's motion puts it, nearer points over farther ones. Returns the frames
    (T, H, W, 3) uint8 and which of their pixels nothing landed on (T, H, W) bool: what the frame did
    not show. Depth is along the view axis (it fitted ViZDoom's buffer better than along each ray).
    Looking up or down shears the view (Doom's software renderer), it does not rotate it."""
    height, width = frame.shape[:2]
    focal = (width / 2) / np.tan(np.radians(field_of_view) / 2)
    # Each pixel split into upsample x upsample points, so that a view walked into has fewer gaps.
    colours = np.repeat(np.repeat(frame, upsample, 0), upsample, 1).reshape(-1, 3)
    depths = np.repeat(np.repeat(depth, upsample, 0), upsample, 1).reshape(-1).astype(np.float64)
    offsets = (np.arange(upsample) + 0.5) / upsample - 0.5
    columns = (np.arange(width)[:, None] + offsets[None]).reshape(-1) - (width - 1) / 2
    rows = (np.arange(height)[:, None] + offsets[None]).reshape(-1) - (height - 1) / 2
    columns, rows = np.meshgrid(columns, rows)
    right, up = columns.reshape(-1) / focal, -(rows.reshape(-1) / focal - np.tan(np.radians(start[4])))
    points = camera_to_world(start, depths, right * depths, up * depths)                # (N, 3)
    out = np.zeros((len(poses), height, width, 3), np.uint8)
    empty = np.ones((len(poses), height, width), bool)
    for t, pose in enumerate(poses):
        forward, side, lift = world_to_camera(pose, points)
        seen = forward > 1.0
        forward, side, lift = forward[seen], side[seen], lift[seen]
        colour_seen, depth_seen = colours[seen], depths[seen]
        u = side / forward * focal + (width - 1) / 2
        v = (-lift / forward + np.tan(np.radians(pose[4]))) * focal + (height - 1) / 2
        # A point covers what its share of the frame grew to (walking in magnifies), up to 3 px a side.
        size = np.clip(np.ceil(depth_seen / forward / upsample), 1, 3).astype(int)
        xs, ys, distances, painted = [], [], [], []
        for dy in range(3):
            for dx in range(3):
                paint = size > max(dx, dy)
                xs.append(np.floor(u[paint] - (size[paint] - 1) / 2 + 0.5).astype(int) + dx)
                ys.append(np.floor(v[paint] - (size[paint] - 1) / 2 + 0.5).astype(int) + dy)
                distances.append(forward[paint])
                painted.append(colour_seen[paint])
        x, y, distance, colour = (np.concatenate(part) for part in (xs, ys, distances, painted))
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        order = np.argsort(-distance[inside], kind="stable")      # far first: per pixel the nearest is written last
        x, y = x[inside][order], y[inside][order]
        out[t, y, x] = colour[inside][order]
        empty[t, y, x] = False
    return out, empty


def camera_to_world(pose: np.ndarray, forward: np.ndarray, right: np.ndarray, up: np.ndarray) -> np.ndarray:
    angle = np.radians(pose[3])
    x = pose[0] + forward * np.cos(angle) + right * np.sin(angle)
    y = pose[1] + forward * np.sin(angle) - right * np.cos(angle)
    return np.stack([x, y, pose[2] + up], axis=-1)


def world_to_camera(pose: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    angle = np.radians(pose[3])
    dx, dy, dz = points[:, 0] - pose[0], points[:, 1] - pose[1], points[:, 2] - pose[2]
    return dx * np.cos(angle) + dy * np.sin(angle), dx * np.sin(angle) - dy * np.cos(angle), dz


def fill_gaps(frames: np.ndarray, empty: np.ndarray, rounds: int = 64) -> np.ndarray:
    """Gaps (empty pixels) of frames (T, H, W, 3) filled from their filled neighbours, ring by ring."""
    out, empty = frames.astype(np.float32), empty.copy()
    for _ in range(rounds):
        if not empty.any():
            break
        full = (~empty).astype(np.float32)[..., None]
        ring = ((0, 0), (1, 1), (1, 1), (0, 0))
        padded, weights = np.pad(out * full, ring), np.pad(full, ring)
        height, width = out.shape[1:3]
        total = sum(padded[:, i:i + height, j:j + width] for i in range(3) for j in range(3))
        count = sum(weights[:, i:i + height, j:j + width] for i in range(3) for j in range(3))
        grow = empty & (count[..., 0] > 0)
        out[grow] = (total / np.maximum(count, 1))[grow]
        empty = empty & ~grow
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
