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
import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.runtime.bench import alternating_rounds, bench_prompt, step_times  # noqa: E402
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
    results = alternating_rounds({precision: partial(one_round, args.pack, precision, args.frames)
                                  for precision in ("fp32", "int8")}, args.rounds)
    if args.json:
        args.json.write_text(json.dumps({"pack": args.pack, "rounds": args.rounds, "frames": args.frames,
                                         **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
