"""A gymnasium environment over a WorldSession, for agents that train or act inside a dreamed world.

Observation: the model frame, (height, width, 3) uint8. Action: a Dict space with one Discrete(2) per
button of the schema and Box ranges for ``turn`` and ``look`` (degrees, the world's trained ranges).
There is no reward: the world is a simulator to explore; wrap it to add a task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from engine.actions import BUTTON_KEYS
from engine.runtime.session import WorldSession


class DreamwalkEnv(gymnasium.Env):
    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, world: str | Path | None = None, prompt: Any = None, device: str = "cpu",
                 max_steps: int = 1000, steps: int | None = None, render_mode: str | None = "rgb_array") -> None:
        self.session = WorldSession.open(world, device=device, steps=steps)
        width, height = self.session.frame_size
        self.prompt = prompt if prompt is not None else np.full((height, width, 3), 96, np.uint8)
        self.max_steps = max_steps
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": self.session.fps}
        self.observation_space = spaces.Box(0, 255, (height, width, 3), np.uint8)
        turn, look = self.session.turn_range, self.session.look_range
        self.action_space = spaces.Dict({
            **{key: spaces.Discrete(2) for key in BUTTON_KEYS},
            "turn": spaces.Box(-turn, turn, (1,), np.float32),
            "look": spaces.Box(-look, look, (1,), np.float32),
        })
        self._frame: np.ndarray | None = None
        self._steps = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        prompt = (options or {}).get("prompt", self.prompt)
        noise_seed = int(self.np_random.integers(2 ** 31))
        self._frame = self.session.reset(prompt, seed=noise_seed)
        self._steps = 0
        return self._frame, {"fps": self.session.fps}

    def step(self, action: dict[str, Any]):
        schema = {key: bool(int(action[key])) for key in BUTTON_KEYS if key in action}
        for axis in ("turn", "look"):
            if axis in action:
                schema[axis] = float(np.asarray(action[axis]).reshape(-1)[0])
        self._frame = self.session.step(schema)
        self._steps += 1
        return self._frame, 0.0, False, self._steps >= self.max_steps, {}

    def render(self) -> np.ndarray | None:
        return None if self._frame is None else self._frame.copy()

    def close(self) -> None:
        self.session.close()
