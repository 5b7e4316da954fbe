"""What a player notices, against live ViZDoom on held-out maps: does the view move the way the controls say,
and does the world remember what it showed (`dreamwalk eval revisits [PACK]`).

From starts on MAP21-MAP24 (an explore walk of a map from its start, stopped at different lengths), each
protocol (engine.evaluation.protocols: a whole turn, half a turn and back, two turns, a walk out and back, the
turn response, a minute of play) plays the same actions in ViZDoom and in the world, from the same prompt.

With a folder of pictures (``--prompts FOLDER``), the world also turns a whole turn and walks out and back from
each one that is not a Doom frame (paintings, sketches, photos): does the picture come back, and as sharp.

Beside the world, references bound every number: ViZDoom itself (what a perfect world returns to: monsters
and lights move, so not always the prompt), the memory alone (engine.memory: the prompt lifted by its true
depth and drawn at the true poses, uncovered pixels filled from their neighbours, no network) and, on a whole
turn, the builder alone (the same, with the prompt continued into a surround from its own pixels:
engine.memory.builder). Half a turn away the view was never seen: it is measured against the real view there
(contrast and sharpness ratios, colour and texture distances); from pictures, against the picture, beside a
plain PatchMatch fill of a cylinder around the picture (no depth, no network). Everything is
compared at the world's frame size on the view above the weapon (the upper three quarters: the weapon is
drawn fixed on the screen, it is not part of the world, and the memory does not hold it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from engine.actions import Action
from engine.policies import make_policy
from engine.data.sources import open_place, parse_places
from engine.evaluation.metrics import psnr, sharpness
from engine.evaluation.protocols import FULL_TURN, PROTOCOLS, TURN_STEP, WALK, Protocol
from engine.evaluation.references import (half_turn_measures, perfect_dream, plain_synthesis, play_builder,
                                          play_memory)
from engine.images import area_resize
from engine.reports.revisits import PictureRevisit, RevisitReport

OPEN_FLOOR = 300.0                    # map units of floor ahead a walk start must have (16 frames walk ~250)
SETTLE = 20                           # still frames before the prompt: a player who stops slides on for ~16
REFERENCE_SIZE = (160, 120)           # the plain synthesis reference is solved at most at this size a picture
VIEW = "upper three quarters (above the weapon)"


@dataclass
class RevisitConfig:
    world: str | None = None               # a world pack; None: the references alone
    maps: str = "MAP21-MAP24"
    starts_per_map: int = 4
    seed: int = 0
    size: tuple[int, int] = (64, 48)       # measured at (width, height): the world's frame size
    display_size: tuple[int, int] | None = None   # the world shown at this size (None: its frame size)
    prompts: str | None = None             # a folder of pictures: a whole turn and a walk out and back from each
    out: str = "runs/revisits"
    names: list[str] = field(default_factory=lambda: list(PROTOCOLS))


@dataclass
class Start:
    place: str
    seed: int
    walk: list[Action]                     # from the map's start to the prompt


def find_starts(place: str, count: int, seed: int) -> list[Start]:
    """``count`` places of a map: an explore walk from its start, stopped after 30, 45, 60, ... frames."""
    starts = []
    for index in range(count):
        with open_place("vizdoom", place, seed=seed + index, depth=True) as source:
            policy = make_policy("explore", seed + index, source.turn_range, source.look_range, source.walk_step)
            frame, walk = source.reset(), []
            for _ in range(30 + 15 * index):
                action = policy.act(frame, source.pose, source.depth)
                walk.append(action)
                frame = source.step(action)
        starts.append(Start(place, seed + index, walk + [Action()] * SETTLE))
    return starts


def facing_open_floor(source: Any, frame: np.ndarray) -> tuple[list[Action], np.ndarray]:
    """Turns (45 degrees at a time, at most a whole turn) until the view's centre is at least OPEN_FLOOR away;
    returns the turns taken and the frame then (no turn found: the turns are empty)."""
    turns = []
    for _ in range(8):
        height, width = source.depth.shape
        if float(np.median(source.depth[height // 3: 2 * height // 3, width // 3: 2 * width // 3])) >= OPEN_FLOOR:
            return turns + [Action()] * SETTLE, settle(source, frame)
        turns.append(Action(turn=45.0))
        frame = source.step(turns[-1])
    return [], frame


def settle(source: Any, frame: np.ndarray) -> np.ndarray:
    for _ in range(SETTLE):
        frame = source.step(Action())
    return frame


def play_real(start: Start, actions: list[Action], faces_open_floor: bool = False) -> tuple[
        np.ndarray, list[np.ndarray], list[np.ndarray], bool]:
    """ViZDoom from ``start`` (for a walk: turned to face open floor first): the frames (prompt first), the
    depth and pose of the prompt and then of every frame, and whether the protocol could be played."""
    with open_place("vizdoom", start.place, seed=start.seed, depth=True) as source:
        frame = source.reset()
        for action in start.walk:
            frame = source.step(action)
        if faces_open_floor:
            turns, frame = facing_open_floor(source, frame)
            if not turns:
                return np.stack([frame]), [], [], False
        frames, depths, poses = [frame], [source.depth.copy()], [source.pose.copy()]
        for action in actions:
            frames.append(source.step(action))
            depths.append(source.depth.copy())
            poses.append(source.pose.copy())
    return np.stack(frames), depths, poses, True


def play_world(session: Any, prompt: np.ndarray, actions: list[Action]) -> np.ndarray:
    return np.stack([session.reset(prompt)] + [session.step(action) for action in actions])


def play_start(protocol: Protocol, start: Start, actions: list[Action], config: RevisitConfig,
               session: Any) -> dict[str, np.ndarray] | None:
    """One start of ``protocol``: what each player shows (ViZDoom, the references, the world), the prompt
    first, at the size compared; None where the start cannot play it (no open floor to walk into)."""
    real, depths, poses, playable = play_real(start, actions, protocol.faces_open_floor)
    if not playable:
        return None
    frames = {"real": area_resize(real, config.size)}
    if protocol.memory_alone:
        frames["memory"] = area_resize(play_memory(real, depths, poses), config.size)
    if protocol.builder_alone:
        frames["builder"] = area_resize(play_builder(real, depths, poses), config.size)
    elif session is not None and session.model_size != tuple(config.size):
        frames["perfect_dream"] = perfect_dream(real, session.model_size, config.size)
    if session is not None:
        frames["world"] = play_world(session, real[0], actions)
    return frames


def evaluate_revisits(config: RevisitConfig,
                      progress: Callable[[str, int, int], None] | None = None) -> RevisitReport:
    """Every protocol from every start (``progress(protocol, starts done, starts)`` before each), then the
    pictures; the report (written by the caller) and, in ``config.out``, the strips."""
    session = None
    if config.world:
        from engine.runtime.session import WorldSession

        session = WorldSession.open(config.world, device="cpu", display_size=config.display_size)
        config.size = session.frame_size
    starts = [start for place in parse_places("vizdoom", config.maps)
              for start in find_starts(place, config.starts_per_map, config.seed)]
    report = RevisitReport(config.world, config.maps, list(config.size), VIEW)
    strips: list[np.ndarray] = []
    try:
        for name in config.names:
            protocol, rows = PROTOCOLS[name], []
            actions = protocol.actions()
            # A minute from every start would be most of the evaluation: one start a map.
            chosen = starts[:: config.starts_per_map] if protocol.one_start_a_map else starts
            for done, start in enumerate(chosen if session is not None or not protocol.needs_world else []):
                if progress is not None:
                    progress(name, done, len(chosen))
                frames = play_start(protocol, start, actions, config, session)
                if frames is None:
                    continue
                rows.append(protocol.measure(frames))
                if protocol.strip:
                    strips.append(np.concatenate([frames[who][index] for who in frames
                                                  for index in (0, FULL_TURN // 2, -1)], axis=1))
            report.protocols[name] = protocol.summarise(rows)
        if session is not None and config.prompts:
            report.pictures, sheet = picture_revisits(session, Path(config.prompts))
            Path(config.out).mkdir(parents=True, exist_ok=True)
            from PIL import Image

            Image.fromarray(sheet).save(Path(config.out) / "pictures.png")
    finally:
        if session is not None:
            session.close()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    if strips:
        from PIL import Image

        sheet = np.concatenate(strips, axis=0)
        Image.fromarray(sheet).resize((sheet.shape[1] * 3, sheet.shape[0] * 3), Image.NEAREST).save(
            out / "full_turn.png")
    return report


def picture_revisits(session: Any, folder: Path) -> tuple[dict[str, PictureRevisit], np.ndarray]:
    """From each picture in ``folder`` that is not a Doom frame (the worlds were trained on Doom): a whole turn
    and a walk out and back, at the world's display size. Per picture: the view back at the start against the
    picture (PSNR; for the walk, on the frame of the way back where the camera is nearest the start, and how
    far that is), and the shown frame's sharpness as a share of the picture's on a turn's first 4 frames and
    on the return; half a turn away (never seen) against the picture, the world's view and the plain
    synthesis reference's. Also a sheet: each picture, a turn's 2nd, 10th, 20th, 30th frames and the
    return, half a turn away again, the reference's view there, then the walk's furthest frame and its
    return."""
    from PIL import Image

    pictures = sorted(path for path in folder.iterdir()
                      if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp") and not path.name.startswith("doom"))
    right = Action(turn=TURN_STEP)
    walk = [Action(forward=True)] * WALK + [Action(backward=True)] * (2 * WALK)
    results: dict[str, PictureRevisit] = {}
    rows = []
    for path in pictures:
        picture = session.reset(path)
        # A whole turn and half another: half a turn away as a player turning at once sees it, and again
        # later (with the world builder: its coarse surround, then its refined one).
        turn = np.stack([picture] + [session.step(right) for _ in range(FULL_TURN + FULL_TURN // 2)])
        session.reset(path)
        walked, gaps = [picture], []
        for action in walk:
            walked.append(session.step(action))
            gaps.append(np.inf if session.pose is None else float(np.hypot(*session.pose[:2])))
        # Back at the start: Doom's momentum carries a walk on, so the frame of the way back nearest to it.
        back = WALK + int(np.argmin(gaps[WALK:])) + 1 if session.pose is not None else 2 * WALK
        own = float(sharpness(picture[None])[0])
        half = FULL_TURN // 2
        # The reference at most at Doom's own size (a fill four 640x480 pictures wide takes a minute), each
        # view measured against the picture at its own size.
        reference_size = min(session.frame_size, REFERENCE_SIZE)
        own_picture = np.asarray(Image.open(path).convert("RGB"))
        reference = plain_synthesis(own_picture, reference_size)
        box_picture = np.asarray(Image.fromarray(own_picture).resize(reference_size, Image.BOX))
        results[path.name] = PictureRevisit(
            turn_back_vs_picture=float(psnr(turn[FULL_TURN], picture)),
            walk_back_vs_picture=float(psnr(walked[back], picture)),
            walk_back_from_start=float(gaps[back - 1]),
            sharpness_first_4=float(sharpness(turn[1:5]).mean() / own),
            sharpness_back=float(sharpness(turn[FULL_TURN][None])[0] / own),
            first_half=half_turn_measures(turn[half], picture), half=half_turn_measures(turn[-1], picture),
            plain_synthesis_half=half_turn_measures(reference, box_picture),
            surround_seconds={} if session.memory is None else dict(session.memory.surround_timings))
        rows.append(np.concatenate([turn[i] for i in (0, 2, 10, 20, 30, FULL_TURN, -1)]
                                   + [np.asarray(Image.fromarray(reference).resize(session.frame_size))]
                                   + [walked[WALK], walked[back]], 1))
    sheet = np.concatenate(rows, axis=0) if rows else np.zeros((1, 1, 3), np.uint8)
    return results, sheet
