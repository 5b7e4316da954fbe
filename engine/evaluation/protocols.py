"""How each revisit protocol is played and measured (engine.evaluation.revisits): its actions, which players
play it beside ViZDoom, its numbers per start and their summary into the protocol's record
(engine.reports.protocols).

- ``full_turn``: 40 frames turning right 9 degrees each, a whole turn: the last view against the prompt, and
  half a turn away (never seen) against the real view there;
- ``half_turn_back``: 20 frames right, 20 left: the view back at the start against the prompt;
- ``second_turn``: two whole turns: each frame of the second against the same frame of the first;
- ``walk_out_back``: 16 frames forward into open floor and 16 back: how much nearer the frames are to the real
  views than the prompt is, walking out and at the end;
- ``turn_response``: still, 5 frames right at 8 degrees, 5 left, still: the content's shift each frame against
  Doom's (engine.evaluation.metrics.horizontal_shift), on a turn's first 4 frames and steady;
- ``minute``: 1,050 frames of the evaluation probe's varied actions: each 150-frame block's contrast and
  sharpness against the real frames of that block, frames gone flat, and the process's memory after each.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from engine.actions import Action
from engine.evaluation.metrics import contrast, horizontal_shift, psnr, sharpness
from engine.evaluation.probe import ProbePolicy
from engine.evaluation.references import half_turn_measures, upper
from engine.reports.protocols import FullTurn, HalfTurnBack, Minute, SecondTurn, TurnResponse, WalkOutBack
from engine.reports.revisits import ProtocolRecord

FULL_TURN, TURN_STEP = 40, 9.0
WALK = 16
RESPONSE_TURN = 8.0
MINUTE, BLOCK = 1050, 150             # a minute of play, looked at in blocks of this many frames

Frames = dict[str, np.ndarray]        # player -> (T + 1, h, w, 3), the prompt first; "real" is ViZDoom
Row = dict[str, Any]                  # one start's numbers, "{player}_{measure}"


@dataclass(frozen=True)
class Protocol:
    name: str
    actions: Callable[[], list[Action]]
    measure: Callable[[Frames], Row]
    summarise: Callable[[list[Row]], ProtocolRecord]
    faces_open_floor: bool = False     # turned to face open floor before the prompt
    memory_alone: bool = True          # the memory alone plays it too (the prompt alone says nothing of a minute)
    builder_alone: bool = False        # and the builder alone
    one_start_a_map: bool = False      # played from each map's first start only
    needs_world: bool = False          # nothing to measure without a world
    strip: bool = False                # its frames go into full_turn.png


def minute_of_play(seed: int = 0) -> list[Action]:
    """A minute (MINUTE frames at 17.5 frames/s) of the evaluation probe's varied actions: held turns, walks,
    strafes, looks and stops."""
    policy = ProbePolicy(seed)
    return [policy.act() for _ in range(MINUTE)]


def host_memory_mib() -> float:
    """This process's resident memory (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError):
        return 0.0


def measure_turn_back(frames: Frames, half_turn: bool = False) -> Row:
    """The last view against the prompt (every player) and against the real last view; with ``half_turn``,
    half a turn away (never seen) against the real view there."""
    real, row = upper(frames["real"]), {}
    for who, seen in frames.items():
        seen = upper(seen)
        row[f"{who}_vs_prompt"] = float(psnr(seen[-1], seen[0]))
        if who != "real":
            row[f"{who}_vs_real_end"] = float(psnr(seen[-1], real[-1]))
        if half_turn and who != "real":
            half = FULL_TURN // 2
            measures = half_turn_measures(seen[half], real[half])
            row.update({f"{who}_half_{key}": value for key, value in measures.items()})
    return row


def measure_second_turn(frames: Frames) -> Row:
    return {f"{who}_second_vs_first": float(psnr(upper(seen)[FULL_TURN + 1:], upper(seen)[1: FULL_TURN + 1]).mean())
            for who, seen in frames.items()}


def measure_walk(frames: Frames) -> Row:
    real, row = upper(frames["real"]), {}
    prompt_gap = psnr(np.broadcast_to(real[0], real[1:].shape), real[1:])
    for who, seen in frames.items():
        if who != "real":
            gain = psnr(upper(seen)[1:], real[1:]) - prompt_gap
            row[f"{who}_out_vs_prompt"] = float(gain[:WALK].mean())
            row[f"{who}_end_vs_prompt"] = float(gain[-1])
    return row


def measure_response(frames: Frames) -> Row:
    return {f"{who}_shifts": [horizontal_shift(a, b) for a, b in zip(upper(seen)[:-1], upper(seen)[1:])]
            for who, seen in frames.items()}


def measure_minute(frames: Frames) -> Row:
    real, row = upper(frames["real"]), {}
    for who, seen in frames.items():
        seen = upper(seen)
        # Frames under 0.3 of real play's mean contrast; real play has some too (a wall seen from close up).
        row[f"{who}_flat_frames"] = float((contrast(seen[1:]) < 0.3 * contrast(real[1:]).mean()).sum())
        if who != "real":       # each block's contrast and sharpness against the real frames of the same block
            blocks = [slice(first, first + BLOCK) for first in range(1, len(seen) - BLOCK + 1, BLOCK)]
            row[f"{who}_contrast_blocks"] = [float(contrast(seen[b]).mean() / contrast(real[b]).mean()) for b in blocks]
            row[f"{who}_sharpness_blocks"] = [float(sharpness(seen[b]).mean() / sharpness(real[b]).mean())
                                              for b in blocks]
    row["host_mib"] = host_memory_mib()
    return row


def estimates(rows: list[Row]) -> Row:
    """Every number's mean over the starts and its standard error (0 from a single start)."""
    summary: Row = {"starts": len(rows)}
    for key in rows[0] if rows else []:
        values = np.array([row[key] for row in rows])
        summary[key] = float(values.mean())
        summary[f"{key}_stderr"] = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    return summary


def summarise_response(rows: list[Row]) -> TurnResponse:
    """Each player's shift as a share of Doom's, on a turn's first 4 frames and steady."""
    if not rows:
        return TurnResponse()
    shifts = {key[: -len("_shifts")]: np.array([row[key] for row in rows]) for key in rows[0]}
    real = shifts["real"].mean(axis=0)
    turning = [t for t in range(len(real)) if abs(real[t]) > 0.5]
    first, steady = turning[:4], turning[4:] or turning
    summary: Row = {"real_mean_shift": real.round(3).tolist()}
    for who, values in shifts.items():
        mean = values.mean(axis=0)
        summary[f"{who}_first_4"] = float(mean[first].sum() / real[first].sum())
        summary[f"{who}_steady"] = float(mean[steady].sum() / real[steady].sum())
    return TurnResponse.from_json(summary)


def summarise_minute(rows: list[Row]) -> Minute:
    """Each player's blocks averaged over the starts, and their ranges; flat frames summed; memory per start."""
    if not rows:
        return Minute(0)
    summary: Row = {"starts": len(rows)}
    for who in [key[: -len("_contrast_blocks")] for key in rows[0] if key.endswith("_contrast_blocks")]:
        contrasts = np.array([row[f"{who}_contrast_blocks"] for row in rows]).mean(axis=0)
        sharpnesses = np.array([row[f"{who}_sharpness_blocks"] for row in rows]).mean(axis=0)
        summary.update({f"{who}_contrast_blocks": contrasts.round(3).tolist(),
                        f"{who}_sharpness_blocks": sharpnesses.round(3).tolist(),
                        f"{who}_contrast_range": [float(contrasts.min()), float(contrasts.max())],
                        f"{who}_sharpness_range": [float(sharpnesses.min()), float(sharpnesses.max())]})
    summary.update({key: float(sum(row[key] for row in rows)) for key in rows[0] if key.endswith("_flat_frames")})
    summary["host_mib"] = [float(row["host_mib"]) for row in rows]
    return Minute.from_json(summary)


def turning(steps: int, turn: float = TURN_STEP) -> list[Action]:
    return [Action(turn=turn)] * steps


PROTOCOLS = {protocol.name: protocol for protocol in (
    Protocol("full_turn", lambda: turning(FULL_TURN), lambda frames: measure_turn_back(frames, half_turn=True),
             lambda rows: FullTurn.from_json(estimates(rows)), builder_alone=True, strip=True),
    Protocol("half_turn_back", lambda: turning(FULL_TURN // 2) + turning(FULL_TURN // 2, -TURN_STEP),
             measure_turn_back, lambda rows: HalfTurnBack.from_json(estimates(rows))),
    Protocol("second_turn", lambda: turning(2 * FULL_TURN), measure_second_turn,
             lambda rows: SecondTurn.from_json(estimates(rows))),
    Protocol("walk_out_back", lambda: [Action(forward=True)] * WALK + [Action(backward=True)] * WALK, measure_walk,
             lambda rows: WalkOutBack.from_json(estimates(rows)), faces_open_floor=True),
    Protocol("turn_response", lambda: [Action()] * 2 + turning(5, RESPONSE_TURN) + turning(5, -RESPONSE_TURN)
             + [Action()] * 2, measure_response, summarise_response),
    Protocol("minute", minute_of_play, measure_minute, summarise_minute, memory_alone=False, one_start_a_map=True,
             needs_world=True),
)}
