"""The launcher's moving preview of a picture's reading: milliseconds a frame of the 24-frame loop at 320x240,
each reading (relief) made afresh, as an artist moving a control makes it; prints each and the median.

    python benchmarks/preview_speed.py [--world assets/worlds/doom.dwpack] [--prompt PICTURE]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from engine.runtime.images import load_prompt
from engine.runtime.picture_settings import PictureSettings
from engine.runtime.preview import PicturePreview

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", default=str(ROOT / "assets" / "worlds" / "doom.dwpack"))
    parser.add_argument("--prompt", default=str(ROOT / "assets" / "prompts" / "other-painted-castle.png"))
    args = parser.parse_args()
    preview = PicturePreview(args.world)
    picture = load_prompt(args.prompt, (640, 480))
    per_frame = []
    for relief in (1.0, 1.5, 2.0, 0.5, 1.2):
        started = time.perf_counter()
        frames = preview.parallax(picture, PictureSettings(relief=relief))
        per_frame.append(1000 * (time.perf_counter() - started) / len(frames))
        print(f"relief {relief}: {per_frame[-1]:.1f} ms a frame")
    print(f"median {statistics.median(per_frame):.1f} ms a preview frame at 320x240")


if __name__ == "__main__":
    main()
