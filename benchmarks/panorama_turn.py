"""A panorama used whole: Doom's real full turn (ViZDoom, Freedoom 2, no HUD or weapon) stitched into a
cylindrical panorama; the world started from the panorama, and from its first view alone (the real start frame,
as any 4:3 picture), stands until its surround is refined, then turns right a whole turn; each view an eighth
of a turn apart is measured against the real view there (PSNR, contrast ratio, colour distance). Writes the
panoramas, a sheet (per map: real / from the panorama / from the first view alone, at 0, 45, ... 315 degrees)
and the figures as JSON.

    python benchmarks/panorama_turn.py [--maps MAP01 MAP06 MAP10] [--size 160x120] [--out docs/results/panorama-turn]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from engine.data.prompts import doom_turn, stitch_panorama
from engine.evaluation.metrics import colour_distance, contrast, psnr
from engine.images import area_resize
from engine.runtime import WorldSession
from engine.runtime.building import REFINED_AT

ROOT = Path(__file__).resolve().parents[1]
EIGHTHS = 8                    # views measured round the turn
STEPS_AN_EIGHTH = 8            # the world turns an eighth of a turn in this many frames


def turn(session: WorldSession, prompt: Path) -> list[np.ndarray]:
    """The world's views an eighth of a turn apart, turning right after standing until the refined surround."""
    session.reset(prompt)
    for _ in range(REFINED_AT):
        session.step({})
    views = [session.step({})]
    for _ in range(EIGHTHS - 1):
        for _ in range(STEPS_AN_EIGHTH):
            frame = session.step({"turn": 45.0 / STEPS_AN_EIGHTH})
        views.append(frame)
    return views


def measure(views: list[np.ndarray], real: list[np.ndarray]) -> dict[str, list[float]]:
    return {"psnr": [round(float(psnr(view[None], truth[None])[0]), 2) for view, truth in zip(views, real)],
            "contrast": [round(float(contrast(view[None])[0] / max(contrast(truth[None])[0], 1e-6)), 2)
                         for view, truth in zip(views, real)],
            "colour_distance": [round(colour_distance(view, truth), 3) for view, truth in zip(views, real)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default=str(ROOT / "assets" / "worlds" / "doom.dwpack"))
    parser.add_argument("--maps", nargs="+", default=["MAP01", "MAP06", "MAP10"])
    parser.add_argument("--size", default="160x120")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "panorama-turn"))
    args = parser.parse_args()
    size = tuple(int(part) for part in args.size.split("x"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results, rows = [], []
    with tempfile.TemporaryDirectory() as folder, \
            WorldSession.open(args.world, device="cpu", display_size=size) as session:
        for map_name in args.maps:
            frames, angles = doom_turn(map_name)
            panorama = stitch_panorama(frames, angles)
            pictures = {"panorama": Path(folder) / f"{map_name}-panorama.png",
                        "first view": Path(folder) / f"{map_name}-view.png"}
            Image.fromarray(panorama).save(pictures["panorama"])
            Image.fromarray(frames[0]).save(pictures["first view"])
            step = len(frames) // EIGHTHS
            real = [area_resize(frame[None], size)[0] for frame in frames[::step]]
            result = {"map": map_name, "angles": [round(float(angle), 1) for angle in angles[::step]]}
            shown = [real]
            for name, picture in pictures.items():
                views = turn(session, picture)
                result[name] = measure(views, real)
                shown.append(views)
            results.append(result)
            rows.append(np.concatenate([np.concatenate(line, axis=1) for line in shown], axis=0))
            Image.fromarray(panorama).resize((panorama.shape[1] // 2, panorama.shape[0] // 2), Image.BOX).save(
                f"{out}-{map_name.lower()}.jpg", quality=90)
            far = slice(2, 7)                              # 90 to 270 degrees: what the first view never showed
            print(f"{map_name}: 90-270 degrees, median PSNR / contrast / colour distance against the real views: "
                  + "; ".join(f"{name} {np.median(result[name]['psnr'][far]):.1f} dB / "
                              f"{np.median(result[name]['contrast'][far]):.2f} / "
                              f"{np.median(result[name]['colour_distance'][far]):.3f}" for name in pictures))
    Image.fromarray(np.concatenate(rows, axis=0)).save(f"{out}.jpg", quality=85)
    Path(f"{out}.json").write_text(json.dumps({"size": list(size), "maps": results}, indent=1) + "\n")
    print(f"wrote {out}.jpg and {out}.json")


if __name__ == "__main__":
    main()
