"""`dreamwalk render`: a clip's action log played again through a world into a video
(engine.runtime.walkthrough), from the start the log names: its scene or its picture, found where the log says
or beside the log (a clip moved with its prompt or scene), in the world the clip was played in (found where
it was or by its digest, engine.runtime.worlds), unless the command names another."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from engine.errors import DreamwalkError

VIDEO_SIZE = (640, 480)


@dataclass
class RenderConfig:
    log: Path                               # the clip's action log (CLIP.actions.jsonl)
    out: Path                               # the video (walk.mp4)
    scene: str | None = None                # start from this scene (default: the log's scene, if any)
    prompt: str | None = None               # start from this picture (default: the log's prompt)
    world: str | None = None                # default: the world the log names
    size: tuple[int, int] = VIDEO_SIZE
    fps: float | None = None                # default: the world's
    seed: int | None = None                 # default: the log's (or the scene's)
    device: str = "auto"
    sheet: str | None = None                # also a contact sheet here


@dataclass
class Start:
    """Where a replay starts: a picture's path, or a scene; the world and the seed it plays with."""

    world: str
    seed: int
    picture: str | None = None
    scene: Any = None                       # engine.runtime.scene.Scene
    any_world: bool = False                 # the command named the world: a scene of another plays in it

    def begin(self, session: Any) -> Callable[[], np.ndarray]:
        if self.scene is not None:
            return lambda: session.start_scene(self.scene, any_world=self.any_world)
        return lambda: session.reset(self.picture, seed=self.seed)


def replay_start(config: RenderConfig, header: dict[str, Any]) -> Start:
    """The start of ``config``'s replay: the scene or picture it names, else the log's (a path the log names is
    taken as it is, else beside the log); the world and seed the command names, else the start's own."""
    from engine.runtime.images import check_prompt_file

    log = Path(config.log)
    named = config.scene or config.prompt or header.get("scene") or header["prompt"]
    beside = [log.parent / named, log.parent / Path(named).name]      # a log's path, relative or absolute
    path = next((str(moved) for moved in beside if not Path(named).exists() and moved.exists()), named)
    if config.scene or (not config.prompt and header.get("scene")):
        from engine.runtime.scene import open_scene

        scene = open_scene(path)
        seed = scene.seed if config.seed is None else config.seed
        return Start(replay_world(config, header, scene), seed, scene=replace(scene, seed=seed),   # its own seed
                     any_world=config.world is not None)
    check_prompt_file(path)
    return Start(replay_world(config, header), header["seed"] if config.seed is None else config.seed, path)


def replay_world(config: RenderConfig, header: dict[str, Any], scene: Any = None) -> str:
    """The world a replay plays in: the one the command names, else the clip's own (its scene's, else its
    log's), found where it was or by its digest among the bundled and the user's worlds; a scene or log of an
    older format names only its world's name, looked for among the bundled worlds
    (engine.runtime.walkthrough.resolve_world)."""
    from engine.runtime.action_log import log_world
    from engine.runtime.worlds import find_world, missing_world, user_worlds

    if config.world:
        return config.world
    mark = scene.world_mark if scene is not None and scene.world_digest else log_world(header)
    if mark is None:
        return scene.world if scene is not None else header["world"]
    found = find_world(mark, [user_worlds()])
    if found is None:
        raise missing_world(Path(config.log).name, mark, "render")
    return str(found)


def check_writable(out: Path) -> None:
    """Before the world opens: an unwritable folder is found in a moment."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DreamwalkError(f"cannot write the walkthrough to {out}: cannot make the folder {out.parent} "
                             f"({error.strerror or error})") from None
    if not os.access(out.parent, os.W_OK):
        raise DreamwalkError(f"cannot write the walkthrough to {out}: this user cannot write in {out.parent}")


@dataclass
class Rendered:
    frames: int
    size: tuple[int, int]
    fps: float

    def lines(self, out: Path) -> list[str]:
        return [f"wrote {out}: {self.frames} frames at {self.size[0]}x{self.size[1]}, {self.frames / self.fps:.1f} s "
                f"at {self.fps:g} fps"]


def render_clip(config: RenderConfig, progress: Callable[[int, int], None] | None = None) -> Rendered:
    """The clip of ``config`` replayed into its video (``progress(done, total)`` after each frame). Ctrl-C
    leaves a playable file of the frames written."""
    from engine.runtime.action_log import read_action_log, read_log_header
    from engine.runtime.session import WorldSession
    from engine.runtime.walkthrough import check_video_size, render_walkthrough, resolve_world

    header = read_log_header(config.log)
    actions = read_action_log(config.log)
    check_video_size(config.size)
    if config.fps is not None and not 0 < config.fps <= 1000:
        raise DreamwalkError(f"--fps takes a frame rate above 0 and up to 1000, not {config.fps:g}")
    start = replay_start(config, header)
    check_writable(Path(config.out))
    with WorldSession.open(resolve_world(start.world), device=config.device, seed=start.seed,
                           display_size=config.size) as session:
        fps = config.fps or session.fps
        frames = render_walkthrough(session, start.begin(session), actions, config.out, fps=config.fps,
                                    progress=progress, sheet=config.sheet)
    return Rendered(frames, config.size, fps)
