"""Decoder stage: sharpen a trained autoencoder's decoder with an adversarial term, encoder frozen.

The autoencoder's L1 + MSE decoder draws the mean of every detail its 8x smaller latents cannot pin
down, so its reconstructions keep only ~40% of real frames' fine contrast, and no dynamics model over
those latents can be sharper. Here the encoder and the latent statistics stay exactly as they are (so
every dynamics model trained on its latents still fits), and the decoder alone is trained further with
L1 + MSE plus a hinge GAN loss from a small patch discriminator (pix2pix, Isola et al. 2017; the
autoencoder of taming transformers, Esser et al. 2021, without its perceptual network, which would
need downloaded weights). The result is a new autoencoder file with the same encoder: eval and export
take it with ``--autoencoder``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from engine.models.autoencoder import Autoencoder, frames_to_tensor
from engine.models.checkpoint import load_autoencoder, save_checkpoint
from engine.models.discriminator import PatchDiscriminator
from engine.training.autoencoder import psnr
from engine.training.batches import shuffled_windows, stack
from engine.config import to_dict
from engine.training.loop import TrainConfig, train

FINAL = "autoencoder.safetensors"


@dataclass
class DecoderTrainConfig:
    autoencoder: str = "runs/autoencoder/autoencoder.safetensors"
    data: str = "data/doom-train"
    shuffle_buffer: int = 4096
    adversarial_weight: float = 0.1      # of the hinge generator loss against L1 + MSE
    discriminator_width: int = 64
    train: TrainConfig = field(default_factory=lambda: TrainConfig(out="runs/decoder", batch_size=32, lr=1e-4,
                                                                    warmup_steps=100, ema_decay=0.999))


class DecoderGAN(nn.Module):
    def __init__(self, autoencoder: Autoencoder, width: int) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.autoencoder.encoder.requires_grad_(False)
        self.discriminator = PatchDiscriminator(width)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            latents = self.autoencoder.encode(frames)
        return self.autoencoder.decode(latents)


class DecoderTask:
    def __init__(self, config: DecoderTrainConfig) -> None:
        self.config = config
        autoencoder, self.autoencoder_meta = load_autoencoder(config.autoencoder)
        self.model = DecoderGAN(autoencoder.train(), config.discriminator_width)

    def batches(self) -> Iterator[torch.Tensor]:
        ae = self.model.autoencoder.config
        windows = shuffled_windows(self.config.data, 1, (ae.width, ae.height), self.config.shuffle_buffer,
                                   self.config.train.seed, stride=1)
        while True:
            frames = stack([next(windows) for _ in range(self.config.train.batch_size)])["frames"][:, 0]
            yield frames_to_tensor(torch.from_numpy(frames))

    def samples(self, batch: torch.Tensor) -> int:
        return len(batch)

    def loss(self, model: nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """One loss for the loop's one optimizer: the discriminator's hinge loss sees the reconstruction
        detached, and the decoder's adversarial term sees the discriminator's weights detached, so each
        part only learns its own objective."""
        network: DecoderGAN = model.module if hasattr(model, "module") else model
        batch = batch.to(next(network.parameters()).device)
        reconstruction = model(batch).float()
        reconstruction_loss = F.l1_loss(reconstruction, batch) + F.mse_loss(reconstruction, batch)
        metrics = {"psnr": float(psnr(reconstruction.detach(), batch))}
        if not self.config.adversarial_weight:          # plain training on, the discriminator left out
            return reconstruction_loss, metrics
        discriminator = network.discriminator
        real_score = discriminator(batch).float()
        fake_score = discriminator(reconstruction.detach()).float()
        discriminator_loss = F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()
        frozen = {name: value.detach() for name, value in discriminator.named_parameters()}
        generator_loss = -functional_call(discriminator, frozen, (reconstruction,)).float().mean()
        loss = reconstruction_loss + self.config.adversarial_weight * generator_loss + discriminator_loss
        return loss, {**metrics, "reconstruction": float(reconstruction_loss.detach()),
                      "discriminator": float(discriminator_loss.detach())}


def train_decoder(config: DecoderTrainConfig, quiet: bool = False) -> dict[str, Any]:
    torch.manual_seed(config.train.seed)        # the model's first weights: the same every run
    task = DecoderTask(config)
    summary = train(task, config.train, to_dict(config), quiet)
    if not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0:
        autoencoder: Autoencoder = summary["ema"].autoencoder.cpu().eval()
        # The frozen encoder comes back bit for bit (an EMA update of an unchanged weight can round).
        original, _ = load_autoencoder(config.autoencoder)
        state = autoencoder.state_dict()
        state.update({name: value for name, value in original.state_dict().items() if not name.startswith("decoder.")})
        autoencoder.load_state_dict(state)
        meta = {**task.autoencoder_meta, "decoder": {"config": to_dict(config), "step": summary["step"],
                                                     "samples": summary["samples"],
                                                     "trained_minutes": summary["trained_minutes"]}}
        save_checkpoint(Path(config.train.out) / FINAL, autoencoder.state_dict(), meta)
    return summary
