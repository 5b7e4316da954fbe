"""Where a long rollout's latents go, against the latents of the training data.

Plays a 1,000-frame probe rollout from MAP21's first two probe windows (the evaluation's long rollout
until it took one window per held-out map, eighth session) and prints, every 100 frames, each latent
channel's spatial std relative to the training median, how many channels are above the training 99th
percentile, the share of latent values outside the training 0.1-99.9% range and the mean
|channel mean|. With ``--clamp`` each dreamed latent is first pulled back into the training range (per
channel, spatial std down to the training 99th percentile and mean into its 1-99% range, as Imagen's
dynamic thresholding does in pixel space) before it is shown and cached, and the rollout's contrast and
sharpness ranges are printed as `dreamwalk eval` reports them.

    python benchmarks/latent_drift.py runs/student/student.safetensors --latents runs/student/latents \
        [--autoencoder DECODER] [--context-sigma 0.08] [--clamp]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.evaluation.evaluate import (EvalConfig, WorldModel, long_rollout_stats,  # noqa: E402
                                        record_probe_windows)
from engine.export.export import default_sampler, default_sigma_max  # noqa: E402
from engine.models.rollout import LatentRollout  # noqa: E402


def training_latents(folder: Path) -> np.ndarray:
    """Every 10th frame of every 5th cached latent episode (N, C, h, w)."""
    files = sorted(folder.rglob("*.npz"))[::5]
    if not files:
        raise SystemExit(f"no cached latents (*.npz) under {folder}")
    return np.concatenate([np.load(f)["latents"][::10].astype(np.float32) for f in files])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--latents", type=Path, required=True, help="the run's cached training latents")
    parser.add_argument("--autoencoder")
    parser.add_argument("--context-sigma", type=float)
    parser.add_argument("--clamp", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)

    train = training_latents(args.latents)
    frame_std, frame_mean = train.std(axis=(2, 3)), train.mean(axis=(2, 3))          # (N, C)
    median_std, high_std = np.median(frame_std, 0), np.quantile(frame_std, 0.99, 0)
    values = train.transpose(1, 0, 2, 3).reshape(train.shape[1], -1)
    low, high = np.quantile(values, 0.001, axis=1), np.quantile(values, 0.999, axis=1)
    dreamed: list[np.ndarray] = []
    limit = torch.from_numpy(high_std)[None, :, None, None]
    mean_low, mean_high = (torch.from_numpy(np.quantile(frame_mean, q, 0))[None, :, None, None] for q in (0.01, 0.99))

    def clamp(latent: torch.Tensor) -> torch.Tensor:
        mean = latent.mean(dim=(2, 3), keepdim=True)
        std = latent.std(dim=(2, 3), keepdim=True)
        return (torch.minimum(torch.maximum(mean, mean_low), mean_high)
                + (latent - mean) * torch.clamp(limit / std, max=1.0))

    # The eval's own long rollout, watched (and with --clamp, corrected) at each dreamed frame.
    original_predict = LatentRollout.predict

    def predict(self, action):
        latent = original_predict(self, action)
        latent = clamp(latent) if args.clamp else latent
        dreamed.append(latent.numpy())
        return latent

    LatentRollout.predict = predict
    model = WorldModel(args.checkpoint, args.autoencoder)
    sampler, steps, _ = default_sampler(model.meta)
    config = EvalConfig(world=args.checkpoint, steps=steps, sampler=sampler, sigma_max=default_sigma_max(model.meta),
                        context_sigma=args.context_sigma, long_rollout=1000)
    frames, _, ranges = record_probe_windows("vizdoom", ["MAP21", "MAP22", "MAP23", "MAP24"], 4, 64, model.size, 0)
    stats = long_rollout_stats(model, config, frames[:2, 0], frames[:, 1:], ranges)
    latents = np.stack(dreamed, axis=1)                                                  # (2, T, C, h, w)
    for start in range(0, latents.shape[1], 100):
        block = latents[:, start:start + 100]
        std = block.std(axis=(3, 4))                                                     # (2, 100, C)
        channels = block.transpose(2, 0, 1, 3, 4).reshape(block.shape[2], -1)
        outside = ((channels < low[:, None]) | (channels > high[:, None])).mean()
        print(f"frames {start:4d}-{start + 99:4d}: spatial std {(std / median_std).mean():.2f}x the training "
              f"median, channels above its 99th percentile {(std > high_std).sum(-1).mean():4.1f} of "
              f"{block.shape[2]}, values outside its 0.1-99.9% range {outside:.1%}, "
              f"mean |channel mean| {np.abs(block.mean(axis=(3, 4))).mean():.2f}")
    print(f"contrast {stats['contrast_ratio_range'][0]:.2f}-{stats['contrast_ratio_range'][1]:.2f}, sharpness "
          f"{stats['sharpness_ratio_range'][0]:.2f}-{stats['sharpness_ratio_range'][1]:.2f} of real frames "
          f"(last 100: {stats['contrast_ratio_last_100']:.2f} / {stats['sharpness_ratio_last_100']:.2f})")


if __name__ == "__main__":
    main()
