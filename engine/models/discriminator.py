"""A patch discriminator for sharpening the decoder (pix2pix's PatchGAN, Isola et al. 2017): one real/generated
verdict per 8x8-pixel patch, so it judges texture and edges rather than the layout of a whole frame."""

from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    """Real or generated, per 8x8-pixel patch (a 64x48 frame gives 8x6 verdicts)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.GroupNorm(8, 2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 2 * width, 4, stride=2, padding=1), nn.GroupNorm(8, 2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 3, padding=1))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.layers(frames)
