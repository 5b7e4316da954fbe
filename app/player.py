"""The player: a pygame window in which every frame is dreamed by a WorldSession.

    python main.py --play IMAGE [--world PACK] [--frames N] [--record OUT.mp4] [--agent random|explore|replay:LOG]

Controls: WASD move, mouse looks (click to capture it, Esc to release), arrows also turn and look,
Space jump, Ctrl crouch, Shift sprint, E use, left/right click attack; P pause, hold Backspace to
rewind, F5 bookmark / F9 back to it (a moment branches into another future), R restart from the
prompt, F10 start/stop a clip, F12 screenshot, F11 fullscreen, F1 help.

While no control is touched the view holds (nothing is dreamed): the world models have never seen a player
stand still (no recorded frame has an all-zero action) and dream the view away within seconds
(docs/research/distillation.md, "Standing still"). ``--dream-idle`` dreams those frames too. Clips record the held
frames in real time, and a replayed clip holds where it was held.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import argparse
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.controls import ControlSettings, action_from_input
from app.recorder import ClipRecorder, RecordingError, read_action_log
from engine.errors import DreamwalkError

HELP_LINES = (
    "WASD move   mouse look (click to capture, Esc releases)   arrows turn/look",
    "Space jump   Ctrl crouch   Shift sprint   E use   clicks attack",
    "P pause   hold Backspace rewind   F5 bookmark   F9 back to bookmark   R restart",
    "F10 record clip   F12 screenshot   F11 fullscreen   F1 this help",
)
REWIND_SECONDS = 4.0
SNAPSHOT_EVERY = 4            # frames between rewind points (a snapshot holds the whole key/value cache)
MESSAGE_SECONDS = 4.0


@dataclass
class PlayerOptions:
    prompt: str
    world: str | None = None
    device: str = "auto"
    steps: int | None = None
    guidance_scale: float | None = None
    precision: str = "auto"       # auto: int8 dynamics on CPUs, fp16 on GPUs, where the world pack has them
    frames: int = 0               # stop after this many dreamed frames; 0 = until the window closes
    record: str | None = None
    agent: str | None = None      # random | explore | replay:LOG
    scale: int = 8
    smooth: bool = False
    output_folder: str | None = None
    seed: int = 0
    window_shot: str | None = None   # save a PNG of the whole window (frame + HUD) when the player stops
    dream_idle: bool = False      # dream frames while no control is touched, instead of holding the view


@dataclass
class HistoryEntry:
    frame: np.ndarray
    state: Any | None


class Player:
    def __init__(self, options: PlayerOptions, controls: ControlSettings | None = None) -> None:
        import pygame

        from engine.runtime import WorldSession

        self.options = options
        self.controls = controls or ControlSettings()
        self.session = WorldSession.open(options.world, device=options.device, steps=options.steps,
                                         guidance_scale=options.guidance_scale, seed=options.seed,
                                         precision=options.precision)
        self.frame = self.session.reset(options.prompt)
        self.prompt_state = self.session.snapshot()
        pygame.display.init()                        # no audio: the worlds are silent
        pygame.font.init()
        width, height = self.session.frame_size
        self.window = pygame.display.set_mode((width * options.scale, height * options.scale), pygame.RESIZABLE)
        pygame.display.set_caption(f"Dreamwalk: {self.session.manifest['name']}")
        self.font = pygame.font.Font(None, 22)
        self.clock = pygame.time.Clock()
        self.history: deque[HistoryEntry] = deque(maxlen=int(REWIND_SECONDS * self.session.fps))
        self.bookmark: Any | None = None
        self.recorder: ClipRecorder | None = None
        self.agent = self._make_agent(options.agent)
        self.output = Path(options.output_folder or default_output_folder())
        self.paused = self.rewinding = self.show_help = self.captured = False
        self.running = True
        self.mouse_delta = [0.0, 0.0]
        self.held: set[str] = set()               # keys held now (pygame key names), from key events
        self.buttons: set[int] = set()            # mouse buttons held now
        self.step_ms = 0.0
        self.dreamed = 0
        self.shown = 0                            # frames advanced: dreamed or held
        self.holding = False
        self.message, self.message_until = "", 0.0
        if options.record:
            self._start_recording(Path(options.record))

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
            pygame.K_F11: pygame.display.toggle_fullscreen, pygame.K_F12: self.screenshot,
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
            self.dreamed += 1
            state = self.session.snapshot() if self.session.frames % SNAPSHOT_EVERY == 0 else None
            self.history.append(HistoryEntry(self.frame, state))
        if self.recorder is not None:
            try:
                self.recorder.add(self.frame, action)
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
        self.frame = self.session.restore(self.prompt_state)
        self.history.clear()

    def toggle_pause(self) -> None:
        self.paused = not self.paused

    def toggle_help(self) -> None:
        self.show_help = not self.show_help

    # --- output -------------------------------------------------------------------------------
    def toggle_recording(self) -> None:
        if self.recorder is None:
            self._start_recording(self.output / f"dreamwalk-{time.strftime('%Y%m%d-%H%M%S')}.mp4")
        else:
            self.recorder.close()
            self.say(f"saved {self.recorder.path.name} ({self.recorder.frames} frames)")
            self.recorder = None

    def _start_recording(self, path: Path) -> None:
        try:
            self.recorder = ClipRecorder(path, self.session.fps, self.session.frame_size, self.options.scale,
                                         {"world": self.session.manifest["name"], "prompt": str(self.options.prompt),
                                          "seed": self.options.seed})
            self.recorder.add(self.frame, None)
            self.say(f"recording {path.name}")
        except RecordingError as error:
            self.recorder = None
            self.say(str(error))

    def screenshot(self) -> None:
        from PIL import Image

        path = self.output / f"dreamwalk-{time.strftime('%Y%m%d-%H%M%S')}-{self.dreamed}.png"
        big = np.repeat(np.repeat(self.frame, self.options.scale, axis=0), self.options.scale, axis=1)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(big).save(path)
            self.say(f"saved {path.name}")
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
        fps = self.clock.get_fps()
        provider = self.session.provider.replace("ExecutionProvider", "")
        step = f"{self.step_ms:5.1f}" if self.dreamed else "    -"          # nothing dreamed yet: no time to show
        status = f"{fps:4.1f} fps  {step} ms/frame  {provider} {self.session.precision}"
        if self.recorder is not None:
            status += f"  REC {self.recorder.frames / self.session.fps:5.1f} s"
        if self.paused:
            status += "  PAUSED"
        elif self.holding:
            status += "  STILL"
        if self.rewinding:
            status += "  REWIND"
        lines = [status]
        if time.monotonic() < self.message_until:
            lines.append(self.message)
        if self.show_help:
            lines += list(HELP_LINES)
        elif not self.captured and self.agent is None:
            lines.append("click to capture the mouse   F1 help")
        for index, line in enumerate(lines):
            self.window.blit(self.font.render(line, True, (255, 255, 255), (0, 0, 0)), (8, 8 + 20 * index))

    # --- agents -------------------------------------------------------------------------------
    def _make_agent(self, agent: str | None):
        if agent is None:
            return None
        if agent.startswith("replay:"):
            actions = iter(read_action_log(agent.split(":", 1)[1]))
            return lambda: next(actions, {})
        if agent in ("random", "explore"):
            from engine.data.policies import make_policy

            policy = make_policy(agent, self.options.seed, self.session.turn_range, self.session.look_range)
            return lambda: policy.act(self.frame).to_dict()
        raise DreamwalkError(f"unknown agent {agent!r}; use random, explore or replay:LOG")

    def close(self) -> None:
        import pygame

        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
        self.session.close()
        pygame.quit()


def is_idle(action: dict[str, Any]) -> bool:
    """No key, no button and no mouse motion: the all-zero action."""
    from engine.actions import Action

    return not Action.coerce(action).to_array().any()


def default_output_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_videos_dir()) / "Dreamwalk"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="main.py --play", description="Play a world from a prompt image.")
    parser.add_argument("--play", required=True, metavar="IMAGE", help="prompt image")
    parser.add_argument("--world", help="world pack (default: the bundled world)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, help="sampler steps per frame (quality vs speed)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "int8"],
                        help="graphs to run (default auto: int8 dynamics on CPUs, fp16 on GPUs, where the world "
                        "has them)")
    parser.add_argument("--frames", type=int, default=0, help="exit after N frames")
    parser.add_argument("--record", help="record a clip from the first frame to this .mp4")
    parser.add_argument("--agent", help="random, explore or replay:LOG instead of keyboard and mouse")
    parser.add_argument("--scale", type=int, default=8)
    parser.add_argument("--smooth", action="store_true", help="smooth scaling instead of sharp pixels")
    parser.add_argument("--guidance", type=float, help="action guidance scale (default: the world's)")
    parser.add_argument("--output", help="folder for clips and screenshots (default: the settings' folder)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window-shot", metavar="PNG", help="save a picture of the window when the player stops")
    parser.add_argument("--dream-idle", action="store_true",
                        help="dream frames while no control is touched (default: the view holds)")
    args = parser.parse_args(argv)
    from app.settings import load_settings

    settings, problem = load_settings()
    if problem:
        print(f"dreamwalk: {problem}", file=sys.stderr)
    options = PlayerOptions(prompt=args.play, world=args.world, device=args.device, steps=args.steps,
                            guidance_scale=args.guidance, precision=args.precision, frames=args.frames,
                            record=args.record, agent=args.agent,
                            scale=args.scale, smooth=args.smooth, seed=args.seed, window_shot=args.window_shot,
                            output_folder=args.output or str(settings.recordings()),
                            dream_idle=args.dream_idle or settings.dream_idle)
    return Player(options, settings.controls()).run()
