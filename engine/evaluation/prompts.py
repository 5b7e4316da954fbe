"""How a world pack behaves from the bundled prompts, Doom and not: 300-frame rollouts on ONNX Runtime (as a
player runs it) with a fixed action script, measuring whether the world keeps moving, keeps its contrast
and sharpness, and still turns left and right when asked.

    dreamwalk eval prompts [PACK] assets/prompts [--frames 300] --out DIR

The script: walk forward (frames 0-59), turn left 8°/frame (60-99), turn right (100-139), walk and strafe
(140-end). Turning is read from the frames themselves: the content of a view turning left moves right
(``horizontal_shift``). At frame 150 the world branches: 12 frames turning left against 12 turning right
from the same moment (``snapshot``/``restore``); both must move the view the right way. Then, from the
prompt again, the player stands still for 60 frames (no action, as play begins): the view should hold
(``still_psnr``, PSNR against the first frame at 1/16/60 frames).
Writes ``prompt_rollouts.json``, ``prompt_rollouts.png`` (one row per prompt, every 30th frame) and
``prompt_rollouts_still.png`` (the standing-still rollouts, every 6th frame).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from engine.errors import DreamwalkError
from engine.evaluation.metrics import contrast, horizontal_shift, psnr, sharpness
from engine.reports.common import write_report
from engine.reports.prompts import PromptReport, PromptRollout
from engine.runtime import WorldSession

TURN = 8.0
BRANCH_AT, BRANCH_FRAMES = 150, 12
STILL_FRAMES, STILL_HORIZONS = 60, (1, 16, 60)


def scripted_action(t: int) -> dict:
    if t < 60:
        return {"forward": True}
    if t < 100:
        return {"turn": -TURN}
    if t < 140:
        return {"turn": TURN}
    return {"forward": True, "left": (t // 20) % 2 == 0, "right": (t // 20) % 2 == 1, "turn": 2.0 * np.sin(t / 9)}


def mean_shift(frames: list[np.ndarray]) -> float:
    return float(np.mean([horizontal_shift(a, b) for a, b in zip(frames[:-1], frames[1:])]))


def roll(session: WorldSession, prompt: Path, frames: int) -> tuple[PromptRollout, np.ndarray, np.ndarray]:
    """The scripted rollout from ``prompt``: its numbers, the video (frames + 1, h, w, 3) and the standing-still
    frames (STILL_FRAMES + 1, h, w, 3)."""
    first = session.reset(prompt)
    dreamed = [first]
    for t in range(frames):
        dreamed.append(session.step(scripted_action(t)))
        if t + 1 == BRANCH_AT:
            moment = session.snapshot()
    video = np.stack(dreamed)
    # The branch test: from the same moment, left against right.
    session.restore(moment)
    left = [session.step({"turn": -TURN}) for _ in range(BRANCH_FRAMES)]
    session.restore(moment)
    right = [session.step({"turn": TURN}) for _ in range(BRANCH_FRAMES)]
    start = video[BRANCH_AT]
    left_shift, right_shift = mean_shift([start] + left), mean_shift([start] + right)
    # Standing still from the prompt: the view should hold.
    held = session.reset(prompt)
    still = np.stack([held] + [session.step({}) for _ in range(STILL_FRAMES)])
    still_psnr = psnr(still[1:], np.broadcast_to(held, still[1:].shape))
    motion = np.abs(np.diff(video.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
    prompt_contrast, prompt_sharpness = float(contrast(first)), float(sharpness(first))
    last = video[-100:]
    result = PromptRollout(
        frames=frames,
        contrast_ratio_last_100=float(contrast(last).mean() / max(prompt_contrast, 1e-6)),
        sharpness_ratio_last_100=float(sharpness(last).mean() / max(prompt_sharpness, 1e-6)),
        flat_frames=int((contrast(video) < 0.3 * prompt_contrast).sum()),
        blurred_frames=int((sharpness(video) < 0.3 * prompt_sharpness).sum()),
        still_frames=int((motion < 0.5).sum()),
        mean_motion_last_100=float(motion[-100:].mean()),
        shift_turning_left=mean_shift(list(video[60:100])),
        shift_turning_right=mean_shift(list(video[100:140])),
        branch_shift_left=left_shift,
        branch_shift_right=right_shift,
        turns_both_ways=bool(left_shift > 0 > right_shift),
        still_psnr={h: float(still_psnr[h - 1]) for h in STILL_HORIZONS})
    return result, video, still


def prompt_rollouts(pack: str | Path | None, prompts: Path, out: Path, frames: int = 300, precision: str = "auto",
                    report: str = "prompt_rollouts",
                    progress: Callable[[str, PromptRollout], None] | None = None) -> PromptReport:
    """Roll the world out from every picture named in ``prompts``/captions.json (``progress(name, rollout)``
    after each); writes REPORT.json and the sheets REPORT.png, REPORT_still.png into ``out``."""
    try:
        captions = json.loads((Path(prompts) / "captions.json").read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DreamwalkError(f"{prompts} is not a folder of prompts with a readable captions.json: {error}") from error
    session = WorldSession.open(pack, device="cpu", seed=0, precision=precision)
    results, rows, still_rows = {}, [], []
    for name in sorted(captions):
        result, video, still = roll(session, Path(prompts) / name, frames)
        results[name] = result
        rows.append(np.concatenate(list(video[:: 30]), axis=1))
        still_rows.append(np.concatenate(list(still[:: 6]), axis=1))
        if progress is not None:
            progress(name, result)
    Path(out).mkdir(parents=True, exist_ok=True)
    summary = PromptReport(str(pack or "bundled"), results, session.precision)
    write_report(Path(out) / f"{report}.json", summary.to_json())
    for sheet, suffix in ((np.concatenate(rows, axis=0), ""), (np.concatenate(still_rows, axis=0), "_still")):
        Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.NEAREST).save(
            Path(out) / f"{report}{suffix}.png")
    session.close()
    return summary
