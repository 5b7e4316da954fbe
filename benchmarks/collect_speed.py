"""Time to record ViZDoom frames end to end with ``dreamwalk collect`` (policy, simulator, compression,
atomic shard writes), as a separate process like a person runs it.

    python benchmarks/collect_speed.py [--frames 20000] [--runs 3] [--policy explore]

Prints each run and the median in seconds and frames/s. Target: 20,000 frames in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--policy", default="explore")
    parser.add_argument("--maps", default="MAP01-MAP20")
    args = parser.parse_args()
    times = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "engine.cli", "collect", "--source", "vizdoom", "--maps", args.maps,
                            "--frames", str(args.frames), "--policy", args.policy, "--seed", str(run),
                            "--out", folder, "--quiet"], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            size = sum(p.stat().st_size for p in Path(folder).glob("*.npz"))
        times.append(elapsed)
        print(f"run {run}: {args.frames:,} frames in {elapsed:.1f} s ({args.frames / elapsed:,.0f} frames/s), "
              f"{size / 2**20:.0f} MiB on disk")
    median = statistics.median(times)
    print(f"median: {median:.1f} s for {args.frames:,} frames ({args.frames / median:,.0f} frames/s), "
          f"policy {args.policy}, maps {args.maps}")


if __name__ == "__main__":
    main()
