"""The camera's rotation handed to a world pack at play time, without retraining: paired against the pack
as it plays, on the evaluation's probe windows (16-frame rollouts, true and another window's actions).

    python benchmarks/anchor_dials.py PACK --cache runs/probe-64-sim.npz [--windows 16] [--mode ...]

Modes (each frame's anchor is the latent the network predicts the change from):
- ``plain``: the pack as it plays;
- ``round-trip``: the anchor decoded and encoded again (what leaving latent space costs);
- ``pixel-rotation``: the anchor decoded, turned by the action's turn/look (engine.geometry.rotate_view)
  and encoded again;
- ``grid-rotation``: the anchor turned on the latent grid, the network shown no turn or look (the rotation
  does the turning, the network the rest);
- ``blend-0.5``: each dreamed latent averaged with the last latent turned on the grid.
``--cache`` is benchmarks/geometric_baseline.py's (the windows are recorded there once).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.actions import KEYS, encode  # noqa: E402
from engine.data.windows import area_resize  # noqa: E402
from engine.evaluation.metrics import psnr, sharpness  # noqa: E402
from engine.geometry import rotate_latents, rotate_view  # noqa: E402

TURN, LOOK = KEYS.index("turn"), KEYS.index("look")
MODES = ("plain", "round-trip", "pixel-rotation", "grid-rotation", "blend-0.5")


class Dreamer:
    def __init__(self, session, mode: str) -> None:
        self.session, self.mode = session, mode
        self.degrees = np.zeros(2)            # the turn/look of the frame being dreamed

    def on_grid(self, latent: np.ndarray, degrees: np.ndarray) -> np.ndarray:
        return rotate_latents(latent, degrees[:1], degrees[1:]) if degrees.any() else latent

    def warp(self, latent: np.ndarray, action: np.ndarray) -> np.ndarray:
        session = self.session
        if self.mode == "grid-rotation":
            return self.on_grid(latent, self.degrees)
        frame = session.decode(latent)
        if self.mode == "pixel-rotation" and self.degrees.any():
            frame = rotate_view(frame[None], self.degrees[:1], self.degrees[1:])[0]
        return session.encode(frame)

    def dream(self, prompt: np.ndarray, actions: np.ndarray, raw: np.ndarray, seed: int) -> np.ndarray:
        session = self.session
        rollout = session.new_rollout(seed)
        if self.mode in ("round-trip", "pixel-rotation", "grid-rotation"):
            rollout.warp = self.warp
        rollout.prime(session.encode(prompt))
        frames = []
        for action, row in zip(actions, raw):
            self.degrees = np.array([row[TURN], row[LOOK]], np.float64)
            if self.mode == "grid-rotation":
                action = action.copy()
                action[[TURN, LOOK]] = 0.0
            latent = rollout.predict(action)
            if self.mode == "blend-0.5":
                latent = 0.5 * latent + 0.5 * self.on_grid(rollout.last_latent, self.degrees)
            rollout.observe(latent, action)
            frames.append(session.decode(latent))
        return np.stack(frames)


def main() -> None:
    from engine.runtime.session import WorldSession

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack")
    parser.add_argument("--cache", required=True, help="benchmarks/geometric_baseline.py's recorded windows")
    parser.add_argument("--windows", type=int, default=16, help="every k-th of the cached windows, this many")
    parser.add_argument("--horizon", type=int, default=16)
    parser.add_argument("--mode", action="append", choices=MODES, help="default: all")
    args = parser.parse_args()
    stored = np.load(args.cache)
    picks = np.arange(len(stored["actions"]))[:: max(1, len(stored["actions"]) // args.windows)][: args.windows]
    frames = area_resize(stored["frames"][picks, : args.horizon + 1], (64, 48))
    raw = stored["actions"][picks, : args.horizon]
    session = WorldSession.open(args.pack, device="cpu")
    actions = encode(raw, session.turn_range, session.look_range)
    real = frames[:, 1:]
    copy = psnr(np.broadcast_to(frames[:, :1], real.shape), real)
    results = {}
    for mode in args.mode or MODES:
        dreamer = Dreamer(session, mode)
        mine = np.stack([dreamer.dream(frames[w, 0], actions[w], raw[w], w) for w in range(len(picks))])
        other = np.stack([dreamer.dream(frames[w, 0], np.roll(actions, 1, 0)[w], np.roll(raw, 1, 0)[w], w)
                          for w in range(len(picks))])
        results[mode] = (psnr(mine, real), psnr(other, real), sharpness(mine) / sharpness(real))
    session.close()
    base = results.get("plain")
    print(f"{len(picks)} windows, PSNR over copying the prompt (dTPSNR), minus plain where measured:")
    for mode, (mine, other, sharp) in results.items():
        cells = []
        for h in (h for h in (1, 4, 16, 64) if h <= args.horizon):
            gain, control = mine[:, h - 1] - copy[:, h - 1], mine[:, h - 1] - other[:, h - 1]
            cell = f"@{h} {gain.mean():+.2f} ({control.mean():+.2f})"
            if base is not None and mode != "plain":
                paired = mine[:, h - 1] - base[0][:, h - 1]
                cell += f" {paired.mean():+.2f} ± {paired.std(ddof=1) / np.sqrt(len(paired)):.2f}"
            cells.append(cell)
        print(f"  {mode:>14}: " + "; ".join(cells) + f"; sharpness @{args.horizon} {sharp[:, -1].mean():.2f}")


if __name__ == "__main__":
    main()
