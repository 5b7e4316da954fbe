"""Frame time of a pack's int8 dynamics graph against its fp32 one, on the CPU, in alternating rounds.

    python benchmarks/int8_speed.py assets/worlds/doom.dwpack --rounds 5 --frames 400

As ``benchmarks/fold_speed.py``: the two arms alternate, round after round, so the CPU's drift during a
run falls on both. Each round opens the pack in that precision, dreams 30 frames to warm up, then times
``frames`` steps of the scripted walk-and-turn of ``dreamwalk bench``. Prints each arm's median frame time
over all rounds, its p99 and the median of the per-round medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.runtime.bench import bench_prompt, step_times  # noqa: E402
from engine.runtime.session import WorldSession  # noqa: E402


def one_round(pack: str, precision: str, frames: int) -> list[float]:
    """Milliseconds per frame of one round."""
    with WorldSession.open(pack, device="cpu", precision=precision) as session:
        session.reset(bench_prompt())
        step_times(session, 0, 30)                      # warm-up
        return [1000 * seconds for seconds in step_times(session, 0, frames)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    times: dict[str, list[list[float]]] = {"fp32": [], "int8": []}
    for _ in range(args.rounds):
        for precision in times:
            times[precision].append(one_round(args.pack, precision, args.frames))
    results = {}
    for arm, rounds in times.items():
        every = [t for one in rounds for t in one]
        results[arm] = {"median_ms": statistics.median(every), "p99_ms": float(np.percentile(every, 99)),
                        "round_medians_ms": [statistics.median(one) for one in rounds],
                        "fps": 1000 / statistics.median(every)}
        print(f"{arm}: median {results[arm]['median_ms']:.1f} ms ({results[arm]['fps']:.1f} frames/s), "
              f"p99 {results[arm]['p99_ms']:.1f} ms; round medians "
              + ", ".join(f"{m:.1f}" for m in results[arm]["round_medians_ms"]))
    if args.json:
        args.json.write_text(json.dumps({"pack": args.pack, "rounds": args.rounds, "frames": args.frames,
                                         **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
