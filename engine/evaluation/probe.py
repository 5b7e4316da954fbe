"""The evaluation probe: strong, varied actions held for a few frames each.

The recording policy's actions would hide a model that ignores them (most frames walk forward with
moderate turns), so evaluation drives the simulator with clearly different segments: held turns of
4-10 degrees per frame each way, walks, walks while turning, strafes, backing up, looking up/down, stops.
"""

from __future__ import annotations

import numpy as np

from engine.actions import Action

SEGMENTS = ("turn", "walk", "walk_turn", "strafe", "backup", "look", "stop")
WEIGHTS = (0.25, 0.15, 0.2, 0.15, 0.1, 0.07, 0.08)


class ProbePolicy:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.left = 0
        self.current = Action()
        self.pitch = 0.0

    def _segment(self) -> Action:
        rng = self.rng
        kind = SEGMENTS[rng.choice(len(SEGMENTS), p=WEIGHTS)]
        sign = 1.0 if rng.random() < 0.5 else -1.0
        turn = sign * float(rng.uniform(4.0, 10.0))
        if kind == "turn":
            return Action(turn=turn)
        if kind == "walk":
            return Action(forward=True, sprint=bool(rng.random() < 0.3))
        if kind == "walk_turn":
            return Action(forward=True, turn=turn)
        if kind == "strafe":
            return Action(left=sign > 0, right=sign < 0)
        if kind == "backup":
            return Action(backward=True)
        if kind == "look":
            look = -2.5 if self.pitch > 0 else 2.5
            return Action(look=look)
        return Action()

    def act(self) -> Action:
        if self.left <= 0:
            self.current = self._segment()
            self.left = int(self.rng.integers(4, 13))
            if self.current.look:
                self.left = 4
        self.left -= 1
        self.pitch += self.current.look
        return self.current
