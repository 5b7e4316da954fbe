"""Blend two dynamics models of one network in weight space ("model soups", Wortsman et al. 2022).

Two students distilled from the same starting student (the fifteenth session's 190-minute teacher's
student started from the shipped one and ran 300 distillation steps) lie in one basin, so the straight
line between their weights is a dial between them: here between the shipped world's PSNR and the newer
student's faster turns, sharper frames and steadier standing still.

    python scripts/dynamics_soup.py runs/shipped/dynamics.safetensors runs/distill-t190/student.safetensors \
        --weights 0.5 --out runs/soup-t190

writes runs/soup-t190/soup-050/student.safetensors (weight 0.5 of the second), with the second's
metadata (its autoencoder, its distillation settings) and a `soup` entry naming both ends; export and
evaluate it as any student (`dreamwalk export ... --int8`, `dreamwalk eval PACK`). Both must be dynamics
checkpoints of the same network config over the same autoencoder; anything else is one error line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.errors import DreamwalkError  # noqa: E402
from engine.models.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402


def blend(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor], weight: float) -> dict[str, torch.Tensor]:
    """(1 - weight) * first + weight * second, tensor by tensor; both must hold the same tensors."""
    if first.keys() != second.keys() or any(first[k].shape != second[k].shape for k in first):
        raise DreamwalkError("the two checkpoints hold different tensors: only one network's weights blend")
    return {name: torch.lerp(value.float(), second[name].float(), weight).to(value.dtype)
            if value.is_floating_point() else value.clone() for name, value in first.items()}


def read(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, meta = load_checkpoint(path)
    if meta.get("kind") != "dynamics":
        raise DreamwalkError(f"{path} is not a dynamics checkpoint")
    return tensors, meta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, help="the dynamics checkpoint at weight 0")
    parser.add_argument("second", type=Path, help="one of the same network: weight 1 (its metadata is kept)")
    parser.add_argument("--weights", default="0.5", help="weights of the second, comma-separated, each in [0, 1]")
    parser.add_argument("--out", type=Path, required=True, help="folder for soup-NNN/student.safetensors")
    args = parser.parse_args()
    try:
        weights = [float(w) for w in args.weights.split(",")]
        if any(not 0.0 <= w <= 1.0 for w in weights):
            raise DreamwalkError(f"weights must lie in [0, 1], not {args.weights}")
        first, first_meta = read(args.first)
        second, meta = read(args.second)
        if first_meta.get("autoencoder_sha") != meta.get("autoencoder_sha"):
            raise DreamwalkError("the two checkpoints were trained over different autoencoders")
        if first_meta["config"]["model"] != meta["config"]["model"]:
            raise DreamwalkError("the two checkpoints have different network configs")
        for weight in weights:
            path = args.out / f"soup-{round(weight * 100):03d}" / "student.safetensors"
            save_checkpoint(path, blend(first, second, weight), {**meta, "soup": {
                "first": str(args.first), "second": str(args.second), "weight": weight}})
            print(f"weight {weight:g}: {path}")
    except (DreamwalkError, ValueError) as error:
        print(f"dynamics_soup: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
