"""How well the actions alone say where ViZDoom's camera goes: engine.geometry.MotionModel, fitted on recordings
of the training maps, dead-reckons each window from its start pose, and the median distance (map units; the
player is 32 wide) to where the simulator's camera really was is set beside how far it really went, on the
evaluation's probe windows (MAP21-MAP24, from ``--cache`` of benchmarks/geometric_baseline.py) and on windows
of recordings it was not fitted on. Also with the momentum each window starts with given (solved from the
simulator's first step), and with the walls the window's first depth shows (probe windows only).

    python benchmarks/dead_reckoning.py --cache runs/probe-64-sim.npz
        [--motion-data data/doom-explore-100k,data/doom-random] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.evaluation.motion import dead_reckoned, motion_model, starting_momentum
from engine.geometry import TELEPORT

HORIZONS = (1, 4, 16)


def held_out_windows(folders: str, skip: int, shards: int, length: int = 16,
                     every: int = 97) -> tuple[np.ndarray, np.ndarray]:
    """(W, length + 1, 5) poses and (W, length, 12) actions cut from recordings ``skip`` to ``skip + shards``
    of each folder (not those the model was fitted on), leaving out windows with a teleport in them."""
    poses, actions = [], []
    for folder in folders.split(","):
        for file in sorted(Path(folder).glob("*.npz"))[skip:skip + shards]:
            with np.load(file) as shard:
                recorded, taken = shard["poses"].astype(np.float64), shard["actions"]
            for start in range(every, len(recorded) - length - 1, every):
                window = recorded[start:start + length + 1]
                if np.hypot(*np.diff(window[:, :2], axis=0).T).max() < TELEPORT:
                    poses.append(window)
                    actions.append(taken[start:start + length])
    return np.stack(poses), np.stack(actions)


def distances(predicted: np.ndarray, poses: np.ndarray) -> dict[str, dict[str, float]]:
    """Median distance on the floor from the predicted to the true poses, and how far the camera went."""
    error = np.hypot(*(predicted[:, 1:, :2] - poses[:, 1:, :2]).transpose(2, 0, 1))
    went = np.hypot(*(poses[:, 1:, :2] - poses[:, :1, :2]).transpose(2, 0, 1))
    return {"error": {str(h): float(np.median(error[:, h - 1])) for h in HORIZONS},
            "travelled": {str(h): float(np.median(went[:, h - 1])) for h in HORIZONS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True, help="the probe windows' .npz from geometric_baseline.py")
    parser.add_argument("--motion-data", default="data/doom-explore-100k,data/doom-random")
    parser.add_argument("--motion-shards", type=int, default=20, help="recordings fitted on, from each folder")
    parser.add_argument("--held-out-shards", type=int, default=6, help="recordings after those, from each folder")
    parser.add_argument("--json")
    args = parser.parse_args()
    model = motion_model(args.motion_data, args.motion_shards)
    probe = dict(np.load(args.cache))
    length = max(HORIZONS)
    poses, actions, depth = probe["poses"][:, :length + 1], probe["actions"][:, :length], probe["depth"]
    momentum = starting_momentum(model, poses, actions)
    rows = {"probe windows": distances(dead_reckoned(model, poses, depth, actions, False), poses),
            "probe windows, walls": distances(dead_reckoned(model, poses, depth, actions, True), poses),
            "probe windows, walls and momentum": distances(
                dead_reckoned(model, poses, depth, actions, True, momentum), poses)}
    held_poses, held_actions = held_out_windows(args.motion_data, args.motion_shards, args.held_out_shards)
    rows["recordings not fitted on"] = distances(dead_reckoned(model, held_poses, None, held_actions, False),
                                                 held_poses)
    rows["recordings not fitted on, momentum"] = distances(dead_reckoned(
        model, held_poses, None, held_actions, False, starting_momentum(model, held_poses, held_actions)), held_poses)
    print(f"median distance (map units) from where the camera really was, after {'/'.join(map(str, HORIZONS))} "
          f"frames, against how far it went ({len(poses)} probe windows, {len(held_poses)} recorded ones)")
    for name, row in rows.items():
        print(f"  {name}: " + " / ".join(f"{row['error'][str(h)]:.1f}" for h in HORIZONS) + "  (went "
              + " / ".join(f"{row['travelled'][str(h)]:.1f}" for h in HORIZONS) + ")")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
