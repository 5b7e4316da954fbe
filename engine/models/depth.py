"""Monocular depth: a picture (B, 3, H, W) in [-1, 1] -> its depth along the view axis (B, 1, H, W), in the
map units of the frames it learned from (Doom: 64 = a floor tile), so any prompt can be lifted into the
world memory. A small U-Net (Ronneberger et al. 2015) that predicts log depth; its size is fixed by the
config, the picture's by the caller (any multiple of 2^stages).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class DepthConfig:
    width: int = 80                      # picture size the network sees (pictures are resized to it)
    height: int = 60
    channels: list[int] = field(default_factory=lambda: [16, 32, 64, 96])    # one stage per 2x downsampling
    min_depth: float = 1.0               # map units: the predicted depth lies in [min_depth, max_depth]
    max_depth: float = 2000.0


class ConvBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.GroupNorm(min(8, outputs // 4), outputs),
                                 nn.SiLU(), nn.Conv2d(outputs, outputs, 3, padding=1),
                                 nn.GroupNorm(min(8, outputs // 4), outputs), nn.SiLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DepthNet(nn.Module):
    def __init__(self, config: DepthConfig) -> None:
        super().__init__()
        self.config = config
        widths = config.channels
        self.stem = ConvBlock(3, widths[0])
        self.down = nn.ModuleList(ConvBlock(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        self.up = nn.ModuleList(ConvBlock(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(len(widths) - 1)))
        self.head = nn.Conv2d(widths[0], 1, 1)

    def log_depth(self, pictures: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, 1, H, W) natural log of the depth, bounded by the config."""
        skips = [self.stem(pictures)]                                                   # (B, C0, H, W)
        for block in self.down:
            skips.append(block(F.avg_pool2d(skips[-1], 2)))                             # (B, Ci, H/2^i, W/2^i)
        x = skips.pop()
        for block in self.up:
            skip = skips.pop()
            x = block(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        low, high = torch.log(torch.tensor(self.config.min_depth)), torch.log(torch.tensor(self.config.max_depth))
        return low + (high - low) * torch.sigmoid(self.head(x))

    def forward(self, pictures: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, 1, H, W) depth in map units."""
        return torch.exp(self.log_depth(pictures))


def depth_errors(predicted: torch.Tensor, true: torch.Tensor) -> dict[str, float]:
    """The standard monocular depth errors (Eigen et al. 2014) over pixels with a true depth: AbsRel (mean
    |pred - true| / true), RMSE of log depth, and delta<1.25 (share within a factor 1.25)."""
    valid = true > 0
    predicted, true = predicted[valid].float().clamp_min(1e-3), true[valid].float()
    ratio = torch.maximum(predicted / true, true / predicted)
    return {"abs_rel": float(((predicted - true).abs() / true).mean()),
            "rmse_log": float((predicted.log() - true.log()).pow(2).mean().sqrt()),
            "delta_1_25": float((ratio < 1.25).float().mean())}
