"""Walking into a picture at the default reading: from each picture, three seconds of forward, and how much
larger the picture's middle has grown (the point seen at its centre: its depth at the start over its depth
now, which is how much larger it is drawn), and the frames a wall held the walk back. Writes a sheet (the start,
1 s, 2 s and 3 s in) and the figures as JSON.

    python benchmarks/walk_in.py [--world assets/worlds/doom.dwpack] [--size 320x240] [--out docs/results/walk-in]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from engine.geometry import view_points, world_to_camera
from engine.runtime import WorldSession

ROOT = Path(__file__).resolve().parents[1]
PICTURES = ("other-painted-castle.png", "other-pencil-sketch.png", "other-photo-courtyard.jpg")
SECONDS = 3.0


def walk_in(session: WorldSession, picture: Path) -> tuple[dict, list[np.ndarray]]:
    frames = [session.reset(picture)]
    depth = session.memory.prompt_depth
    height, width = depth.shape
    points = view_points(depth, np.zeros(5), session.memory.settings.field_of_view).reshape(height, width, 3)
    middle = points[height // 2 - 1: height // 2 + 1, width // 2 - 1: width // 2 + 1].reshape(-1, 3)  # (4, 3)
    steps, held = round(SECONDS * session.fps), []
    for index in range(steps):
        frames.append(session.step({"forward": True}))
        if session.blocked:
            held.append(index + 1)
    start_depth = float(world_to_camera(np.zeros(5), middle)[0].mean())
    now = float(world_to_camera(session.pose, middle)[0].mean())
    growth = start_depth / now if now > 0 else float("inf")           # walked past it
    result = {"picture": picture.name, "frames": steps, "walked": round(float(np.hypot(*session.pose[:2])), 1),
              "middle_depth": round(start_depth, 1), "growth": round(growth, 2),
              "frames_held_by_a_wall": len(held), "first_held": held[0] if held else None}
    shown = [frames[round(second * session.fps)] for second in (0, 1, 2, 3)]
    return result, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default=str(ROOT / "assets" / "worlds" / "doom.dwpack"))
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "walk-in"))
    args = parser.parse_args()
    size = tuple(int(part) for part in args.size.split("x"))
    rows, results = [], []
    with WorldSession.open(args.world, device="cpu", display_size=size) as session:
        for name in PICTURES:
            result, shown = walk_in(session, ROOT / "assets" / "prompts" / name)
            results.append(result)
            rows.append(np.concatenate(shown, axis=1))
            stop = (f"; a wall held it back in {result['frames_held_by_a_wall']} frames from frame "
                    f"{result['first_held']} (the status line said so)" if result["first_held"] else "")
            print(f"{name}: walked {result['walked']} units in {SECONDS:g} s, the middle {result['growth']}x "
                  f"as large (it was {result['middle_depth']} units away){stop}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out.with_suffix(".png"))
    out.with_suffix(".json").write_text(json.dumps({"world": Path(args.world).name, "size": args.size,
                                                    "seconds": SECONDS, "pictures": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
