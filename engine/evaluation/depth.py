"""How well the depth network reads a picture (`dreamwalk eval depth DEPTH.safetensors --data HELD_OUT`): the standard
errors on held-out frames recorded with their true depth (maps never trained on), beside the simplest
reference (every picture given the training frames' median depth at each pixel), and its depth maps of every
bundled prompt, Doom or not, as a sheet to look at.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.models.checkpoint import load_depth_model
from engine.errors import DreamwalkError
from engine.models.depth import DepthNet, depth_errors
from engine.reports.common import write_report
from engine.reports.depth import DepthErrors, DepthReport, DepthTraining
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


def is_depth_checkpoint(path: str | Path) -> bool:
    """A checkpoint of the depth network (`dreamwalk train depth`)."""
    if not str(path).endswith(".safetensors") or not Path(path).is_file():
        return False
    from engine.models.checkpoint import checkpoint_meta

    return checkpoint_meta(Path(path)).get("kind") == "depth"


def evaluate_depth(checkpoint: str | Path, data: str | Path, out: str | Path,
                   prompts: str | Path | None = None) -> DepthReport:
    """The depth network of ``checkpoint`` on the held-out frames in ``data`` (recorded with depth); depth.json
    and (``prompts``: a folder of pictures) depth_prompts.png written into ``out``."""
    if not is_depth_checkpoint(checkpoint):
        raise DreamwalkError(f"{checkpoint} is not a depth network's checkpoint ('dreamwalk train depth')")
    network, meta = load_depth_model(checkpoint)
    size = (network.config.width, network.config.height)
    pictures, depths = load_pictures(data, size)
    predicted = predict(network, pictures)
    # The reference: no network, each pixel given the held-out frames' own median depth there (it knows the
    # test set's average layout, which no picture tells).
    reference = np.nanmedian(np.where(depths > 0, depths, np.nan), axis=0)
    reference = np.broadcast_to(np.nan_to_num(reference, nan=100.0), depths.shape).copy()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shown = prompt_sheet(network, Path(prompts), out / "depth_prompts.png") if prompts else None
    report = DepthReport(
        str(checkpoint), str(data), len(pictures), list(size),
        DepthTraining.from_json({key: meta.get(key) for key in ("step", "samples", "trained_minutes", "hardware",
                                                                 "frames")}),
        DepthErrors.from_json(depth_errors(torch.from_numpy(predicted), torch.from_numpy(depths))),
        DepthErrors.from_json(depth_errors(torch.from_numpy(reference), torch.from_numpy(depths))), shown)
    write_report(out / "depth.json", report.to_json())
    return report
