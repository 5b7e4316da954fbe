"""Frame autoencoder: (B, 3, H, W) frames in [-1, 1] <-> (B, C, H/f, W/f) latents. Only encode/decode are public.

A plain deterministic convolutional autoencoder (residual blocks, strided downsampling, nearest
upsampling). Latents are normalised per channel with statistics measured on data (``latent_mean`` /
``latent_std`` buffers), so the diffusion model sees roughly unit-variance latents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class AutoencoderConfig:
    width: int = 64                     # frame size the autoencoder is trained at
    height: int = 48
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])   # one stage per 2x downsampling
    blocks_per_stage: int = 1
    latent_channels: int = 16

    @property
    def downsample(self) -> int:
        return 2 ** len(self.channels)

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        return self.latent_channels, self.height // self.downsample, self.width // self.downsample


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(min(8, channels // 4), channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm2 = nn.GroupNorm(min(8, channels // 4), channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class Autoencoder(nn.Module):
    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = config
        widths = config.channels
        encoder: list[nn.Module] = [nn.Conv2d(3, widths[0], 3, padding=1)]
        for i, width in enumerate(widths):
            encoder += [ResBlock(width) for _ in range(config.blocks_per_stage)]
            encoder.append(nn.Conv2d(width, widths[min(i + 1, len(widths) - 1)], 4, stride=2, padding=1))
        encoder += [ResBlock(widths[-1]), nn.GroupNorm(8, widths[-1]), nn.SiLU(),
                    nn.Conv2d(widths[-1], config.latent_channels, 1)]
        self.encoder = nn.Sequential(*encoder)

        decoder: list[nn.Module] = [nn.Conv2d(config.latent_channels, widths[-1], 3, padding=1), ResBlock(widths[-1])]
        for i, width in reversed(list(enumerate(widths))):
            decoder += [nn.Upsample(scale_factor=2, mode="nearest"),
                        nn.Conv2d(widths[min(i + 1, len(widths) - 1)], width, 3, padding=1)]
            decoder += [ResBlock(width) for _ in range(config.blocks_per_stage)]
        decoder += [nn.GroupNorm(8, widths[0]), nn.SiLU(), nn.Conv2d(widths[0], 3, 3, padding=1)]
        self.decoder = nn.Sequential(*decoder)
        self.register_buffer("latent_mean", torch.zeros(config.latent_channels))
        self.register_buffer("latent_std", torch.ones(config.latent_channels))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Reconstruction, for training (DistributedDataParallel wraps ``forward``)."""
        return self.decoder(self.encoder(frames))

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> normalised latents (B, C, h, w)."""
        latents = self.encoder(frames)
        return (latents - self.latent_mean[:, None, None]) / self.latent_std[:, None, None]

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Normalised latents (B, C, h, w) -> (B, 3, H, W), roughly in [-1, 1]."""
        raw = latents * self.latent_std[:, None, None] + self.latent_mean[:, None, None]
        return self.decoder(raw)


def frames_to_tensor(frames: torch.Tensor) -> torch.Tensor:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float in [-1, 1]."""
    return frames.movedim(-1, -3).float() / 127.5 - 1.0


def tensor_to_frames(images: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) in [-1, 1] -> (..., H, W, 3) uint8."""
    return ((images.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).movedim(-3, -1)
