"""How much of a map each recording policy covers, and how often it walks into walls.

    python benchmarks/policy_coverage.py [--frames 5000] [--map MAP01] [--seeds 0 1 2] [--hands-off 0.5]

For each policy: distinct 64-unit grid cells visited in --frames frames (one episode), the share of
forward-pressing frames with no movement (pressed against a wall), and the action histogram.
Reports the median over seeds.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from engine.actions import actions_to_array
from engine.data.collect import play
from engine.data.sources import open_source
from engine.data.stats import action_statistics, coverage_cells, wall_press_share
from engine.policies import make_policy


def run(policy_name: str, map_name: str, frames: int, seed: int, hands_off: float = 0.5) -> dict:
    with open_source("vizdoom", map=map_name, seed=seed, depth=True) as source:
        policy = make_policy(policy_name, seed, source.turn_range, source.look_range, source.walk_step, hands_off)
        _, actions, poses, _ = play(source, policy, source.reset(), frames)
        raw = actions_to_array(actions)
        return {
            "cells": len(coverage_cells(poses, 64.0)),
            "wall_press": wall_press_share(raw, poses, source.walk_step),
            "frames": len(actions),
            "actions": action_statistics(raw),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5000)
    parser.add_argument("--map", default="MAP01")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--hands-off", type=float, default=0.5,
                        help="share of the explore policy's stops with every control let go (0: as before them)")
    parser.add_argument("--json", type=Path, help="also write the full results here")
    args = parser.parse_args()
    results = {}
    for policy in ("explore", "random"):
        runs = [run(policy, args.map, args.frames, seed, args.hands_off) for seed in args.seeds]
        results[policy] = {
            "cells_median": statistics.median(r["cells"] for r in runs),
            "cells": [r["cells"] for r in runs],
            "wall_press_median": statistics.median(r["wall_press"] for r in runs),
            "actions_seed0": runs[0]["actions"],
        }
        print(f"{policy:8s} {args.map} {args.frames} frames: cells visited (64 units) median "
              f"{results[policy]['cells_median']} {results[policy]['cells']}, "
              f"pressed against a wall {results[policy]['wall_press_median']:.1%} of forward frames")
    for policy, result in results.items():
        stats = result["actions_seed0"]
        pressed = ", ".join(f"{k} {v:.0%}" for k, v in stats["pressed"].items())
        print(f"{policy} actions (seed {args.seeds[0]}): {pressed}; forward-only {stats['forward_only']:.0%}; "
              f"|turn| mean {stats['turn_abs_mean']:.1f} deg/frame, histogram {stats['turn_histogram']}; "
              f"looking {stats['looking']:.0%}; idle {stats['idle']:.0%}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
