"""Frame time of a pack's int8 dynamics graph against its fp32 one, on the CPU, in alternating rounds.

    python benchmarks/int8_speed.py assets/worlds/doom.dwpack --rounds 5 --frames 400

As ``benchmarks/fold_speed.py``: the two arms alternate, round after round, so the CPU's drift during a
run falls on both. Each round opens the pack in that precision, dreams 30 frames to warm up, then times
``frames`` steps of the scripted walk-and-turn of ``dreamwalk bench``. Prints each arm's median frame time
over all rounds, its p99 and the median of the per-round medians.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.runtime.bench import bench_prompt, round_times, rounds_command  # noqa: E402
from engine.runtime.session import WorldSession  # noqa: E402


def one_round(pack: str, precision: str, frames: int) -> list[float]:
    """Milliseconds per frame of one round."""
    with WorldSession.open(pack, device="cpu", precision=precision) as session:
        session.reset(bench_prompt())
        return round_times(session, frames)


def arms(pack: str, frames: int) -> dict:
    return {precision: partial(one_round, pack, precision, frames) for precision in ("fp32", "int8")}


if __name__ == "__main__":
    sys.exit(rounds_command(__doc__.split("\n\n")[0], arms))
