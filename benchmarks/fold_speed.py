"""Frame time with the cache pass folded into the next frame's pass, against separate passes, on one pack.

    python benchmarks/fold_speed.py assets/worlds/doom.dwpack --rounds 5 --frames 400

The two arms alternate, round after round, so the CPU's drift during a run falls on both. Each round opens
the pack, dreams 30 frames to warm up, then times ``frames`` steps of the scripted walk-and-turn of
``dreamwalk bench``. Prints each arm's median frame time over all rounds, its p99 and the median of the
per-round medians. The separate arm switches the rollout's ``fold`` off (the runtime's own path for packs
exported before graphs took two frames); both arms dream the same frames (tests/test_runtime.py).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.runtime.bench import bench_prompt, round_times, rounds_command  # noqa: E402
from engine.runtime.session import WorldSession  # noqa: E402


def one_round(pack: str, fold: bool, frames: int) -> list[float]:
    """Milliseconds per frame of one round."""
    with WorldSession.open(pack, device="cpu") as session:
        if not session.folds:
            raise SystemExit(f"{pack} was exported before graphs took two frames: export it again to compare")
        session.reset(bench_prompt())
        session._rollout.fold = fold                    # measurement only: the path of older packs
        return round_times(session, frames)


def arms(pack: str, frames: int) -> dict:
    return {arm: partial(one_round, pack, fold, frames) for arm, fold in (("separate", False), ("folded", True))}


if __name__ == "__main__":
    sys.exit(rounds_command(__doc__.split("\n\n")[0], arms))
