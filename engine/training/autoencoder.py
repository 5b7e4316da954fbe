"""Autoencoder stage: reconstruct single frames with L1 + MSE; record per-channel latent statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from engine.models.autoencoder import Autoencoder, AutoencoderConfig, frames_to_tensor
from engine.training.batches import shuffled_windows, stack
from engine.models.checkpoint import save_checkpoint
from engine.config import to_dict
from engine.training.loop import TrainConfig, train

FINAL = "autoencoder.safetensors"


@dataclass
class AutoencoderTrainConfig:
    data: str = "data/doom-train"
    shuffle_buffer: int = 4096
    model: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(out="runs/autoencoder"))


def psnr(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of images in [-1, 1] (peak-to-peak 2)."""
    mse = F.mse_loss(reconstruction.float().clamp(-1, 1), target.float())
    return 10 * torch.log10(4.0 / mse.clamp_min(1e-10))


class AutoencoderTask:
    def __init__(self, config: AutoencoderTrainConfig) -> None:
        self.config = config
        self.model = Autoencoder(config.model)

    def batches(self) -> Iterator[torch.Tensor]:
        size = (self.config.model.width, self.config.model.height)
        windows = shuffled_windows(self.config.data, 1, size, self.config.shuffle_buffer, self.config.train.seed,
                                   stride=1)
        batch_size = self.config.train.batch_size
        while True:
            frames = stack([next(windows) for _ in range(batch_size)])["frames"][:, 0]   # (B, H, W, 3)
            yield frames_to_tensor(torch.from_numpy(frames))

    def samples(self, batch: torch.Tensor) -> int:
        return len(batch)

    def loss(self, model: nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        batch = batch.to(next(model.parameters()).device)
        reconstruction = model(batch).float()
        loss = F.l1_loss(reconstruction, batch) + F.mse_loss(reconstruction, batch)
        return loss, {"psnr": float(psnr(reconstruction.detach(), batch))}


@torch.no_grad()
def measure_latent_statistics(model: Autoencoder, frames: torch.Tensor) -> None:
    """Set latent_mean / latent_std so the normalised latents of ``frames`` have zero mean, unit variance."""
    model.latent_mean.zero_()
    model.latent_std.fill_(1.0)
    latents = torch.cat([model.encode(chunk) for chunk in frames.split(256)])     # (N, C, h, w)
    model.latent_mean.copy_(latents.mean(dim=(0, 2, 3)))
    model.latent_std.copy_(latents.std(dim=(0, 2, 3)).clamp_min(1e-4))


def sample_frames(config: AutoencoderTrainConfig, count: int) -> torch.Tensor:
    size = (config.model.width, config.model.height)
    windows = shuffled_windows(config.data, 1, size, buffer=count, seed=config.train.seed + 1, stride=7)
    frames = np.stack([next(windows)["frames"][0] for _ in range(count)])
    return frames_to_tensor(torch.from_numpy(frames))


def train_autoencoder(config: AutoencoderTrainConfig, quiet: bool = False) -> dict[str, Any]:
    torch.manual_seed(config.train.seed)        # the model's first weights: the same every run
    task = AutoencoderTask(config)
    summary = train(task, config.train, to_dict(config), quiet)
    model: Autoencoder = summary["ema"].cpu()
    if not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0:
        measure_latent_statistics(model, sample_frames(config, 1024))
        meta = {"kind": "autoencoder", "config": to_dict(config), "step": summary["step"],
                "samples": summary["samples"], "trained_minutes": summary["trained_minutes"]}
        save_checkpoint(Path(config.train.out) / FINAL, model.state_dict(), meta)
    return summary
