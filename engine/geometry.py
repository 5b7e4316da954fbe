"""The camera's own motion, known from the action: a turn (yaw) or a look (pitch) moves every pixel of a
pinhole view by a homography that needs no depth, so it can be applied to a frame exactly. Only the
strip the turn reveals is unknown (filled from the nearest edge here). Walking needs depth as well, and
where the player went: ``MotionModel`` dead-reckons ViZDoom's camera poses from the buttons alone.

ViZDoom renders with a 90 degree horizontal field of view: at 64 px wide the focal length is 32 px, and
an 8 degree turn moves the centre of the view by 32 tan(8) = 4.5 px (about 5 px measured;
the benchmark that measured it, benchmarks/turn_shift.py, is in the git history)."""

from __future__ import annotations

import numpy as np

from engine.actions import KEYS
from engine.images import to_uint8

DOOM_FIELD_OF_VIEW = 90.0
DOOM_PITCH_RANGE = (-32.0, 56.0)        # degrees down / up the recordings' pitch stays within
MOTION_BUTTONS = ("forward", "backward", "left", "right")
DOOM_PLAYER_RADIUS, DOOM_STEP_HEIGHT, DOOM_PLAYER_HEIGHT = 16.0, 24.0, 56.0    # map units
WALL_POINTS = 3                # remembered points within the player's body it takes to stop it
DOOM_EYE_HEIGHT = 41.0                   # the camera above the floor the player stands on
TELEPORT = 64.0                          # map units in one frame: a jump, not a step


class MotionModel:
    """Where ViZDoom's camera goes under a sequence of actions, from the actions alone: the heading turns by
    the action's turn (exactly), the pitch by its look (clipped to Doom's range), and each frame's step on
    the floor, taken in the new heading as (forward, right), is a linear function of the step before it
    (Doom's momentum) and of the movement buttons with and without sprint, fitted by least squares on
    recorded (actions, poses). Height stays where it started (stairs and lifts are not in the actions),
    and only walls it is shown stop it (``poses(obstacles=...)``)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = np.asarray(weights, np.float64)            # (features, 2)

    @staticmethod
    def _features(previous: np.ndarray, actions: np.ndarray) -> np.ndarray:
        buttons = actions[:, [KEYS.index(key) for key in MOTION_BUTTONS]].astype(np.float64)
        sprint = actions[:, [KEYS.index("sprint")]].astype(np.float64)
        return np.concatenate([previous, buttons, buttons * sprint], axis=1)

    @staticmethod
    def _steps(poses: np.ndarray) -> np.ndarray:
        """(T-1, 2): each frame's move on the floor as (forward, right) in the heading it arrived with."""
        return in_heading(np.diff(poses[:, :2], axis=0), poses[1:, 3])

    @classmethod
    def fit(cls, recordings: list[tuple[np.ndarray, np.ndarray]]) -> MotionModel:
        """From (actions (T, 12), poses (T, 5)) pairs where action t moves the camera from pose t to t+1."""
        inputs, targets = [], []
        for actions, poses in recordings:
            poses = np.asarray(poses, np.float64)
            steps = cls._steps(poses)
            # The step before, as seen from the heading the camera has after this frame's turn.
            before = in_heading(np.diff(poses[:-1, :2], axis=0), poses[2:, 3])
            # Teleporters and episode restarts jump further than anyone walks in a frame (sprinting: ~33).
            kept = (np.hypot(*steps[1:].T) < TELEPORT) & (np.hypot(*before.T) < TELEPORT)
            inputs.append(cls._features(before, actions[1:len(poses) - 1])[kept])
            targets.append(steps[1:][kept])
        weights, *_ = np.linalg.lstsq(np.concatenate(inputs), np.concatenate(targets), rcond=None)
        return cls(weights)

    def poses(self, start: np.ndarray, actions: np.ndarray, previous_step: np.ndarray | None = None,
              obstacles: np.ndarray | None = None) -> np.ndarray:
        """(T, 5) poses after each of ``actions`` (T, 12) from ``start`` (x, y, z, angle, pitch); the
        camera is still unless ``previous_step`` (forward, right in the start's heading) says otherwise.
        ``obstacles`` (N, 3), points of the world known to be there (``view_points`` of a view's depth),
        stop the player as Doom does: a square body 32 units wide cannot overlap a point between knee and
        head height, and a blocked move slides along whichever axis is free."""
        pose, step = np.asarray(start, np.float64).copy(), np.zeros(2)
        if previous_step is not None:
            step = np.asarray(previous_step, np.float64)
        walls = None if obstacles is None else wall_points(obstacles, pose[2])
        out = []
        for action in np.asarray(actions):
            pose, step = self.step(pose, step, action, walls)
            out.append(pose)
        return np.stack(out)

    def step(self, pose: np.ndarray, step: np.ndarray, action: np.ndarray,
             walls: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One frame: the pose (5,) and the step (forward, right in the pose's heading) after the raw action
        (12,) from ``pose`` moving by ``step``; ``walls`` (N, 2) (``wall_points``) stop it."""
        pose = np.asarray(pose, np.float64).copy()
        turn, look = float(action[KEYS.index("turn")]), float(action[KEYS.index("look")])
        # The last step carried into the new heading (the heading falls by the turn).
        heading = (pose[3] - turn + 180.0) % 360.0 - 180.0
        carried = in_heading(in_heading(np.asarray(step, np.float64)[None], pose[3:4]), np.array([heading]))
        step = self._features(carried, np.asarray(action)[None])[0] @ self.weights
        pose[3] = heading
        pose[4] = float(np.clip(pose[4] + look, *DOOM_PITCH_RANGE))
        move = in_heading(step[None], pose[3:4])[0]
        if walls is not None and len(walls):
            move = _slide(pose[:2], move, walls)
            step = in_heading(move[None], pose[3:4])[0]
        pose[:2] += move
        return pose, step


def wall_points(points: np.ndarray, eye_height: float) -> np.ndarray:
    """(N, 2) floor positions of the points (M, 3) that block a player whose eye is at ``eye_height``: those
    between the height of a step and of the player (what Doom's player cannot walk over or under)."""
    height = points[:, 2] - eye_height + DOOM_EYE_HEIGHT
    return points[(height > DOOM_STEP_HEIGHT) & (height < DOOM_PLAYER_HEIGHT), :2]


def in_heading(vectors: np.ndarray, headings: np.ndarray) -> np.ndarray:
    """(N, 2) moves on the floor (x, y) as (forward, right) for cameras at ``headings`` (N,) degrees
    (ViZDoom's angle, anticlockwise), and, the same map being its own inverse, (forward, right) steps back
    to (x, y) moves."""
    angle = np.radians(headings)
    return np.stack([vectors[:, 0] * np.cos(angle) + vectors[:, 1] * np.sin(angle),
                     vectors[:, 0] * np.sin(angle) - vectors[:, 1] * np.cos(angle)], axis=1)


def _slide(position: np.ndarray, move: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """The part of ``move`` (2,) a square body at ``position`` can make among wall points (N, 2): all of
    it, else along x alone, else along y alone (Doom's slide along a wall), else none. A point already
    within the body (a depth read too near: a door read closer than the player's radius) holds back only
    moves that go nearer it, so a player is never trapped where it stands; and fewer than WALL_POINTS
    points are a speck (a lamp read near), not a wall."""
    reach = np.abs(walls - position).max(axis=1)                # each point's distance from the body's centre
    for attempt in (move, np.array([move[0], 0.0]), np.array([0.0, move[1]])):
        after = np.abs(walls - (position + attempt)).max(axis=1)
        held = (after < DOOM_PLAYER_RADIUS) & ((reach >= DOOM_PLAYER_RADIUS) | (after < reach))
        if np.count_nonzero(held) < WALL_POINTS:
            return attempt
    return np.zeros(2)


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
    """Latent frames (N, C, h, w) turned on their own grid (``rotate_view`` over channels last)."""
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
    points = view_points(depth, start, field_of_view, upsample)                        # (N, 3)
    depths = np.repeat(np.repeat(depth, upsample, 0), upsample, 1).reshape(-1).astype(np.float64)
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


def view_points(depth: np.ndarray, pose: np.ndarray, field_of_view: float = DOOM_FIELD_OF_VIEW,
                upsample: int = 1) -> np.ndarray:
    """(H * W * upsample**2, 3): where each pixel of a view with depth (H, W) along the view axis, seen
    from ``pose``, lies in the world (each pixel split into upsample x upsample points, row by row)."""
    height, width = depth.shape
    focal = (width / 2) / np.tan(np.radians(field_of_view) / 2)
    depths = np.repeat(np.repeat(depth, upsample, 0), upsample, 1).reshape(-1).astype(np.float64)
    offsets = (np.arange(upsample) + 0.5) / upsample - 0.5
    columns = (np.arange(width)[:, None] + offsets[None]).reshape(-1) - (width - 1) / 2
    rows = (np.arange(height)[:, None] + offsets[None]).reshape(-1) - (height - 1) / 2
    columns, rows = np.meshgrid(columns, rows)
    right, up = columns.reshape(-1) / focal, -(rows.reshape(-1) / focal - np.tan(np.radians(pose[4])))
    return camera_to_world(pose, depths, right * depths, up * depths)


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
    return to_uint8(out)
