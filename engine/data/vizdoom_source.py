"""ViZDoom on Freedoom 2 maps: headless, no status bar, god mode, 2 tics (1/17.5 s) per model frame."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import Any, Mapping

import numpy as np

from engine.actions import Action, BUTTON_KEYS
from engine.data.source import Source, wrap_degrees
from engine.errors import SourceError

DOOM_TICRATE = 35
TICS_PER_FRAME = 2                   # 17.5 model frames per second of game time
MAPS = tuple(f"MAP{i:02d}" for i in range(1, 33))
DEPTH_SCALE = 7.0                    # map units per step of the 8-bit depth buffer (measured walking at a wall)
# After new_episode() the engine ignores input for a few tics; the episode starts once input counts.
WARMUP_TICS = 8
RESOLUTIONS = {"160x120": "RES_160X120", "320x240": "RES_320X240", "640x480": "RES_640X480"}


def _buttons(vzd: Any) -> list[Any]:
    button = vzd.Button
    by_key = {
        "forward": button.MOVE_FORWARD, "backward": button.MOVE_BACKWARD,
        "left": button.MOVE_LEFT, "right": button.MOVE_RIGHT,
        "jump": button.JUMP, "crouch": button.CROUCH, "sprint": button.SPEED, "use": button.USE,
        "attack": button.ATTACK, "attack_alt": button.ALTATTACK,
    }
    return [by_key[key] for key in BUTTON_KEYS] + [button.TURN_LEFT_RIGHT_DELTA, button.LOOK_UP_DOWN_DELTA]


class ViZDoomSource(Source):
    name = "vizdoom"
    fps = DOOM_TICRATE / TICS_PER_FRAME
    tics_per_frame = TICS_PER_FRAME
    keys = BUTTON_KEYS + ("turn", "look")
    pose_units = "doom map units (64 = one floor tile), degrees"
    walk_step = 16.0

    def __init__(self, map: str = "MAP01", seed: int = 0, resolution: str = "160x120",
                 depth: bool = False, god: bool = True, weapon: bool = True) -> None:
        """``weapon``: draw the player's weapon (fixed on the screen, not part of the world: a world memory
        records without it)."""
        map = str(map).upper()
        if map not in MAPS:
            raise SourceError(f"unknown Freedoom 2 map {map!r}; maps are MAP01-MAP32")
        if resolution not in RESOLUTIONS:
            raise SourceError(f"unknown ViZDoom resolution {resolution!r}; choose one of {', '.join(RESOLUTIONS)}")
        try:
            import vizdoom as vzd
        except ImportError as error:
            raise SourceError("ViZDoom is not installed: pip install -e '.[engine]'") from error
        self.map = map
        self.seed = int(seed)
        self._god = god
        self._want_depth = depth
        game = vzd.DoomGame()
        game.set_doom_game_path(os.path.join(os.path.dirname(vzd.__file__), "freedoom2.wad"))
        game.set_doom_map(map)
        game.set_screen_resolution(getattr(vzd.ScreenResolution, RESOLUTIONS[resolution]))
        game.set_screen_format(vzd.ScreenFormat.RGB24)
        game.set_render_hud(False)
        game.set_render_crosshair(False)
        game.set_render_messages(False)
        game.set_render_weapon(weapon)
        game.set_window_visible(False)
        game.set_sound_enabled(False)
        game.set_depth_buffer_enabled(depth)
        game.set_episode_timeout(0)
        game.set_available_buttons(_buttons(vzd))
        variable = vzd.GameVariable
        for var in (variable.POSITION_X, variable.POSITION_Y, variable.POSITION_Z, variable.ANGLE, variable.PITCH):
            game.add_available_game_variable(var)
        # cl_showsecretmessage 0: no "A secret is revealed!" across the frame (ZDoom cvar).
        game.add_game_args("+freelook 1 +sv_cheats 1 +cl_showsecretmessage 0")
        # ViZDoom reads and rewrites an ini of cvars; a fresh private one keeps every run the same
        # and writes nothing into the user's working folder.
        self._config_folder = tempfile.mkdtemp(prefix="dreamwalk-vizdoom-")
        game.set_doom_config_path(os.path.join(self._config_folder, "vizdoom.ini"))
        game.set_mode(vzd.Mode.PLAYER)
        game.set_seed(self.seed)
        try:
            game.init()
        except Exception as error:  # ViZDoom raises its own exception types
            raise SourceError(f"ViZDoom failed to start: {error}") from error
        self._game = game
        self._noop = [0.0] * len(_buttons(vzd))
        self._frame: np.ndarray | None = None
        self._pose = np.zeros(5)
        self._depth: np.ndarray | None = None

    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None:
            self._game.set_seed(int(seed))
        self._game.new_episode()
        if self._god:
            self._game.send_game_command("god")
        self._game.make_action(self._noop, WARMUP_TICS)
        self.done = False
        self._read_state()
        return self._frame

    def step(self, action: Action | Mapping[str, Any]) -> np.ndarray:
        if self._frame is None:
            raise SourceError("call reset() before step()")
        action = Action.coerce(action)
        if self.done:
            return self._frame
        ticks = self.tics_per_frame
        # Delta buttons act on every tic, so a frame's turn is spread evenly over its tics.
        # TURN_LEFT_RIGHT_DELTA > 0 turns right; LOOK_UP_DOWN_DELTA > 0 looks down (the signs
        # are tested against real ViZDoom in tests/test_sources.py).
        command = [float(getattr(action, key)) for key in BUTTON_KEYS] + [action.turn / ticks, -action.look / ticks]
        self._game.make_action(command, ticks)
        if self._game.is_episode_finished():
            self.done = True      # level exit: keep the last frame and pose
        else:
            self._read_state()
        return self._frame

    def _read_state(self) -> None:
        state = self._game.get_state()
        self._frame = np.ascontiguousarray(state.screen_buffer)
        x, y, z, angle, pitch = (float(v) for v in state.game_variables)
        self._pose = np.array([x, y, z, wrap_degrees(angle), pitch])
        self._depth = None if state.depth_buffer is None else state.depth_buffer.astype(np.float32) * DEPTH_SCALE

    @property
    def pose(self) -> np.ndarray:
        return self._pose.copy()

    @property
    def depth(self) -> np.ndarray | None:
        return self._depth

    def close(self) -> None:
        if self._game is not None:
            self._game.close()
            self._game = None
            shutil.rmtree(self._config_folder, ignore_errors=True)

    def meta(self) -> dict[str, Any]:
        return {**super().meta(), "wad": "freedoom2.wad", "seed": self.seed}


def parse_maps(text: str) -> list[str]:
    """``MAP01-MAP20``, ``MAP25,MAP27`` or a mix (``MAP01-MAP03,MAP07``) -> ordered, de-duplicated map names."""
    maps: list[str] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            raise SourceError(f"empty item in map list {text!r}")
        match = re.fullmatch(r"(?i)(MAP\d\d)(?:\s*-\s*(MAP\d\d))?", part)
        if not match:
            raise SourceError(f"bad map or range {part!r}; write MAP01, MAP01-MAP20 or MAP25,MAP27")
        first, last = match.group(1).upper(), (match.group(2) or match.group(1)).upper()
        for name in (first, last):
            if name not in MAPS:
                raise SourceError(f"unknown Freedoom 2 map {name!r}; maps are MAP01-MAP32")
        lo, hi = MAPS.index(first), MAPS.index(last)
        if hi < lo:
            raise SourceError(f"bad map range {part!r}: {last} comes before {first}")
        maps += [m for m in MAPS[lo:hi + 1] if m not in maps]
    return maps
