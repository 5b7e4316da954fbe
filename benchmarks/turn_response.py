"""How fast a world answers a turn: the view's shift frame by frame (engine.evaluation.metrics.horizontal_shift,
px at the world's 64 px width; turning right moves the content left) while the action goes still -> right ->
left -> still, from the same starts on the held-out maps (MAP21-MAP24) where real Doom does the same. Doom
turns the camera the moment the key is pressed, so a world that shifts less on the first frame of a turn
answers late, whatever it does once the turn is held.

    python benchmarks/turn_response.py PACK [PACK ...] [--windows-per-map 4] [--turn 8] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.actions import Action, actions_to_array
from engine.data.sources import parse_places
from engine.evaluation.evaluate import record_probe_windows
from engine.evaluation.metrics import horizontal_shift
from engine.runtime.session import WorldSession

FRAME_SIZE = (64, 48)


def turn_sequence(turn: float, still: int = 2, held: int = 5) -> list[Action]:
    """Still, ``held`` frames turning right by ``turn`` degrees, as many turning left, still again."""
    return [Action()] * still + [Action(turn=turn)] * held + [Action(turn=-turn)] * held + [Action()] * still


def shifts(frames: np.ndarray) -> np.ndarray:
    """(W, T): the content's shift from each frame to the next of (W, T + 1, H, W, 3) frames."""
    return np.array([[horizontal_shift(a, b) for a, b in zip(window[:-1], window[1:])] for window in frames])


def played(pack: str, prompts: np.ndarray, actions: list[Action]) -> np.ndarray:
    """(W, T + 1, H, W, 3): each prompt, then the frames a pack dreams under ``actions``."""
    session = WorldSession.open(pack, device="cpu")
    try:
        return np.stack([np.stack([session.reset(prompt)] + [session.step(action) for action in actions])
                         for prompt in prompts])
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packs", nargs="+")
    parser.add_argument("--maps", default="MAP21-MAP24")
    parser.add_argument("--windows-per-map", type=int, default=4)
    parser.add_argument("--turn", type=float, default=8.0, help="degrees per frame")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the shifts here")
    args = parser.parse_args()
    actions, maps = turn_sequence(args.turn), parse_places("vizdoom", args.maps)
    replay = np.tile(actions_to_array(actions), (len(maps) * args.windows_per_map, 1, 1))    # (W, T, 12)
    real, _, _ = record_probe_windows("vizdoom", maps, args.windows_per_map, len(actions), FRAME_SIZE, args.seed,
                                      replay=replay)
    rows = {"real Doom": shifts(real)}
    for pack in args.packs:
        rows[pack] = shifts(played(pack, real[:, 0], actions))
    turns = [action.turn for action in actions]
    print(f"{len(real)} starts on {args.maps}; mean shift (px) each frame, turn per frame: "
          + " ".join(f"{turn:+.0f}" for turn in turns))
    report = {"turns": turns, "starts": len(real), "mean_shift": {}}
    first = turns.index(args.turn)
    for name, values in rows.items():
        mean = values.mean(axis=0)
        report["mean_shift"][name] = mean.round(3).tolist()
        share = mean[first] / rows["real Doom"].mean(axis=0)[first]
        print(f"  {name}: " + " ".join(f"{value:+.1f}" for value in mean)
              + f"  (first frame of the turn: {share:.0%} of Doom's)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
