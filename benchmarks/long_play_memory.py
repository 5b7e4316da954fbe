"""Whether a session's memory stays flat over long play: a world played for ``--minutes`` minutes of its own
frame rate with the evaluation probe's varied actions (turns, walks, strafes, looks, stops), the process's
resident memory printed after each minute, and the milliseconds a frame took in that minute (median).

    python benchmarks/long_play_memory.py PACK [--minutes 10] [--size 160x120] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from engine.evaluation.probe import ProbePolicy
from engine.evaluation.protocols import host_memory_mib
from engine.runtime import WorldSession


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--size", default="160x120", help="display size WIDTHxHEIGHT")
    parser.add_argument("--prompt", default="assets/prompts/doom-map01.png")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    policy = ProbePolicy(0)
    minutes = []
    with WorldSession.open(args.pack, device="cpu", display_size=(width, height)) as session:
        session.reset(args.prompt)
        per_minute = round(60 * session.fps)
        for minute in range(args.minutes):
            times = []
            for _ in range(per_minute):
                started = time.perf_counter()
                session.step(policy.act())
                times.append(1000 * (time.perf_counter() - started))
            points = len(session.memory.memory) if session.memory is not None else 0
            minutes.append({"minute": minute + 1, "host_mib": round(host_memory_mib(), 1), "points": points,
                            "median_ms": round(statistics.median(times), 1)})
            print(json.dumps(minutes[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"pack": args.pack, "size": args.size, "minutes": minutes}, indent=1))


if __name__ == "__main__":
    main()
