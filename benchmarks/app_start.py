"""Time from starting the player to its first dreamed frame, as a person starts it from the launcher:
the built app (``packaging/build.py``) or the source, each run a fresh process with the world opened
from scratch. ``--frames 1`` makes the player exit right after its first dreamed frame, so the wall
time of the process is an upper bound of "Play to first frame".

    python benchmarks/app_start.py [--app dist/Dreamwalk/dreamwalk] [--runs 5]

Without ``--app`` it times ``python main.py --play`` from the source. Prints each run and the median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, help="the built app's executable (default: python main.py)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prompt", type=Path, default=ROOT / "assets" / "prompts" / "doom-map01.png")
    args = parser.parse_args()
    command = [str(args.app)] if args.app else [sys.executable, str(ROOT / "main.py")]
    times = []
    with tempfile.TemporaryDirectory() as home:
        # A bare environment: no venv on PATH, no PYTHONPATH (the built app must not need them).
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "SDL_VIDEODRIVER": "dummy",
               "DREAMWALK_CONFIG": f"{home}/config", "DREAMWALK_DATA": f"{home}/data"}
        if not args.app:
            env["PYTHONPATH"] = str(ROOT)
        for run in range(args.runs):
            start = time.perf_counter()
            subprocess.run(command + ["--play", str(args.prompt.resolve()), "--frames", "1", "--device", "cpu"],
                           check=True, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
            print(f"run {run + 1}: {times[-1]:.2f} s", flush=True)
    print(f"median start to first frame: {statistics.median(times):.2f} s ({'built app' if args.app else 'source'})")


if __name__ == "__main__":
    main()
