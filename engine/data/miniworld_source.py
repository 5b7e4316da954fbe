"""MiniWorld rooms and mazes, rendered headless (PYGLET_HEADLESS=True, EGL/llvmpipe).

MiniWorld has no clock of its own, so one model frame is defined here: at 15 frames/s a walk step
is 0.1 m (1.5 m/s, a human walking pace), sprinting 1.6x that, and ``turn``/``look`` are applied in
degrees exactly as in ViZDoom, so the same mouse move means the same in both worlds.
"""

from __future__ import annotations

import math
import os
from typing import Any, Mapping

import numpy as np

from engine.actions import Action
from engine.data.source import Source, wrap_degrees
from engine.errors import SourceError

FPS = 15.0
WALK_STEP = 0.10         # metres per frame forward
STRAFE_STEP = 0.08       # metres per frame sideways and backwards
SPRINT_FACTOR = 1.6
PITCH_LIMIT = 30.0       # degrees up or down
ENVIRONMENTS = {
    "Maze": "MiniWorld-Maze-v0", "MazeS2": "MiniWorld-MazeS2-v0", "MazeS3": "MiniWorld-MazeS3-v0",
    "FourRooms": "MiniWorld-FourRooms-v0", "ThreeRooms": "MiniWorld-ThreeRooms-v0",
    "OneRoom": "MiniWorld-OneRoom-v0", "Hallway": "MiniWorld-Hallway-v0", "TMaze": "MiniWorld-TMaze-v0",
    "YMaze": "MiniWorld-YMaze-v0", "WallGap": "MiniWorld-WallGap-v0", "Sidewalk": "MiniWorld-Sidewalk-v0",
}


def environment_id(env: str) -> str:
    """Short names (``Maze``) and full gymnasium ids (``MiniWorld-Maze-v0``) both work."""
    if env in ENVIRONMENTS:
        return ENVIRONMENTS[env]
    if env in ENVIRONMENTS.values():
        return env
    raise SourceError(f"unknown MiniWorld environment {env!r}; choose one of: {', '.join(ENVIRONMENTS)}")


def short_name(env: str) -> str:
    full = environment_id(env)
    return next(short for short, long in ENVIRONMENTS.items() if long == full)


class MiniWorldSource(Source):
    name = "miniworld"
    fps = FPS
    tics_per_frame = 1
    keys = ("forward", "backward", "left", "right", "sprint", "turn", "look")
    pose_units = "metres, degrees"
    walk_step = WALK_STEP

    def __init__(self, env: str = "Maze", seed: int = 0, width: int = 160, height: int = 120,
                 domain_rand: bool = False, depth: bool = False) -> None:
        env_id = environment_id(env)
        os.environ.setdefault("PYGLET_HEADLESS", "True")
        try:
            import gymnasium
            import miniworld  # noqa: F401  (registers the environments)
        except ImportError as error:
            raise SourceError("MiniWorld is not installed: pip install -e '.[engine]'") from error
        try:
            self._env = gymnasium.make(env_id, obs_width=width, obs_height=height, domain_rand=domain_rand)
        except Exception as error:  # pyglet/EGL failures surface as many types
            raise SourceError(f"MiniWorld failed to start {env_id}: {error}") from error
        self._world = self._env.unwrapped
        self.map = short_name(env)
        self.seed = int(seed)
        self._seeded = False
        self._want_depth = depth
        self._frame: np.ndarray | None = None

    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None or not self._seeded:
            self._env.reset(seed=self.seed if seed is None else int(seed))
            self._seeded = True
        else:
            self._env.reset()
        self.done = False
        self._frame = self._world.render_obs()
        return self._frame

    def step(self, action: Action | Mapping[str, Any]) -> np.ndarray:
        if self._frame is None:
            raise SourceError("call reset() before step()")
        action = Action.coerce(action)
        world, agent = self._world, self._world.agent
        if action.turn:
            world.turn_agent(-action.turn)          # MiniWorld turns left for a positive angle
        if action.look:
            agent.cam_pitch = float(np.clip(agent.cam_pitch + action.look, -PITCH_LIMIT, PITCH_LIMIT))
        speed = SPRINT_FACTOR if action.sprint else 1.0
        forward = (WALK_STEP * action.forward - STRAFE_STEP * action.backward) * speed
        sideways = STRAFE_STEP * (action.right - action.left) * speed
        if forward or sideways:
            world.move_agent(forward, sideways)     # refuses a move into a wall, as a body would
        self._frame = world.render_obs()
        return self._frame

    @property
    def pose(self) -> np.ndarray:
        agent = self._world.agent
        x, height, z = (float(v) for v in agent.pos)
        # MiniWorld is y-up with the heading (cos dir, 0, -sin dir): ground-plane y is -z.
        return np.array([x, -z, height, wrap_degrees(math.degrees(agent.dir)), float(agent.cam_pitch)])

    @property
    def depth(self) -> np.ndarray | None:
        if not self._want_depth:
            return None
        return self._world.render_depth()[..., 0].astype(np.float32)

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None

    def meta(self) -> dict[str, Any]:
        return {**super().meta(), "env": environment_id(self.map), "seed": self.seed}
