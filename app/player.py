"""The player: a pygame window in which every frame is dreamed by a WorldSession.

    python main.py --play IMAGE [--world PACK] [--size WxH] [--frames N] [--record OUT.mp4] [--agent random|explore|replay:LOG]
                   [--depth-scale X] [--eye-height X] [--fov DEGREES] [--relief X] [--span DEGREES]
                                                # how a world with a memory reads IMAGE
    python main.py --scene SCENE.dwscene        # go on from a kept scene, in the world it was kept in

Controls (the movement keys are the launcher's key bindings): WASD move, mouse looks (click to capture it,
Esc to release), arrows also turn and look, Space jump, Ctrl crouch, Shift sprint, E use, left/right click
attack; P pause, hold Backspace to rewind, F5 bookmark / F9 back to it (a moment branches into another future),
R restart from the prompt, F10 start/stop a clip, F12 screenshot, F6 keep the scene, F11 fullscreen, F1 help.

While no control is touched the view holds (nothing is dreamed): the world models have never seen a player
stand still (no recorded frame has an all-zero action) and dream the view away within seconds
(docs/research/distillation.md, "Standing still"). ``--dream-idle`` dreams those frames too. Clips record the held
frames in real time, and a replayed clip holds where it was held.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import argparse
import atexit
import json
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.controls import ControlSettings, action_from_input
from app.hud import (BLACK, HELP_SHADE, MARGIN, WHITE, help_entries, hud_font_size, lay_out_help, page_box,
                     status_line, wrap_text)
from app.recorder import ClipRecorder, RecordingError
from app.settings import config_folder, readable_folder, user_worlds
from engine.errors import DreamwalkError
from engine.files import write_json
from engine.runtime.picture_settings import SETTING_RANGES, PictureSettings
from engine.runtime.action_log import clip_world, read_action_log

REWIND_SECONDS = 4.0
SNAPSHOT_EVERY = 4            # frames between rewind points (a snapshot holds the whole key/value cache)
MESSAGE_SECONDS = 6.0
WALL_LINE = "a wall stops you here: turn, or step back"
RECENT_FRAMES = 16            # dreamed frames whose median time the status line shows
DISPLAY_SIZES = ((640, 480), (320, 240), (160, 120))   # worlds with a memory: the first this machine keeps up with
KEEP_UP = 0.8                 # of a frame's time, the most a dreamed frame may take
WARM_UP, WATCHED = 8, 40      # dreamed frames: left out, then timed to see whether a display size keeps up
DISPLAY_SIZES_FILE = "display-sizes.json"    # the size measured for each world on this machine (config folder)
WIDEST = 1280                 # pixels: the widest window (and recorded clip) a frame is scaled to


@dataclass
class PlayerOptions:
    prompt: str | None = None     # a picture, or
    scene: str | None = None      # a kept scene (.dwscene) to go on from
    world: str | None = None
    size: tuple[int, int] | None = None   # display size (worlds with a memory show the picture at it)
    device: str = "auto"
    steps: int | None = None
    guidance_scale: float | None = None
    precision: str = "auto"       # auto: int8 dynamics on CPUs, fp16 on GPUs, where the world pack has them
    frames: int = 0               # stop after this many dreamed frames; 0 = until the window closes
    record: str | None = None
    agent: str | None = None      # random | explore | replay:LOG
    scale: int | None = None      # window pixels per frame pixel (default: a window about 512 wide)
    smooth: bool = False
    output_folder: str | None = None
    seed: int = 0
    window_shot: str | None = None   # save a PNG of the whole window (frame + HUD) when the player stops
    dream_idle: bool = False      # dream frames while no control is touched, instead of holding the view
    show_help: bool = False       # start with the F1 help shown
    settings: PictureSettings | None = None   # how the picture is read as a place (worlds with a memory)


@dataclass
class SizeWatch:
    """The first dreamed frames' times at a display size: it keeps up where their median is within KEEP_UP of
    the world's frame time (the first WARM_UP left out: the graphs warm up, the surround is refined)."""
    times: list[float] = field(default_factory=list)

    def add(self, step_ms: float, fps: float) -> bool | None:
        """True or False once WATCHED frames are timed; None before."""
        self.times.append(step_ms)
        if len(self.times) < WARM_UP + WATCHED:
            return None
        return sorted(self.times[WARM_UP:])[WATCHED // 2] <= 1000 * KEEP_UP / fps


@dataclass
class HistoryEntry:
    frame: np.ndarray
    state: Any | None


class Player:
    def __init__(self, options: PlayerOptions, controls: ControlSettings | None = None) -> None:
        import pygame

        from engine.runtime.images import check_prompt_file
        from engine.runtime.providers import fallback_line

        self.options = options
        self.controls = controls or ControlSettings()
        scene = None
        if options.scene is not None:
            from engine.runtime.scene import open_scene

            scene = open_scene(options.scene)           # a damaged scene is refused before the world loads
        elif isinstance(options.prompt, (str, Path)):
            check_prompt_file(options.prompt)         # a picture it cannot use is refused before the world loads
        self.replayed, self.replay_actions = replay_log(options.agent)     # so is a log it cannot replay
        # A scene (else a replayed clip) plays in the world it was made in, unless the person names another.
        self.any_world = options.world is not None
        origin = ((Path(options.scene).name, scene.world_mark) if scene is not None
                  else (Path(self.replayed).name, clip_world(self.replayed)) if self.replayed else None)
        if options.world is None and origin is not None:
            options.world = own_world(*origin)
        prepare_display(headless=options.agent is not None and options.frames > 0)

        self.scene = self.scene_at_start = scene
        # A world with a memory is shown at the size this machine was found to keep up with, else at the
        # largest, watched over its first frames and stepped down while it plays where it cannot keep up.
        size = options.size
        if size is None and has_memory(options.world):
            size = remembered_size(options.world, options.device) or DISPLAY_SIZES[0]
        self.size_watch = SizeWatch() if size in DISPLAY_SIZES and not options.size else None
        self.session = self.open_session(size)
        # Window pixels per frame pixel: about 512 wide by default, and never wider than WIDEST (a scale meant
        # for 64x48 frames would make a 640x480 display five thousand pixels wide).
        widest = max(1, WIDEST // self.session.frame_size[0])
        options.scale = min(options.scale or max(1, round(512 / self.session.frame_size[0])), widest)
        self.prompt_state = self.session.snapshot()
        self.open_window()
        self.windowed_size: tuple[int, int] | None = None     # the window's size while fullscreen, to go back to
        self.fonts: dict[int, Any] = {}
        self.font = self.font_of(hud_font_size(self.window.get_size()))
        self.help_page = 0
        self.help_cache: tuple[Any, list] | None = None
        self.help_drawn: list[tuple[str, Any]] = []   # the help's last page on screen: (text, pygame.Rect)
        self.clock = pygame.time.Clock()
        self.history: deque[HistoryEntry] = deque(maxlen=int(REWIND_SECONDS * self.session.fps))
        self.bookmark: Any | None = None
        self.recorder: ClipRecorder | None = None
        self.agent = self._make_agent(options.agent)
        self.output = Path(options.output_folder or default_output_folder())
        self.paused = self.rewinding = self.captured = False
        self.show_help = options.show_help
        self.running = True
        self.mouse_delta = [0.0, 0.0]
        self.held: set[str] = set()               # keys held now (pygame key names), from key events
        self.buttons: set[int] = set()            # mouse buttons held now
        self.step_ms = 0.0
        self.recent_ms: deque[float] = deque(maxlen=RECENT_FRAMES)   # the status line's typical frame time
        self.dreamed = 0
        self.shown = 0                            # frames advanced: dreamed or held
        self.holding = False
        self.message, self.message_until = "", 0.0
        note = fallback_line(options.device, self.session.provider)
        if note:
            self.say(note)                          # the session printed it too, for the launcher's log
        if self.any_world and origin is not None:
            self.say_other_world(*origin)
        if options.record:
            self._start_recording(Path(options.record))

    def open_session(self, size: tuple[int, int] | None) -> Any:
        """The world opened at the display ``size`` and started from the scene or the prompt."""
        from engine.runtime import WorldSession

        options = self.options
        session = WorldSession.open(options.world, device=options.device, steps=options.steps,
                                    guidance_scale=options.guidance_scale, seed=options.seed,
                                    precision=options.precision, display_size=size)
        try:
            self.frame = (session.start_scene(self.scene, any_world=self.any_world) if self.scene is not None
                          else session.reset(options.prompt, settings=options.settings))
        except BaseException:
            session.close()
            raise
        return session

    def say_other_world(self, what: str, mark: Any) -> None:
        """A scene or a replayed clip of another world than the one named for it: said, never a silent swap."""
        if mark is None or (mark.digest == self.session.world_digest if mark.digest
                            else mark.name == self.session.manifest["name"]):
            return
        line = f"playing {what}, made in the world {mark}, in '{self.session.manifest['name']}'"
        print(f"dreamwalk: {line}", file=sys.stderr)
        self.say(line)

    def watch_size(self) -> None:
        """Whether the display size keeps up, once its first frames are timed: kept for the next start where it
        does; where it does not, the world goes on from this moment at the next smaller size."""
        verdict = self.size_watch.add(self.step_ms, self.session.fps)
        if verdict is None:
            return
        size = self.session.frame_size
        if verdict or size == DISPLAY_SIZES[-1] or self.recorder is not None:
            self.size_watch = None                      # a clip being recorded keeps its size
            remember_size(self.options.world, self.options.device, size)
            return
        smaller = DISPLAY_SIZES[DISPLAY_SIZES.index(size) + 1]
        self.scene = self.session.scene()
        old, self.session = self.session, self.open_session(smaller)
        old.close()
        self.prompt_state, self.bookmark = None, None    # moments of the world as it was shown before
        self.history.clear()
        self.size_watch = SizeWatch()
        remember_size(self.options.world, self.options.device, smaller)
        line = (f"showing {smaller[0]}x{smaller[1]}: this machine cannot dream {size[0]}x{size[1]} at the "
                f"world's {self.session.fps:g} frames/s (the launcher's display size chooses)")
        print(f"dreamwalk: {line}", file=sys.stderr)
        self.say(line)

    def open_window(self) -> None:
        import pygame

        try:
            pygame.display.init()                    # no audio: the worlds are silent
        except pygame.error as error:
            self.session.close()
            raise DreamwalkError(f"cannot open the player's window: {error}") from error
        pygame.font.init()
        width, height = self.session.frame_size
        scale = self.options.scale
        desktops = pygame.display.get_desktop_sizes()
        if desktops:                                 # the window fits the screen (a 640x480 world at scale 2 need not)
            scale = max(1, min(scale, int(0.9 * desktops[0][0]) // width, int(0.9 * desktops[0][1]) // height))
        self.window = pygame.display.set_mode((width * scale, height * scale), pygame.RESIZABLE)
        pygame.display.set_caption(f"Dreamwalk: {self.session.manifest['name']}")

    # --- the loop -----------------------------------------------------------------------------
    def run(self) -> int:
        try:
            while self.running:
                self.clock.tick(self.session.fps)
                self.handle_events()
                if self.rewinding:
                    self.rewind_one()
                elif not self.paused:
                    self.advance(self.next_action())
                self.draw()
                if self.options.frames and self.shown >= self.options.frames:
                    self.running = False
            if self.options.window_shot:
                self.save_window(Path(self.options.window_shot))
        finally:
            self.close()
        return 0

    def handle_events(self) -> None:
        import pygame

        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
            elif event.type == pygame.KEYDOWN:
                self.held.add(pygame.key.name(event.key))
                self.on_key(event.key)
            elif event.type == pygame.KEYUP:
                self.held.discard(pygame.key.name(event.key))
                if event.key == pygame.K_BACKSPACE:
                    self.stop_rewind()
            elif event.type == pygame.MOUSEBUTTONDOWN:
                if self.captured:
                    self.buttons.add(event.button)
                else:
                    self.capture_mouse(True)
            elif event.type == pygame.MOUSEBUTTONUP:
                self.buttons.discard(event.button)
            elif event.type == pygame.WINDOWFOCUSLOST:
                self.held.clear()                     # keys released elsewhere never send their KEYUP here
                self.buttons.clear()
            elif event.type == pygame.MOUSEMOTION and self.captured:
                self.mouse_delta[0] += event.rel[0]
                self.mouse_delta[1] += event.rel[1]

    def on_key(self, key: int) -> None:
        import pygame

        handlers = {
            pygame.K_ESCAPE: lambda: self.capture_mouse(False), pygame.K_F1: self.toggle_help,
            pygame.K_p: self.toggle_pause, pygame.K_BACKSPACE: self.start_rewind, pygame.K_F5: self.set_bookmark,
            pygame.K_F9: self.go_to_bookmark, pygame.K_r: self.restart, pygame.K_F10: self.toggle_recording,
            pygame.K_F6: self.keep_scene,
            pygame.K_F11: self.toggle_fullscreen, pygame.K_F12: self.screenshot,
        }
        if key in handlers:
            handlers[key]()

    def next_action(self) -> dict[str, Any]:
        if self.agent is not None:
            return self.agent()
        delta = (self.mouse_delta[0], self.mouse_delta[1])
        self.mouse_delta = [0.0, 0.0]
        return action_from_input(self.held, self.buttons, delta, self.controls)

    def advance(self, action: dict[str, Any]) -> None:
        """The next frame: dreamed from the action, or the view held when no control is touched."""
        self.shown += 1
        self.holding = not self.options.dream_idle and is_idle(action)
        if not self.holding:
            started = time.perf_counter()
            self.frame = self.session.step(action)
            self.step_ms = 1000 * (time.perf_counter() - started)
            self.recent_ms.append(self.step_ms)
            self.dreamed += 1
            if self.session.blocked:
                self.say(WALL_LINE)
            if self.size_watch is not None:
                self.watch_size()
            state = self.session.snapshot() if self.session.frames % SNAPSHOT_EVERY == 0 else None
            self.history.append(HistoryEntry(self.frame, state))
        if self.recorder is not None:
            try:
                self.recorder.add(self.frame, action, self.session.pose)
            except RecordingError as error:
                self.recorder = None
                self.say(str(error))

    # --- time ---------------------------------------------------------------------------------
    def start_rewind(self) -> None:
        self.rewinding, self.landing = True, None

    def rewind_one(self) -> None:
        if not self.history:
            return
        entry = self.history.pop()
        self.frame = entry.frame
        if entry.state is not None:
            self.landing = entry.state

    def stop_rewind(self) -> None:
        if self.rewinding and self.landing is not None:
            self.frame = self.session.restore(self.landing)
        self.rewinding = False

    def set_bookmark(self) -> None:
        self.bookmark = self.session.snapshot()
        self.say("bookmark set (F9 returns here)")

    def go_to_bookmark(self) -> None:
        if self.bookmark is None:
            self.say("no bookmark yet: F5 sets one")
            return
        self.frame = self.session.restore(self.bookmark)
        self.history.clear()

    def restart(self) -> None:
        if self.prompt_state is None:                  # the world was opened again since it started
            self.scene = self.scene_at_start
            self.session.close()
            self.session = self.open_session(self.session.frame_size)
            self.prompt_state = self.session.snapshot()
        self.frame = self.session.restore(self.prompt_state)
        self.history.clear()

    def toggle_pause(self) -> None:
        self.paused = not self.paused

    def toggle_help(self) -> None:
        """F1 shows the help; in a window too small for all of it on one page, F1 turns the pages, then hides it."""
        pages = len(self.help_cache[1]) if self.help_cache else 1
        if self.show_help and self.help_page + 1 < pages:
            self.help_page += 1
        else:
            self.show_help, self.help_page = not self.show_help, 0

    def toggle_fullscreen(self) -> None:
        """Fullscreen at the desktop's size, and back to the window's size from before (SDL's own toggle leaves
        a desktop-sized window behind on X11, and is unsupported on some video drivers)."""
        import pygame

        if self.windowed_size is None:
            self.windowed_size = self.window.get_size()
            self.window = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            self.window = pygame.display.set_mode(self.windowed_size, pygame.RESIZABLE)
            for _ in range(20):
                pygame.event.pump()
            if pygame.display.get_window_size() != self.windowed_size:    # X11 without SDL's GL framebuffer
                self.window = pygame.display.set_mode(self.windowed_size, pygame.RESIZABLE)   # needs it twice
            self.windowed_size = None
        pygame.event.set_grab(self.captured)          # a new mode forgets the mouse capture

    # --- output -------------------------------------------------------------------------------
    def toggle_recording(self) -> None:
        if self.recorder is None:
            self._start_recording(self.output / f"dreamwalk-{time.strftime('%Y%m%d-%H%M%S')}.mp4")
        else:
            self.finish_recording()

    def finish_recording(self) -> None:
        """Close the clip and say where it is: in the window, and on stdout for the launcher."""
        recorder, self.recorder = self.recorder, None
        recorder.close()
        seconds = recorder.frames / self.session.fps
        self.say(f"saved clip {recorder.path.name} ({seconds:.1f} s) in {readable_folder(recorder.path.parent)}")
        print(f"dreamwalk: saved clip {recorder.path.resolve()}", flush=True)

    def _start_recording(self, path: Path) -> None:
        try:
            session = self.session
            self.recorder = ClipRecorder(path, session.fps, session.frame_size, self.options.scale,
                                         {"world": session.manifest["name"], "world_digest": session.world_digest,
                                          "world_path": str(session.world_path), "prompt": self.options.prompt or "",
                                          "seed": self.options.seed,
                                          **({"scene": self.options.scene} if self.options.scene else {})})
            self.recorder.add(self.frame, None, self.session.pose)
            self.say(f"recording {path.name} in {readable_folder(path.parent)} (F10 stops)")
        except RecordingError as error:
            self.recorder = None
            self.say(str(error))

    def keep_scene(self) -> None:
        """Save this moment as a scene (the picture, its depth and settings, the seed, and what the world
        remembers) in the output folder; ``main.py --scene`` and the launcher open it again."""
        from engine.runtime.scene import save_scene

        path = self.output / f"dreamwalk-{time.strftime('%Y%m%d-%H%M%S')}.dwscene"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_scene(path, self.session.scene())
        except (DreamwalkError, OSError) as error:     # a scene error, or the prompt's file gone meanwhile
            self.say(str(error) if isinstance(error, DreamwalkError) else
                     f"cannot save the scene in {path.parent}: {error.strerror or error}")
            return
        self.say(f"saved scene {path.name} in {readable_folder(path.parent)}")
        print(f"dreamwalk: saved scene {path.resolve()}", flush=True)

    def screenshot(self) -> None:
        from PIL import Image

        path = self.output / f"dreamwalk-{time.strftime('%Y%m%d-%H%M%S')}-{self.dreamed}.png"
        big = np.repeat(np.repeat(self.frame, self.options.scale, axis=0), self.options.scale, axis=1)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(big).save(path)
            self.say(f"saved screenshot {path.name} in {readable_folder(path.parent)}")
            print(f"dreamwalk: saved screenshot {path.resolve()}", flush=True)
        except OSError as error:
            self.say(f"cannot save a screenshot in {path.parent}: {error.strerror or error}")

    def save_window(self, path: Path) -> None:
        import pygame

        try:
            pygame.image.save(self.window, str(path))
        except (pygame.error, OSError) as error:
            print(f"dreamwalk: cannot save the window picture {path}: {error}", file=sys.stderr)

    def say(self, text: str) -> None:
        self.message, self.message_until = text, time.monotonic() + MESSAGE_SECONDS

    def capture_mouse(self, captured: bool) -> None:
        import pygame

        self.captured = captured
        if not captured:
            self.buttons.clear()
        pygame.event.set_grab(captured)
        pygame.mouse.set_visible(not captured)
        pygame.mouse.get_rel()                       # forget motion from before the capture

    # --- drawing ------------------------------------------------------------------------------
    def draw(self) -> None:
        import pygame

        self.window.fill((0, 0, 0))
        window_w, window_h = self.window.get_size()
        width, height = self.session.frame_size
        scale = max(1, min(window_w // width, window_h // height))
        surface = pygame.surfarray.make_surface(self.frame.swapaxes(0, 1))
        size = (width * scale, height * scale)
        scaled = pygame.transform.smoothscale(surface, size) if self.options.smooth else pygame.transform.scale(surface, size)
        self.window.blit(scaled, ((window_w - size[0]) // 2, (window_h - size[1]) // 2))
        self.draw_hud()
        pygame.display.flip()

    def draw_hud(self) -> None:
        self.font = self.font_of(hud_font_size(self.window.get_size()))
        state = ("paused (P goes on)" if self.paused else "rewinding" if self.rewinding
                 else "holding still: nothing touched" if self.holding else "")
        recording = self.recorder.frames / self.session.fps if self.recorder is not None else None
        typical = float(np.median(self.recent_ms)) if self.recent_ms else None
        status = status_line(self.clock.get_fps(), typical, self.session.provider, recording, state)
        lines = [status]
        if time.monotonic() < self.message_until:
            lines.append(self.message)
        if not self.show_help and not self.captured and self.agent is None:
            lines.append("click to capture the mouse   F1 help")
        width = self.window.get_width() - 2 * MARGIN
        y = MARGIN
        for line in [part for text in lines for part in wrap_text(self.font, text, width)]:
            self.window.blit(self.font.render(line, True, WHITE, BLACK), (MARGIN, y))
            y += self.font.get_linesize()
        if self.show_help:
            self.draw_help(y + MARGIN // 2)

    def draw_help(self, top: int) -> None:
        import pygame

        pages = self.help_pages(top)
        page = pages[min(self.help_page, len(pages) - 1)]
        box = page_box(page).inflate(MARGIN, MARGIN // 2)
        shade = pygame.Surface(box.size, pygame.SRCALPHA)
        shade.fill(HELP_SHADE)
        self.window.blit(shade, box.topleft)
        for _, surface, position in page:
            self.window.blit(surface, position)
        self.help_drawn = [(text, surface.get_rect(topleft=position)) for text, surface, position in page]

    def help_pages(self, top: int) -> list[Any]:
        """The help's pages for this window (app/hud.py, lay_out_help), laid out again only when the window's
        size or the text above the help changes."""
        key = (self.window.get_size(), top)
        if self.help_cache is None or self.help_cache[0] != key:
            self.help_cache = (key, lay_out_help(help_entries(self.controls), self.font_of, key[0], top))
        return self.help_cache[1]

    def font_of(self, size: int) -> Any:
        import pygame

        if size not in self.fonts:
            self.fonts[size] = pygame.font.Font(None, size)
        return self.fonts[size]

    # --- agents -------------------------------------------------------------------------------
    def _make_agent(self, agent: str | None):
        if agent is None:
            return None
        if agent.startswith("replay:"):
            actions = iter(self.replay_actions)
            return lambda: next(actions, {})
        if agent in ("random", "explore"):
            from engine.policies import make_policy

            policy = make_policy(agent, self.options.seed, self.session.turn_range, self.session.look_range)
            return lambda: policy.act(self.frame).to_dict()
        raise DreamwalkError(f"unknown agent {agent!r}; use random, explore or replay:LOG")

    def close(self) -> None:
        import pygame

        if self.recorder is not None:
            self.finish_recording()
        self.session.close()
        pygame.quit()


def replay_log(agent: str | None) -> tuple[str | None, list[dict[str, Any]]]:
    """The action log of ``--agent replay:LOG`` and its actions, read whole and checked (None and no actions
    for another agent)."""
    if agent is None or not agent.startswith("replay:"):
        return None, []
    log = agent.split(":", 1)[1]
    return log, read_action_log(log)


def own_world(what: str, mark: Any) -> str | None:
    """The pack of the world a scene or a replayed clip was made in (engine.runtime.worlds), where no --world
    names one: its pack where it was, else one of the same digest among the bundled worlds and the launcher's.
    None for a file of an older format, which names only its world's name: the bundled world plays it."""
    from engine.runtime.worlds import find_world, missing_world

    if mark is None or not mark.digest:
        return None
    found = find_world(mark, [user_worlds()])
    if found is None:
        raise missing_world(what, mark, places="the bundled worlds or yours")
    return str(found)


def is_idle(action: dict[str, Any]) -> bool:
    """No key, no button and no mouse motion: the all-zero action."""
    from engine.actions import Action

    return not Action.coerce(action).to_array().any()


def prepare_display(headless: bool) -> None:
    """Before SDL starts, on Linux. SDL probes Wayland first and prints "XDG_RUNTIME_DIR is invalid" where that
    folder is missing (servers, containers, sudo): give it a private one. Without any display, a run that needs
    no window (an agent for a number of frames) draws in memory; one that needs a window says so in one line.
    SDL is kept from drawing the window with OpenGL: worlds that draw their picture with OpenGL have their own
    context, and SDL's GL calls under X11 would pull the process's GL from under it (a crash at the next draw)."""
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    if not sys.platform.startswith("linux"):
        return
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime or not os.path.isdir(runtime):
        private = tempfile.mkdtemp(prefix="dreamwalk-runtime-")   # mode 0700, as the XDG spec asks
        atexit.register(shutil.rmtree, private, ignore_errors=True)
        os.environ["XDG_RUNTIME_DIR"] = private
    if any(os.environ.get(name) for name in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")):
        return
    if not headless:
        raise DreamwalkError("there is no display to open the player's window on (DISPLAY is not set); "
                             "to record without a window, give --agent and --frames")
    os.environ["SDL_VIDEODRIVER"] = "dummy"


def default_output_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_videos_dir()) / "Dreamwalk"


def has_memory(world: str | None) -> bool:
    """Whether a world pack (None: the bundled default) has a memory, so draws pictures at any size."""
    from engine.pack import read_pack_manifest
    from engine.runtime.session import bundled_worlds

    path = world or next(iter(bundled_worlds()), None)
    try:
        return path is not None and "memory" in read_pack_manifest(path)
    except DreamwalkError:
        return False                              # opening it says what is wrong


def _size_key(world: str | None, device: str) -> str:
    """Which machine, device and world a display size was measured for."""
    import platform

    from engine.runtime.session import bundled_worlds

    path = Path(world) if world else next(iter(bundled_worlds()), Path("none"))
    try:
        stamp = f"{path.resolve()}:{path.stat().st_size}:{int(path.stat().st_mtime)}"
    except OSError:
        stamp = str(path)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{stamp}|{cpu}|{os.cpu_count()}|{device}"


def remembered_size(world: str | None, device: str) -> tuple[int, int] | None:
    """The display size this machine was measured to keep up with for this world (None: not measured yet)."""
    try:
        known = json.loads((config_folder() / DISPLAY_SIZES_FILE).read_text(encoding="utf-8"))
        width, height = known[_size_key(world, device)]
        return (int(width), int(height)) if (int(width), int(height)) in DISPLAY_SIZES else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_size(world: str | None, device: str, size: tuple[int, int]) -> None:
    """Keep the display size measured here (a later start opens the world at it at once)."""
    path = config_folder() / DISPLAY_SIZES_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    known[_size_key(world, device)] = list(size)
    try:
        write_json(path, known)
    except OSError:
        pass                                  # not kept: the next start measures again


def display_size_argument(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is WIDTHxHEIGHT, e.g. 640x480, not {text!r}") from None
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise argparse.ArgumentTypeError(f"a size from 16x16 to 4096x4096, not {text}")
    return width, height


def number_in(low: float, high: float):
    """An argparse type: a number from ``low`` to ``high``."""
    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a number from {low:g} to {high:g}, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"a number from {low:g} to {high:g}, not {text}")
        return value
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="The player: play a world from a prompt image.")
    start = parser.add_mutually_exclusive_group(required=True)
    start.add_argument("--play", metavar="IMAGE", help="prompt image (PNG, JPEG, WebP, ...; 32 pixels to 50 megapixels)")
    start.add_argument("--scene", metavar="SCENE", help="go on from a kept scene (.dwscene, saved with F6)")
    parser.add_argument("--size", metavar="WxH", type=display_size_argument,
                        help="display size, e.g. 640x480 (default: for worlds with a memory, which draw the picture "
                        "at any size, 640x480 or the largest of 320x240 and 160x120 this machine keeps up with; "
                        "else the world's frame size)")
    parser.add_argument("--world", metavar="PACK", help="world pack (default: a scene's or a replayed clip's own "
                        "world, else the bundled world)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, or an accelerator of this system: "
                        "cuda (NVIDIA), directml (Windows), coreml (macOS)")
    parser.add_argument("--steps", type=int, metavar="N", help="sampler steps per frame (default: the world's own; "
                        "a distilled world plays best at its 1 step)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "int8"],
                        help="graphs to run (default auto: int8 dynamics on CPUs, fp16 on GPUs, where the world "
                        "has them)")
    parser.add_argument("--frames", type=int, default=0, metavar="N", help="exit after N frames")
    parser.add_argument("--record", metavar="CLIP.mp4", help="record a clip from the first frame")
    parser.add_argument("--agent", help="random, explore or replay:LOG instead of keyboard and mouse")
    parser.add_argument("--scale", type=int, metavar="N",
                        help="window size in pixels per frame pixel (default: a window about 512 pixels wide)")
    parser.add_argument("--smooth", action="store_true", help="smooth scaling instead of sharp pixels")
    parser.add_argument("--guidance", type=float, metavar="SCALE", help="action guidance scale (default: the world's)")
    parser.add_argument("--output", metavar="FOLDER", help="folder for clips and screenshots (default: the "
                        "launcher's recordings folder)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the dreamed frames' noise")
    parser.add_argument("--window-shot", metavar="PNG", help="save a picture of the window when the player stops")
    parser.add_argument("--show-help", action="store_true", help="start with the F1 help shown")
    parser.add_argument("--dream-idle", action="store_true",
                        help="dream frames while no control is touched (default: the view holds)")
    reading = parser.add_argument_group("how the picture is read as a place (worlds with a memory; a scene keeps "
                                        "its own)")
    reading.add_argument("--depth-scale", type=number_in(*SETTING_RANGES["depth_scale"]), metavar="X",
                         help="multiply the depth the world sees in the picture by X (default 1)")
    reading.add_argument("--eye-height", type=number_in(*SETTING_RANGES["eye_height"]), metavar="X",
                         help="map units from the eye down to the floor in the picture (default 41)")
    reading.add_argument("--fov", type=number_in(*SETTING_RANGES["field_of_view"]), metavar="DEGREES",
                         help="degrees across the picture's width (default 90)")
    reading.add_argument("--relief", type=number_in(*SETTING_RANGES["relief"]), metavar="X",
                         help="how deep the picture reads: 0 flat, 1 as read (default), more is deeper")
    reading.add_argument("--span", type=number_in(*SETTING_RANGES["panorama_span"]), metavar="DEGREES",
                         help="how far round a panorama reaches (default: as its shape says)")
    reading.add_argument("--sky-near", action="store_true",
                         help="read the sky, sun and moon as the depth network does, not far")
    return parser


def picture_settings(args: argparse.Namespace) -> PictureSettings | None:
    """The reading the command line asks for, the defaults where it names none; None when it names none."""
    given = {name: value for name, value in (("depth_scale", args.depth_scale), ("eye_height", args.eye_height),
                                             ("field_of_view", args.fov), ("relief", args.relief),
                                             ("panorama_span", args.span)) if value is not None}
    if args.sky_near:
        given["sky_far"] = False
    return PictureSettings(**given) if given else None


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    reading = picture_settings(args)
    if args.scene and reading is not None:
        parser.error("--depth-scale, --eye-height, --fov, --relief, --span and --sky-near read a picture; a scene "
                     "keeps its own reading")
    from app.settings import load_settings

    settings, problem = load_settings()
    if problem:
        print(f"dreamwalk: {problem}", file=sys.stderr)
    options = PlayerOptions(prompt=args.play, scene=args.scene, size=args.size, world=args.world, device=args.device, steps=args.steps,
                            guidance_scale=args.guidance, precision=args.precision, frames=args.frames,
                            record=args.record, agent=args.agent,
                            scale=args.scale, smooth=args.smooth, seed=args.seed, window_shot=args.window_shot,
                            output_folder=args.output or str(settings.recordings()),
                            dream_idle=args.dream_idle or settings.dream_idle, show_help=args.show_help,
                            settings=reading)
    return Player(options, settings.controls()).run()
