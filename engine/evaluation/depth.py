"""How well the depth network reads a picture (`dreamwalk eval DEPTH.safetensors --data HELD_OUT`): the standard
errors on held-out frames recorded with their true depth (maps never trained on), beside the simplest
reference (every picture given the training frames' median depth at each pixel), and its depth maps of every
bundled prompt, Doom or not, as a sheet to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from engine.models.checkpoint import load_depth_model
from engine.models.depth import DepthNet, depth_errors
from engine.training.depth import load_pictures


@torch.no_grad()
def predict(network: DepthNet, pictures: np.ndarray, batch: int = 64) -> np.ndarray:
    """(N, h, w, 3) uint8 at the network's size -> (N, h, w) float32 depth."""
    out = []
    for start in range(0, len(pictures), batch):
        tensor = torch.from_numpy(pictures[start:start + batch]).permute(0, 3, 1, 2).float() / 127.5 - 1
        out.append(network(tensor)[:, 0].numpy())
    return np.concatenate(out)


def colour_depth(depth: np.ndarray, far: float = 800.0) -> np.ndarray:
    """(h, w) depth -> (h, w, 3) uint8: near bright warm, far dark blue (log scale up to ``far``)."""
    t = np.clip(np.log(np.maximum(depth, 1.0)) / np.log(far), 0, 1)
    return (np.stack([1 - t, 0.6 * (1 - t) ** 2 + 0.1, 0.3 + 0.5 * t], axis=-1) * 255).astype(np.uint8)


def prompt_sheet(network: DepthNet, prompts: Path, out: Path) -> list[str]:
    """Each bundled prompt beside its depth map, one row each; returns the names in order."""
    from engine.runtime.images import load_prompt

    size = (network.config.width, network.config.height)
    captions = json.loads((prompts / "captions.json").read_text())
    names = sorted(captions)
    pictures = np.stack([load_prompt(prompts / name, size) for name in names])
    depths = predict(network, pictures)
    rows = [np.concatenate([picture, colour_depth(depth)], axis=1) for picture, depth in zip(pictures, depths)]
    sheet = np.concatenate([np.concatenate(rows[i:i + 4], axis=1) for i in range(0, len(rows) - len(rows) % 4, 4)]
                           + ([np.concatenate(rows[-(len(rows) % 4):] + [np.zeros_like(rows[0])] * (4 - len(rows) % 4),
                                              axis=1)] if len(rows) % 4 else []), axis=0)
    Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.NEAREST).save(out)
    return names


def evaluate_depth(checkpoint: str | Path, data: str | Path, out: str | Path,
                   prompts: str | Path | None = None) -> dict[str, Any]:
    network, meta = load_depth_model(checkpoint)
    size = (network.config.width, network.config.height)
    pictures, depths = load_pictures(data, size)
    predicted = predict(network, pictures)
    # The reference: no network, each pixel given the held-out frames' own median depth there (it knows the
    # test set's average layout, which no picture tells).
    reference = np.nanmedian(np.where(depths > 0, depths, np.nan), axis=0)
    reference = np.broadcast_to(np.nan_to_num(reference, nan=100.0), depths.shape).copy()
    report = {"checkpoint": str(checkpoint), "data": str(data), "frames": len(pictures), "size": list(size),
              "trained": {key: meta.get(key) for key in ("step", "samples", "trained_minutes", "hardware", "frames")},
              "errors": depth_errors(torch.from_numpy(predicted), torch.from_numpy(depths)),
              "median_reference": depth_errors(torch.from_numpy(reference), torch.from_numpy(depths))}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if prompts:
        report["prompts"] = prompt_sheet(network, Path(prompts), out / "depth_prompts.png")
    (out / "depth.json").write_text(json.dumps(report, indent=1))
    return report
