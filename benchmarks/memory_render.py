"""What the world memory costs a frame on this machine: lifting a frame into it and rendering it at 160x120.

A real ViZDoom walk on a held-out map (explore policy, depth, the view without the weapon) fills a memory of
the default capacity; then each frame of the walk is lifted (``add``) and the memory rendered at the next
pose (``render``), the way play does. Prints the medians and 99th percentiles in milliseconds, the points
held and the memory's size; and, as a check of what it renders, the PSNR of each render against the real
next frame (the memory alone, no network: what it knows of a view it is about to see).

    python benchmarks/memory_render.py [--map MAP21] [--frames 600] [--size 160x120] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from engine.data import open_source
from engine.evaluation.metrics import psnr
from engine.memory import PointMemory
from engine.policies import make_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", default="MAP21")
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--size", default="160x120", help="render size WIDTHxHEIGHT")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    memory = PointMemory()
    add_ms, render_ms, scores, covered = [], [], [], []
    with open_source("vizdoom", map=args.map, seed=0, depth=True, weapon=False) as source:
        policy = make_policy("explore", 0, source.turn_range, source.look_range, source.walk_step)
        frame = source.reset()
        for _ in range(args.frames):
            started = time.perf_counter()
            memory.add(frame, source.depth, source.pose)
            add_ms.append(1000 * (time.perf_counter() - started))
            frame = source.step(policy.act(frame, source.pose, source.depth))
            started = time.perf_counter()
            rendered, coverage, _ = memory.render(source.pose, (width, height))
            render_ms.append(1000 * (time.perf_counter() - started))
            if (width, height) == frame.shape[1::-1]:
                scores.append(float(psnr(rendered[None], frame[None])[0]))
            covered.append(float(coverage.mean()))
    result = {"map": args.map, "frames": args.frames, "size": args.size, "points": len(memory),
              "memory_mib": memory.nbytes / 2 ** 20,
              "add_ms_median": statistics.median(add_ms), "add_ms_p99": float(np.percentile(add_ms, 99)),
              "render_ms_median": statistics.median(render_ms), "render_ms_p99": float(np.percentile(render_ms, 99)),
              "coverage_median": statistics.median(covered),
              "psnr_next_frame_median": statistics.median(scores) if scores else None}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
