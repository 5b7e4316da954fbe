"""Depth stage: the monocular depth network (engine.models.depth) trained on recorded frames with their true
depth (``dreamwalk collect --depth --hide-weapon``), with augmentations that make it read drawings and
paintings as layouts: colour and tone shifts, grey, posterising, blur, and edge-only renders (a pencil
sketch of the frame). The loss is on log depth: L1 plus the scale-invariant term of Eigen et al. 2014, so
the layout is learned before the scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from engine.config import to_dict
from engine.data.shards import list_shards, read_depth, read_shard
from engine.errors import DataError
from engine.images import area_resize, area_weights
from engine.models.checkpoint import save_checkpoint
from engine.models.depth import DepthConfig, DepthNet, depth_errors
from engine.training.loop import TrainConfig, train

FINAL = "depth.safetensors"


@dataclass
class DepthTrainConfig:
    data: str = "data/doom-depth"
    augment: float = 0.7                 # share of pictures given a drawing-like look
    scale_invariant: float = 0.5         # weight of the scale-invariant term beside L1 on log depth
    model: DepthConfig = field(default_factory=DepthConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(out="runs/depth", batch_size=32, lr=1e-3,
                                                                    ema_decay=0.999))


def resize_depth(depth: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(..., H, W) depth to ``size`` by area averaging (as the frames), zeros (no depth) kept out of it."""
    width, height = size
    if depth.shape[-2:] == (height, width):
        return depth.astype(np.float32)
    stacked = np.stack([depth * (depth > 0), (depth > 0).astype(np.float32)], axis=-1).astype(np.float32)
    flat = stacked.reshape(-1, *depth.shape[-2:], 2)
    rows, cols = area_weights(depth.shape[-2], height), area_weights(depth.shape[-1], width)
    count, rows_in, columns_in = flat.shape[:3]
    across = np.matmul(rows.astype(np.float32), flat.reshape(count, rows_in, columns_in * 2))     # (n, h, W * 2)
    across = across.reshape(count, height, columns_in, 2).transpose(0, 1, 3, 2)                  # (n, h, 2, W)
    resized = np.matmul(across, cols.T.astype(np.float32)).transpose(0, 1, 3, 2)                  # (n, h, w, 2)
    out = np.where(resized[..., 1] > 1e-6, resized[..., 0] / np.maximum(resized[..., 1], 1e-6), 0.0)
    return out.reshape(*depth.shape[:-2], height, width).astype(np.float32)


def load_pictures(data: str | Path, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every frame with a recorded depth, resized: pictures (N, h, w, 3) uint8 and depth (N, h, w) float32."""
    pictures, depths = [], []
    for shard in list_shards(Path(data)):
        depth = read_depth(shard)
        if depth is None:
            continue
        frames = read_shard(shard)[0]
        pictures.append(area_resize(frames, size))
        depths.append(resize_depth(depth, size))
    if not pictures:
        raise DataError(f"no shard in {data} was recorded with depth; record some with 'dreamwalk collect --depth'")
    return np.concatenate(pictures), np.concatenate(depths)


def drawing_like(pictures: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Pictures (B, 3, H, W) in [0, 1], each given one look at random: colour and tone shifted, grey,
    posterised, blurred, or an edge-only render (dark lines on paper)."""
    batch = len(pictures)
    looks = torch.randint(0, 5, (batch,), generator=generator)
    out = pictures.clone()
    # colour and tone: per channel gain and offset, contrast and gamma
    gain = 0.6 + 0.8 * torch.rand(batch, 3, 1, 1, generator=generator)
    offset = 0.2 * (torch.rand(batch, 3, 1, 1, generator=generator) - 0.5)
    gamma = torch.exp(0.6 * (torch.rand(batch, 1, 1, 1, generator=generator) - 0.5))
    toned = ((pictures * gain + offset).clamp(1e-4, 1) ** gamma).clamp(0, 1)
    grey = pictures.mean(dim=1, keepdim=True).expand_as(pictures)
    levels = torch.randint(2, 6, (batch, 1, 1, 1), generator=generator).float()
    posterised = torch.round(toned * levels) / levels
    blurred = F.avg_pool2d(F.pad(toned, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    kernel_x = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).view(1, 1, 3, 3)
    padded = F.pad(grey[:, :1], (1, 1, 1, 1), mode="replicate")
    edges = (F.conv2d(padded, kernel_x) ** 2 + F.conv2d(padded, kernel_x.transpose(-1, -2)) ** 2).sqrt()
    sketch = (1 - (edges * 4).clamp(0, 1)).expand_as(pictures) * (0.85 + 0.15 * torch.rand(batch, 1, 1, 1,
                                                                                             generator=generator))
    for look, image in enumerate((toned, grey * gain.mean(1, keepdim=True), posterised, blurred, sketch)):
        out = torch.where((looks == look)[:, None, None, None], image.clamp(0, 1), out)
    return out


class DepthTask:
    def __init__(self, config: DepthTrainConfig, pictures: np.ndarray, depths: np.ndarray) -> None:
        self.config = config
        self.model = DepthNet(config.model)
        self.pictures, self.depths = torch.from_numpy(pictures), torch.from_numpy(depths)

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.config.train.seed)
        while True:
            picks = torch.randint(len(self.pictures), (self.config.train.batch_size,), generator=generator)
            pictures = self.pictures[picks].permute(0, 3, 1, 2).float() / 255          # (B, 3, h, w)
            depths = self.depths[picks][:, None]                                        # (B, 1, h, w)
            flip = torch.rand(len(picks), generator=generator) < 0.5
            pictures = torch.where(flip[:, None, None, None], pictures.flip(-1), pictures)
            depths = torch.where(flip[:, None, None, None], depths.flip(-1), depths)
            styled = torch.rand(len(picks), generator=generator) < self.config.augment
            pictures = torch.where(styled[:, None, None, None], drawing_like(pictures, generator), pictures)
            yield pictures * 2 - 1, depths

    def samples(self, batch: tuple[torch.Tensor, torch.Tensor]) -> int:
        return len(batch[0])

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        device = next(model.parameters()).device
        pictures, depths = (tensor.to(device) for tensor in batch)
        network = model.module if hasattr(model, "module") else model
        predicted = network.log_depth(pictures).float()
        valid = depths > 0
        difference = (predicted - depths.clamp_min(1e-3).log())[valid]
        loss = difference.abs().mean() + self.config.scale_invariant * (
            difference.pow(2).mean() - difference.mean().pow(2)).clamp_min(0).sqrt()
        errors = depth_errors(predicted.detach().exp(), depths)
        return loss, {"abs_rel": errors["abs_rel"], "delta_1_25": errors["delta_1_25"]}


def train_depth(config: DepthTrainConfig, quiet: bool = False) -> dict[str, Any]:
    size = (config.model.width, config.model.height)
    pictures, depths = load_pictures(config.data, size)
    torch.manual_seed(config.train.seed)        # the model's first weights: the same every run
    task = DepthTask(config, pictures, depths)
    summary = train(task, config.train, to_dict(config), quiet)
    if not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0:
        meta = {"kind": "depth", "config": to_dict(config), "frames": len(pictures),
                **{key: summary[key] for key in ("step", "samples", "trained_minutes", "hardware")}}
        save_checkpoint(Path(config.train.out) / FINAL, summary["ema"].state_dict(), meta)
    return summary
