"""Two checkpoints of one network averaged in weight space (model soups, Wortsman et al. 2022; WiSE-FT).

Networks fine-tuned from the same weights lie in one basin, so the straight line between them is a cheap
dial between what each does well: two decoders of one autoencoder (plain and with the patch-GAN term:
faithful against sharp), or two students distilled from one starting student. For autoencoders only the
decoder moves and the encoder stays bit for bit, so every dynamics model over its latents still fits and
``dreamwalk eval world --autoencoder`` and ``dreamwalk export --autoencoder`` take a blend as they take either
decoder. For dynamics checkpoints every tensor moves; both must be one network over one autoencoder.

    dreamwalk average FIRST SECOND --weights 0.25,0.5 --out DIR

writes DIR/soup-025/<the second's file name> (weight 0.25 of the second) and so on, with the second's
metadata and a ``soup`` entry naming both ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.errors import DreamwalkError
from engine.models.checkpoint import load_checkpoint, save_checkpoint

KINDS = ("autoencoder", "dynamics")


def blend(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor], weight: float,
          moves: str = "") -> dict[str, torch.Tensor]:
    """(1 - weight) * first + weight * second for the floating-point tensors whose names start with
    ``moves`` (all by default); the others are ``first``'s. Both must hold the same tensors."""
    if first.keys() != second.keys() or any(first[k].shape != second[k].shape for k in first):
        raise DreamwalkError("the two checkpoints hold different tensors: only one network's weights blend")
    return {name: torch.lerp(value.float(), second[name].float(), weight).to(value.dtype)
            if value.is_floating_point() and name.startswith(moves) else value.clone()
            for name, value in first.items()}


def _check_pair(first_meta: dict[str, Any], meta: dict[str, Any], first: dict[str, torch.Tensor],
                second: dict[str, torch.Tensor]) -> str:
    """What moves in the blend (a tensor-name prefix), after refusing pairs that are not one network."""
    kind = meta.get("kind")
    if kind not in KINDS or first_meta.get("kind") != kind:
        raise DreamwalkError(f"average takes two autoencoder or two dynamics checkpoints, not {first_meta.get('kind')} "
                             f"and {kind}")
    if first_meta["config"]["model"] != meta["config"]["model"]:
        raise DreamwalkError("the two checkpoints have different network configs")
    if kind == "dynamics":
        if first_meta.get("autoencoder_sha") != meta.get("autoencoder_sha"):
            raise DreamwalkError("the two checkpoints were trained over different autoencoders")
        return ""
    encoder = [name for name in first if not name.startswith("decoder.")]
    if set(encoder) != {name for name in second if not name.startswith("decoder.")} or \
            not all(torch.equal(first[name], second[name]) for name in encoder):
        raise DreamwalkError("the two autoencoders have different encoders: only decoders of one encoder blend")
    return "decoder."


def average_checkpoints(first_path: str | Path, second_path: str | Path, weights: list[float],
                        out: str | Path) -> list[Path]:
    """One blended checkpoint per weight (of the second), written under ``out``/soup-NNN/."""
    if not weights or any(not 0.0 <= w <= 1.0 for w in weights):
        raise DreamwalkError(f"weights must lie in [0, 1], not {','.join(f'{w:g}' for w in weights) or 'none'}")
    first, first_meta = load_checkpoint(Path(first_path))
    second, meta = load_checkpoint(Path(second_path))
    moves = _check_pair(first_meta, meta, first, second)
    written = []
    for weight in weights:
        path = Path(out) / f"soup-{round(weight * 100):03d}" / Path(second_path).name
        save_checkpoint(path, blend(first, second, weight, moves), {**meta, "soup": {
            "first": str(first_path), "second": str(second_path), "weight": weight}})
        written.append(path)
    return written
