"""What a player notices, against live ViZDoom on held-out maps: does the view move the way the controls say,
and does the world remember what it showed (`dreamwalk eval [PACK] --revisits`).

From starts on MAP21-MAP24 (an explore walk of a map from its start, stopped at different lengths), each
protocol plays the same actions in ViZDoom and in the world, from the same prompt:

- ``full_turn``: 40 frames turning right 9 degrees each, a whole turn: the last view against the prompt;
- ``half_turn_back``: 20 frames right, 20 left: the view back at the start against the prompt;
- ``second_turn``: two whole turns: each frame of the second against the same frame of the first;
- ``walk_out_back``: 16 frames forward into open floor and 16 back (starts facing at least 300 map units of
  floor): how much nearer the frames are to the real views than the prompt is, walking out and at the end;
- ``turn_response``: still, 5 frames right at 8 degrees, 5 left, still: the content's shift each frame against
  Doom's (engine.evaluation.metrics.horizontal_shift), on a turn's first 4 frames and steady;
- ``minute``: 1,050 frames of the evaluation probe's varied actions (from one start a map): each 150-frame
  block's contrast and sharpness against the real frames of that block, frames gone flat, and the process's
  memory after each. Shown larger than the networks' frames, beside it the perfect dream: the real frames at
  the networks' size, upscaled as the player upscales a dream (what bounds the detail of anything dreamed).

With a folder of pictures (``--prompts``), the world also turns a whole turn and walks out and back from each
one that is not a Doom frame (paintings, sketches, photos): does the picture come back, and as sharp.

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

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from engine.actions import Action
from engine.policies import make_policy
from engine.data.sources import open_place, parse_places
from engine.images import area_resize
from engine.evaluation.metrics import colour_distance, contrast, horizontal_shift, psnr, sharpness, texture_distance
from engine.evaluation.probe import ProbePolicy
from engine.geometry import DOOM_EYE_HEIGHT, DOOM_FIELD_OF_VIEW, fill_gaps
from engine.memory import MemoryConfig, PointMemory
from engine.memory.builder import BuilderConfig, build_surround, matching_width, solve_surround
from engine.memory.points import BUILT

FULL_TURN, TURN_STEP = 40, 9.0
WALK = 16
OPEN_FLOOR = 300.0                    # map units of floor ahead a walk start must have (16 frames walk ~250)
RESPONSE_TURN = 8.0
SETTLE = 20                           # still frames before the prompt: a player who stops slides on for ~16
MINUTE, BLOCK = 1050, 150             # a minute of play, looked at in blocks of this many frames
REFERENCE_SIZE = (160, 120)           # the plain synthesis reference is solved at most at this size a picture


def protocols() -> dict[str, list[Action]]:
    right, left = Action(turn=TURN_STEP), Action(turn=-TURN_STEP)
    return {
        "full_turn": [right] * FULL_TURN,
        "half_turn_back": [right] * (FULL_TURN // 2) + [left] * (FULL_TURN // 2),
        "second_turn": [right] * (2 * FULL_TURN),
        "walk_out_back": [Action(forward=True)] * WALK + [Action(backward=True)] * WALK,
        "turn_response": [Action()] * 2 + [Action(turn=RESPONSE_TURN)] * 5 + [Action(turn=-RESPONSE_TURN)] * 5
                         + [Action()] * 2,
        "minute": minute_of_play(),
    }


def minute_of_play(seed: int = 0) -> list[Action]:
    """A minute (MINUTE frames at 17.5 frames/s) of the evaluation probe's varied actions: held turns, walks,
    strafes, looks and stops."""
    policy = ProbePolicy(seed)
    return [policy.act() for _ in range(MINUTE)]


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
    names: list[str] = field(default_factory=lambda: list(protocols()))


@dataclass
class Start:
    place: str
    seed: int
    walk: list[Action]                     # from the map's start to the prompt


@dataclass
class Played:
    """One protocol from one start: the prompt and, frame by frame, what each of real / memory / world shows."""
    prompt: np.ndarray                                   # (H, W, 3) at the native size
    frames: dict[str, np.ndarray] = field(default_factory=dict)    # name -> (T + 1, h, w, 3), the prompt first


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


def upper(frames: np.ndarray) -> np.ndarray:
    """The view above the weapon: the upper three quarters of (..., H, W, 3)."""
    return frames[..., : frames.shape[-3] * 3 // 4, :, :]


def play_real(start: Start, name: str, actions: list[Action]) -> tuple[np.ndarray, list[np.ndarray],
                                                                      list[np.ndarray], bool]:
    """ViZDoom from ``start`` (for a walk: turned to face open floor first): the frames (prompt first), the
    depth and pose of the prompt and then of every frame, and whether the protocol could be played."""
    with open_place("vizdoom", start.place, seed=start.seed, depth=True) as source:
        frame = source.reset()
        for action in start.walk:
            frame = source.step(action)
        if name == "walk_out_back":
            turns, frame = facing_open_floor(source, frame)
            if not turns:
                return np.stack([frame]), [], [], False
        frames, depths, poses = [frame], [source.depth.copy()], [source.pose.copy()]
        for action in actions:
            frames.append(source.step(action))
            depths.append(source.depth.copy())
            poses.append(source.pose.copy())
    return np.stack(frames), depths, poses, True


def play_memory(frames: np.ndarray, depths: list[np.ndarray], poses: list[np.ndarray]) -> np.ndarray:
    """The memory alone: the prompt lifted by its true depth (the view above the weapon), drawn at each true
    pose, what it never saw filled from its neighbours."""
    height, width = frames.shape[1:3]
    keep = np.zeros((height, width), bool)
    keep[: height * 3 // 4] = True
    memory = PointMemory()
    memory.add(frames[0], depths[0], poses[0], keep)
    drawn = [memory.render(pose, (width, height)) for pose in poses]
    rendered = np.stack([frame for frame, _, _ in drawn])
    return fill_gaps(rendered, ~np.stack([covered for _, covered, _ in drawn]))


def play_builder(frames: np.ndarray, depths: list[np.ndarray], poses: list[np.ndarray]) -> np.ndarray:
    """The builder alone: as ``play_memory``, with the prompt continued into a surround from its own pixels
    (coarse, then refined, as a player gets it) lifted as built points around the prompt's pose."""
    height, width = frames.shape[1:3]
    keep = np.zeros((height, width), bool)
    keep[: height * 3 // 4] = True
    config = BuilderConfig()
    coarse = solve_surround(frames[0], DOOM_FIELD_OF_VIEW, config.coarse_width, config)
    refined = solve_surround(frames[0], DOOM_FIELD_OF_VIEW, config.width, config, coarse)
    surround = build_surround(refined, frames[0], depths[0], matching_width(width, DOOM_FIELD_OF_VIEW),
                              DOOM_EYE_HEIGHT)
    built = surround.built & (surround.distance > 0)
    memory = PointMemory(MemoryConfig(capacity=150_000 + built.size, fill_rounds=2))
    memory.add(frames[0], depths[0], poses[0], keep)
    memory.add_points(surround.points(poses[0])[built].astype(np.float32), surround.colour[built],
                      surround.footprints()[built], kind=BUILT)
    drawn = [memory.render(pose, (width, height)) for pose in poses]
    rendered = np.stack([frame for frame, _, _ in drawn])
    return fill_gaps(rendered, ~np.stack([covered for _, covered, _ in drawn]))


def plain_synthesis(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The reference for a view half a turn from a picture: a plain PatchMatch fill (patchmatch-cython) of a
    cylinder four pictures wide at ``size`` each, the picture in the second place, no depth, no network;
    the quarter opposite the picture."""
    from patchmatch_cython import inpaint_pyramid
    from PIL import Image

    width, height = size
    strip = np.zeros((height, 4 * width, 3), np.uint8)
    strip[:, width:2 * width] = np.asarray(Image.fromarray(picture).resize(size, Image.BOX))
    hole = np.ones((height, 4 * width), bool)
    hole[:, width:2 * width] = False
    return inpaint_pyramid(strip, hole, patch_size=7, seed=0)[:, 3 * width:]


def half_turn_measures(view: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """A view never seen (half a turn from the prompt) against what it should look like: contrast and
    sharpness ratios, colour and texture distances."""
    return {"contrast": float(contrast(view[None])[0] / max(contrast(reference[None])[0], 1e-9)),
            "sharpness": float(sharpness(view[None])[0] / max(sharpness(reference[None])[0], 1e-9)),
            "colour_distance": colour_distance(view, reference), "texture_distance": texture_distance(view, reference)}


def perfect_dream(real: np.ndarray, model_size: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """The reference that bounds a minute of play shown larger than the networks dream: the real frames at
    the networks' frame size, shown at ``size`` (bilinear, as the player upscales a dream). Where the memory
    holds nothing, no world of that frame size shows more detail than this."""
    from engine.images import bilinear_resize as resize

    return np.stack([resize(frame, size) for frame in area_resize(real, model_size)])


def host_memory_mib() -> float:
    """This process's resident memory (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError):
        return 0.0


def play_world(session: Any, prompt: np.ndarray, actions: list[Action]) -> np.ndarray:
    return np.stack([session.reset(prompt)] + [session.step(action) for action in actions])


def measure(name: str, frames: dict[str, np.ndarray]) -> dict[str, float]:
    """Per protocol, per player of it (real, memory, world): the protocol's numbers, on the upper view."""
    real = upper(frames["real"])
    out: dict[str, float] = {}
    for who, seen in frames.items():
        seen = upper(seen)
        if name in ("full_turn", "half_turn_back"):
            out[f"{who}_vs_prompt"] = float(psnr(seen[-1], seen[0]))
            if who != "real":
                out[f"{who}_vs_real_end"] = float(psnr(seen[-1], real[-1]))
            if name == "full_turn" and who != "real":                  # half a turn away: never seen
                half = FULL_TURN // 2
                out.update({f"{who}_half_{key}": value
                            for key, value in half_turn_measures(seen[half], real[half]).items()})
        elif name == "second_turn":
            out[f"{who}_second_vs_first"] = float(psnr(seen[FULL_TURN + 1:], seen[1: FULL_TURN + 1]).mean())
        elif name == "walk_out_back" and who != "real":
            prompt_gap = psnr(np.broadcast_to(real[0], real[1:].shape), real[1:])
            gain = psnr(seen[1:], real[1:]) - prompt_gap
            out[f"{who}_out_vs_prompt"] = float(gain[:WALK].mean())
            out[f"{who}_end_vs_prompt"] = float(gain[-1])
        elif name == "turn_response":
            out[f"{who}_shifts"] = [horizontal_shift(a, b) for a, b in zip(seen[:-1], seen[1:])]
        elif name == "minute":
            # Frames under 0.3 of real play's mean contrast; real play has some too (a wall seen from close up).
            out[f"{who}_flat_frames"] = float((contrast(seen[1:]) < 0.3 * contrast(real[1:]).mean()).sum())
            if who != "real":       # each block's contrast and sharpness against the real frames of the same block
                blocks = [slice(first, first + BLOCK) for first in range(1, len(seen) - BLOCK + 1, BLOCK)]
                out[f"{who}_contrast_blocks"] = [float(contrast(seen[b]).mean() / contrast(real[b]).mean())
                                                 for b in blocks]
                out[f"{who}_sharpness_blocks"] = [float(sharpness(seen[b]).mean() / sharpness(real[b]).mean())
                                                  for b in blocks]
    return out


def summarise(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Means and standard errors over the starts; turn response as shares of Doom's shift."""
    if name == "minute":
        summary = {"starts": len(rows)}
        for who in [key[: -len("_contrast_blocks")] for key in rows[0] if key.endswith("_contrast_blocks")]:
            contrasts = np.array([row[f"{who}_contrast_blocks"] for row in rows]).mean(axis=0)
            sharpnesses = np.array([row[f"{who}_sharpness_blocks"] for row in rows]).mean(axis=0)
            summary.update({f"{who}_contrast_blocks": contrasts.round(3).tolist(),
                            f"{who}_sharpness_blocks": sharpnesses.round(3).tolist(),
                            f"{who}_contrast_range": [float(contrasts.min()), float(contrasts.max())],
                            f"{who}_sharpness_range": [float(sharpnesses.min()), float(sharpnesses.max())]})
        summary.update({key: float(sum(row[key] for row in rows)) for key in rows[0] if key.endswith("_flat_frames")})
        summary["host_mib"] = [float(row["host_mib"]) for row in rows]
        return summary
    if name == "turn_response":
        shifts = {key[: -len("_shifts")]: np.array([row[key] for row in rows]) for key in rows[0]}
        real = shifts["real"].mean(axis=0)
        turning = [t for t in range(len(real)) if abs(real[t]) > 0.5]
        first, steady = turning[:4], turning[4:] or turning
        summary = {"real_mean_shift": real.round(3).tolist()}
        for who, values in shifts.items():
            mean = values.mean(axis=0)
            summary[f"{who}_first_4"] = float(mean[first].sum() / real[first].sum())
            summary[f"{who}_steady"] = float(mean[steady].sum() / real[steady].sum())
        return summary
    summary: dict[str, Any] = {"starts": len(rows)}
    for key in rows[0]:
        values = np.array([row[key] for row in rows])
        summary[key] = float(values.mean())
        summary[f"{key}_stderr"] = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    return summary


def evaluate_revisits(config: RevisitConfig,
                      progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Every protocol from every start (``progress(protocol, starts done, starts)`` after each), then the
    pictures; the report (written by the caller) and, in ``config.out``, the strips."""
    session = None
    if config.world:
        from engine.runtime.session import WorldSession

        session = WorldSession.open(config.world, device="cpu", display_size=config.display_size)
        config.size = session.frame_size
    starts = [start for place in parse_places("vizdoom", config.maps)
              for start in find_starts(place, config.starts_per_map, config.seed)]
    all_actions = protocols()
    report: dict[str, Any] = {"world": config.world, "maps": config.maps, "size": list(config.size),
                              "view": "upper three quarters (above the weapon)", "protocols": {}}
    strips: list[np.ndarray] = []
    try:
        for name in config.names:
            rows = []
            # A minute from every start would be most of the evaluation: one start a map.
            chosen = starts[:: config.starts_per_map] if name == "minute" else starts
            for done, start in enumerate(chosen):
                if progress is not None:
                    progress(name, done, len(chosen))
                real, depths, poses, playable = play_real(start, name, all_actions[name])
                if not playable:
                    continue
                frames = {"real": area_resize(real, config.size)}
                if name != "minute":                          # the prompt alone says nothing of a minute
                    frames["memory"] = area_resize(play_memory(real, depths, poses), config.size)
                if name == "full_turn":
                    frames["builder"] = area_resize(play_builder(real, depths, poses), config.size)
                elif session is not None and session.model_size != tuple(config.size):
                    frames["perfect_dream"] = perfect_dream(real, session.model_size, config.size)
                if session is not None:
                    frames["world"] = play_world(session, real[0], all_actions[name])
                elif name == "minute":
                    continue
                rows.append(measure(name, frames))
                if name == "minute":
                    rows[-1]["host_mib"] = host_memory_mib()
                if name == "full_turn":
                    strips.append(np.concatenate([frames[who][index] for who in frames
                                                  for index in (0, FULL_TURN // 2, -1)], axis=1))
            report["protocols"][name] = summarise(name, rows) if rows else {"starts": 0}
        if session is not None and config.prompts:
            report["pictures"], sheet = picture_revisits(session, Path(config.prompts))
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


def picture_revisits(session: Any, folder: Path) -> tuple[dict[str, Any], np.ndarray]:
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
    results: dict[str, Any] = {}
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
        results[path.name] = {
            "turn_back_vs_picture": float(psnr(turn[FULL_TURN], picture)),
            "walk_back_vs_picture": float(psnr(walked[back], picture)),
            "walk_back_from_start": float(gaps[back - 1]),
            "sharpness_first_4": float(sharpness(turn[1:5]).mean() / own),
            "sharpness_back": float(sharpness(turn[FULL_TURN][None])[0] / own),
            **{f"first_half_{key}": value for key, value in half_turn_measures(turn[half], picture).items()},
            **{f"half_{key}": value for key, value in half_turn_measures(turn[-1], picture).items()},
            **{f"plain_synthesis_half_{key}": value for key, value in half_turn_measures(
                reference, np.asarray(Image.fromarray(own_picture).resize(reference_size, Image.BOX))).items()},
        }
        if session.memory is not None:
            results[path.name].update({f"surround_{key}_seconds": value
                                       for key, value in session.memory.surround_timings.items()})
        rows.append(np.concatenate([turn[i] for i in (0, 2, 10, 20, 30, FULL_TURN, -1)]
                                   + [np.asarray(Image.fromarray(reference).resize(session.frame_size))]
                                   + [walked[WALK], walked[back]], 1))
    sheet = np.concatenate(rows, axis=0) if rows else np.zeros((1, 1, 3), np.uint8)
    return results, sheet


def revisit_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"revisits on {report['maps']} at {report['size'][0]}x{report['size'][1]}, {report['view']}:"]
    for name, summary in report["protocols"].items():
        cells = [f"{key} {value:.2f}" + (f" ± {summary[key + '_stderr']:.2f}" if key + "_stderr" in summary else "")
                 for key, value in summary.items()
                 if isinstance(value, float) and not key.endswith("_stderr")]
        cells += [f"{key} {low:.2f}-{high:.2f}" for key, (low, high) in
                  ((key, value) for key, value in summary.items() if key.endswith("_range"))]
        lines.append(f"  {name} ({summary.get('starts', '-')} starts): " + ", ".join(cells))
    for name, result in report.get("pictures", {}).items():
        lines.append(f"  {name}: " + ", ".join(f"{key} {value:.2f}" for key, value in result.items()))
    return lines
