"""Policies: who holds the controller while a simulator is recorded, and the player's agents (``--agent``).

The action mix is what teaches a world model to obey the controls (a prototype trained on data that
pressed forward 86% of the time with small turns learned to ignore actions), so ``explore`` plays like
a person: walks and sprints, turns with held mouse-like deltas of tens of degrees per second, strafes,
backs out of dead ends, stops (half the stops with hands off every control: play begins standing still,
and a world model that never saw it dissolves the view), opens doors with ``use``, shoots now and then,
and looks up and down a little. ``random`` presses random keys. Both are seeded and reproducible.

A policy sees what a player would (the frame) plus, where the recorder has them, the ground-truth
pose and a depth map, which stand in for a person's sense of where walls are.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from engine.actions import Action

POLICY_NAMES = ("explore", "random")


class Policy:
    def reset(self, seed: int) -> None:
        raise NotImplementedError

    def act(self, frame: np.ndarray, pose: np.ndarray | None = None,
            depth: np.ndarray | None = None) -> Action:
        raise NotImplementedError


def make_policy(name: str, seed: int = 0, turn_range: float = 15.0, look_range: float = 5.0,
                step_size: float = 16.0, hands_off: float = 0.5) -> Policy:
    """``step_size``: pose units one walking frame covers (``Source.walk_step``), to tell a walk from a wall.
    ``hands_off``: the share of the explore policy's stops that let go of every control (0: never, as the
    recordings of the shipped world were made, which the evaluation keeps so that its windows stay the same)."""
    from engine.errors import DataError
    if name == "explore":
        policy: Policy = ExplorePolicy(turn_range, look_range, step_size, hands_off)
    elif name == "random":
        policy = RandomPolicy(turn_range, look_range)
    else:
        raise DataError(f"unknown policy {name!r}; choose one of: {', '.join(POLICY_NAMES)}")
    policy.reset(seed)
    return policy


class RandomPolicy(Policy):
    """Random keys held for 1-6 frames: each button pressed independently, turn and look uniform."""

    def __init__(self, turn_range: float = 15.0, look_range: float = 5.0) -> None:
        self.turn_range, self.look_range = turn_range, look_range

    def reset(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.hold = 0
        self.current = Action()

    def act(self, frame: np.ndarray, pose: np.ndarray | None = None,
            depth: np.ndarray | None = None) -> Action:
        if self.hold <= 0:
            rng = self.rng
            press = rng.random(10) < np.array([0.3, 0.3, 0.3, 0.3, 0.05, 0.05, 0.2, 0.1, 0.1, 0.05])
            self.current = Action(*(bool(p) for p in press),
                                  turn=float(rng.uniform(-self.turn_range, self.turn_range)),
                                  look=float(rng.uniform(-self.look_range, self.look_range) * 0.5))
            self.hold = int(rng.integers(1, 7))
        self.hold -= 1
        return self.current


@dataclass
class _Segment:
    """One intention held for a while, as a person would: 'walk ahead', 'turn left', 'back up'."""

    kind: str
    frames: int
    forward: bool = False
    backward: bool = False
    left: bool = False
    right: bool = False
    sprint: bool = False
    turn: float = 0.0          # target degrees per frame
    look: float = 0.0
    steer: bool = False        # head for open, unvisited space while walking
    hands_off: bool = False    # no key, no mouse: the all-zero action


class ExplorePolicy(Policy):
    """A person walking through a level. Segment lengths are in model frames (~17 per second)."""

    FIELD_OF_VIEW = 90.0       # horizontal degrees; Doom's at 4:3 and near MiniWorld's
    MOVE_SEGMENTS = ("walk", "turn", "strafe", "backup", "stop", "look")
    SEGMENT_WEIGHTS = (0.38, 0.26, 0.14, 0.06, 0.08, 0.08)

    def __init__(self, turn_range: float = 15.0, look_range: float = 5.0, step_size: float = 16.0,
                 hands_off: float = 0.5) -> None:
        self.turn_range, self.look_range, self.step_size = turn_range, look_range, step_size
        self.hands_off = hands_off           # share of stops with every control let go

    def reset(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.segment = _Segment("stop", 3)
        self.turn = 0.0                      # smoothed mouse turn, degrees per frame
        self.pitch = 0.0                     # how far the view is tilted from level, degrees
        self.recent: deque[np.ndarray] = deque(maxlen=8)
        self.stuck_frames = 0
        self.burst = 0                       # frames of attack left
        self.use_cooldown = 0
        self.visits: dict[tuple[int, int], int] = {}
        self.goal_yaw: float | None = None   # the least explored direction, from where the player stands

    # --- the decision of each frame -------------------------------------------------------------
    def act(self, frame: np.ndarray, pose: np.ndarray | None = None,
            depth: np.ndarray | None = None) -> Action:
        rng = self.rng
        openness = self._openness(depth)
        if self._is_stuck(pose):
            self.stuck_frames += 1
        else:
            self.stuck_frames = 0
        use = self._react(openness)
        if self.segment.frames <= 0:
            self.segment = self._next_segment(openness)
        segment = self.segment
        segment.frames -= 1
        if segment.hands_off and not use:
            self.turn, self.burst = 0.0, 0
            return Action()

        # A hand on a mouse eases into and out of a turn rather than jumping to a speed.
        target = segment.turn + rng.normal(0.0, 0.4)
        if segment.kind == "walk" and segment.steer:
            target += self._steer(pose, depth)
        self.turn = 0.65 * self.turn + 0.35 * target
        turn = float(np.clip(self.turn, -self.turn_range, self.turn_range))
        look = self._look(segment)

        if self.burst > 0:
            self.burst -= 1
        elif rng.random() < 0.012:
            self.burst = int(rng.integers(2, 7))
        if self.use_cooldown > 0:
            self.use_cooldown -= 1
        if not use and self.use_cooldown == 0 and rng.random() < 0.01:
            use = True
        if use:
            self.use_cooldown = 10
        return Action(
            forward=segment.forward, backward=segment.backward, left=segment.left, right=segment.right,
            sprint=segment.sprint, use=use, attack=self.burst > 0,
            jump=bool(rng.random() < 0.01), crouch=bool(rng.random() < 0.008),
            turn=turn, look=look,
        )

    def _react(self, openness: tuple[float, float, float] | None) -> bool:
        """Doors and dead ends: try ``use`` on what blocks the way, then back out and turn around."""
        segment, rng = self.segment, self.rng
        moving_forward = segment.forward and segment.kind in ("walk", "strafe")
        wall_ahead = openness is not None and openness[1] < 6.0 * self.step_size
        if self.stuck_frames >= 4 or (moving_forward and wall_ahead):
            try_door = self.use_cooldown == 0
            if self.stuck_frames >= 12:
                self.segment = self._backup(openness)
                self.stuck_frames = 0
            elif not try_door and segment.kind != "turn":
                self.segment = self._turn_segment(openness, walking=bool(rng.random() < 0.5))
            return try_door
        return False

    def _next_segment(self, openness: tuple[float, float, float] | None) -> _Segment:
        rng = self.rng
        kind = self.MOVE_SEGMENTS[rng.choice(len(self.MOVE_SEGMENTS), p=self.SEGMENT_WEIGHTS)]
        if kind == "walk":
            self.goal_yaw = self._least_explored_direction()
            drift = rng.normal(0.0, 1.2) if rng.random() < 0.6 else 0.0
            return _Segment("walk", int(rng.integers(20, 90)), forward=True,
                            sprint=bool(rng.random() < 0.35), turn=drift, steer=bool(rng.random() < 0.8))
        if kind == "turn":
            return self._turn_segment(openness, walking=bool(rng.random() < 0.55))
        if kind == "strafe":
            side = rng.random() < 0.5
            return _Segment("strafe", int(rng.integers(6, 25)), left=side, right=not side,
                            forward=bool(rng.random() < 0.5), turn=rng.normal(0.0, 2.0))
        if kind == "backup":
            return self._backup(openness)
        if kind == "stop":
            if self.hands_off and rng.random() < self.hands_off:     # no draw at 0: the old sequence
                return _Segment("stop", int(rng.integers(8, 40)), hands_off=True)
            return _Segment("stop", int(rng.integers(5, 25)), turn=rng.normal(0.0, 1.0))
        direction = 1.0 if self.pitch < 0 or (self.pitch == 0 and rng.random() < 0.5) else -1.0
        return _Segment("look", int(rng.integers(3, 8)), look=direction * rng.uniform(1.0, self.look_range),
                        turn=rng.normal(0.0, 2.0))

    def _turn_segment(self, openness: tuple[float, float, float] | None, walking: bool) -> _Segment:
        rng = self.rng
        speed = rng.uniform(3.0, self.turn_range * 0.8)           # ~50-210 degrees per second
        if openness is not None and rng.random() < 0.8:
            sign = -1.0 if openness[0] > openness[2] else 1.0      # towards the more open side
        else:
            sign = -1.0 if rng.random() < 0.5 else 1.0
        total = rng.uniform(25.0, 200.0)
        return _Segment("turn", max(3, int(total / speed)), forward=walking, turn=sign * speed)

    def _backup(self, openness: tuple[float, float, float] | None) -> _Segment:
        rng = self.rng
        turn = self._turn_segment(openness, walking=False)
        return _Segment("backup", int(rng.integers(6, 18)), backward=True, turn=turn.turn * rng.uniform(0.5, 1.0))

    def _look(self, segment: _Segment) -> float:
        """Look around a little, and drift back towards level when not looking on purpose."""
        if segment.kind == "look":
            look = segment.look
        else:
            look = float(np.clip(-self.pitch * 0.3, -self.look_range, self.look_range))
            if abs(look) < 0.05:
                look = 0.0
        look = float(np.clip(look, -20.0 - self.pitch, 20.0 - self.pitch))
        self.pitch += look
        return look

    def _steer(self, pose: np.ndarray | None, depth: np.ndarray | None) -> float:
        """Turn towards the far, least visited part of the view, as a person heads down a corridor."""
        if pose is None or depth is None:
            return 0.0
        height, width = depth.shape
        columns = np.median(depth[height // 3: 2 * height // 3], axis=0)           # (W,)
        columns = np.convolve(columns, np.ones(9) / 9, mode="same")
        picks = np.arange(4, width - 4, 8)
        angles = (picks - width / 2) / width * self.FIELD_OF_VIEW                  # right of centre > 0
        distance = np.minimum(columns[picks], 30.0 * self.step_size)
        headings = np.radians(pose[3] - angles)                                    # turning right lowers yaw
        ends = pose[:2] + distance[:, None] * np.stack([np.cos(headings), np.sin(headings)], axis=1)
        cell = 4.0 * self.step_size
        visits = np.array([self.visits.get((int(x // cell), int(y // cell)), 0) for x, y in ends])
        score = distance / (1.0 + visits) ** 2
        if self.goal_yaw is not None:      # prefer the way towards the least explored side of the map
            score *= 0.35 + 0.65 * (1.0 + np.cos(headings - np.radians(self.goal_yaw))) / 2.0
        error = float(angles[int(np.argmax(score))])
        return float(np.clip(0.3 * error, -0.6 * self.turn_range, 0.6 * self.turn_range))

    def _least_explored_direction(self) -> float | None:
        """Of eight compass directions, the one whose cone of nearby cells was visited least."""
        if not self.visits or not self.recent:
            return None
        cell = 4.0 * self.step_size
        here = self.recent[-1] / cell
        cells = np.array(list(self.visits.keys()), dtype=np.float64) + 0.5 - here      # (N, 2)
        counts = np.array(list(self.visits.values()), dtype=np.float64)
        distance = np.linalg.norm(cells, axis=1)
        near = (distance > 0.5) & (distance < 12.0)
        if not near.any():
            return None
        bearing = np.degrees(np.arctan2(cells[near, 1], cells[near, 0]))
        directions = np.arange(0.0, 360.0, 45.0)
        offsets = np.abs((bearing[None, :] - directions[:, None] + 180.0) % 360.0 - 180.0)
        load = (counts[near][None, :] * (offsets < 30.0)).sum(axis=1)
        lightest = np.flatnonzero(load == load.min())
        return float(directions[self.rng.choice(lightest)])

    def _is_stuck(self, pose: np.ndarray | None) -> bool:
        """No movement for a few frames while a movement key is held."""
        if pose is None:
            return False
        self.recent.append(np.asarray(pose[:2], dtype=np.float64))
        cell = 4.0 * self.step_size
        key = (int(pose[0] // cell), int(pose[1] // cell))
        self.visits[key] = self.visits.get(key, 0) + 1
        segment = self.segment
        moving = segment.forward or segment.backward or segment.left or segment.right
        if not moving or len(self.recent) < 4:
            return False
        travelled = float(np.linalg.norm(self.recent[-1] - self.recent[-4]))
        return travelled < 0.3 * self.step_size

    @staticmethod
    def _openness(depth: np.ndarray | None) -> tuple[float, float, float] | None:
        """Typical free distance to the left, ahead and to the right, in pose units."""
        if depth is None:
            return None
        height, width = depth.shape
        band = depth[height // 3: 2 * height // 3]
        thirds = (band[:, : width // 3], band[:, width // 3: 2 * width // 3], band[:, 2 * width // 3:])
        return tuple(float(np.median(part)) for part in thirds)  # type: ignore[return-value]
