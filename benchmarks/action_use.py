"""Does a dynamics model use the action, and does the data make it need to? Two measurements:

1. the data: lag-1 autocorrelation of the recorded turn and forward keys (near 1, the motion already
   visible in the last frames predicts the next action, and a model can learn inertia instead of control);
2. the model: its denoising error on recorded windows at a few noise levels, given the true actions,
   another window's actions, or no action (the guidance null). A model that steers scores clearly better
   with the true actions;
3. where the turn goes: for recorded frames turning faster than 6.75 deg/frame, the horizontal view shift
   of the model's one-pass guess of the next frame from a zero input (the start of sampling) at sigma 1 and
   at sigma 5, given the true turn and the turn negated, against the real next frame's shift (signed so
   that the real turn's direction is negative).

    python benchmarks/action_use.py CHECKPOINT DATA [DATA ...] [--windows 80] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.actions import KEYS, encode  # noqa: E402
from engine.data.shards import list_shards, read_shard  # noqa: E402
from engine.data.windows import area_resize  # noqa: E402
from engine.evaluation.metrics import horizontal_shift  # noqa: E402
from engine.models.autoencoder import frames_to_tensor, tensor_to_frames  # noqa: E402
from engine.models.checkpoint import load_world_model, world_autoencoder  # noqa: E402

SIGMAS = (0.3, 1.0, 3.0)


def autocorrelation(values: np.ndarray, lag: int = 1) -> float:
    return float(np.corrcoef(values[lag:], values[:-lag])[0, 1])


@torch.no_grad()
def measure(checkpoint: str, folder: str, windows: int, seed: int) -> dict:
    denoiser, meta = load_world_model(checkpoint)
    autoencoder = world_autoencoder(meta)
    size = (autoencoder.config.width, autoencoder.config.height)
    length = denoiser.network.config.context_frames + 1
    shards = list_shards(Path(folder))
    rng = np.random.default_rng(seed)
    latents, actions, turns, forwards = [], [], [], []
    for index in rng.choice(len(shards), size=min(len(shards), windows), replace=False):
        frames, raw, _, shard_meta = read_shard(shards[index])
        turns.append(raw[:, KEYS.index("turn")])
        forwards.append(raw[:, KEYS.index("forward")])
        for _ in range(max(1, windows // len(shards))):
            start = int(rng.integers(0, len(frames) - length))
            pixels = area_resize(frames[start:start + length], size)
            latents.append(autoencoder.encode(frames_to_tensor(torch.from_numpy(pixels))))
            actions.append(encode(raw[start:start + length - 1], shard_meta.get("turn_range", 15.0),
                                  shard_meta.get("look_range", 5.0)))
    latents = torch.stack(latents)
    actions = torch.from_numpy(np.stack(actions)).float()
    other = actions[torch.roll(torch.arange(len(actions)), 1)]
    anchor, target = latents[:, :-1], latents[:, 1:]
    generator = torch.Generator().manual_seed(seed)
    result = {"windows": len(latents),
              "turn_autocorrelation": autocorrelation(np.concatenate(turns)),
              "forward_autocorrelation": autocorrelation(np.concatenate(forwards)), "error": {}}
    for sigma in SIGMAS:
        noise = torch.randn(target.shape, generator=generator)
        errors = {}
        for name, given, keep in (("true", actions, True), ("other", other, True), ("null", actions, False)):
            warped = denoiser.warp_anchor(anchor, given if keep else actions)
            clean = denoiser.to_diffused(target, warped)
            sigmas = torch.full(clean.shape[:2], sigma)
            mask = torch.full(clean.shape[:2], keep)
            out, _ = denoiser.denoise(clean + sigma * noise, sigmas, warped, given, mask)
            errors[name] = float((denoiser.from_diffused(out, warped) - target).pow(2).mean())
        errors["other_over_true"] = errors["other"] / errors["true"]
        result["error"][str(sigma)] = errors
    result["turn_shift"] = turn_shift(denoiser, autoencoder, latents, actions)
    return result


def turn_shift(denoiser, autoencoder, latents: torch.Tensor, actions: torch.Tensor) -> dict:
    """View shift (px/frame, signed by the real turn) of the one-pass guess at sigma 1 and 5, true and negated turn."""
    turn = KEYS.index("turn")
    pairs = [(w, t) for w in range(len(actions)) for t in range(actions.shape[1]) if abs(actions[w, t, turn]) > 0.45]
    if not pairs:
        return {}
    anchor = torch.stack([latents[w, t] for w, t in pairs])
    target = torch.stack([latents[w, t + 1] for w, t in pairs])
    given = torch.stack([actions[w, t] for w, t in pairs])
    sign = torch.sign(given[:, turn]).numpy()
    negated = given.clone()
    negated[:, turn] = -negated[:, turn]

    def decoded(latent: torch.Tensor) -> np.ndarray:
        return tensor_to_frames(autoencoder.decode(latent)).numpy()

    def shift(after: torch.Tensor) -> float:
        before, moved = decoded(anchor), decoded(after)
        return float(np.mean([horizontal_shift(a, b) for a, b in zip(before, moved)] * sign))

    result = {"frames": len(pairs), "real": shift(target)}
    for sigma in (1.0, 5.0):
        for name, action in (("true", given), ("negated", negated)):
            warped = denoiser.warp_anchor(anchor, action)[:, None]
            keep = torch.ones(len(pairs), 1, dtype=torch.bool)
            out, _ = denoiser.denoise(torch.zeros_like(warped), torch.full((len(pairs), 1), sigma), warped,
                                      action[:, None], keep)
            result[f"sigma {sigma:g}, {name} turn"] = shift(denoiser.from_diffused(out[:, 0], warped[:, 0]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("data", nargs="+", help="folders of recorded episode shards")
    parser.add_argument("--windows", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for folder in args.data:
        print(json.dumps({"data": folder, **measure(args.checkpoint, folder, args.windows, args.seed)}))


if __name__ == "__main__":
    main()
