"""Blend two decoders of one autoencoder in weight space, and measure each blend on held-out maps.

`dreamwalk train decoder` trained two decoders on from the same one: plain L1 + MSE (faithful, soft) and
with a patch-GAN term (sharp, 2.4 dB less faithful). Both start from the same weights, so the straight line
between them is a cheap dial between the two (weight averaging of fine-tuned models: "model soups",
Wortsman et al. 2022; WiSE-FT, Wortsman et al. 2022). The encoder stays bit for bit, so every dynamics
model over its latents still fits, and `dreamwalk eval/export --autoencoder` take a blend as they take
either decoder.

    python scripts/decoder_soup.py runs/decoder-l1/autoencoder.safetensors runs/decoder-gan/autoencoder.safetensors \
        --weights 0.25,0.5,0.75 --out runs/decoder-soup

writes runs/decoder-soup/soup-050/autoencoder.safetensors (weight 0.5 of the second decoder) and so on,
and prints the reconstruction PSNR and sharpness ratio of each blend, and of both ends, on frames
recorded in MAP21-MAP24 (the probe windows of `dreamwalk eval`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.errors import DreamwalkError  # noqa: E402
from engine.evaluation.evaluate import reconstruction_ceiling, record_probe_windows  # noqa: E402
from engine.models.autoencoder import Autoencoder, frames_to_tensor, tensor_to_frames  # noqa: E402
from engine.models.checkpoint import save_checkpoint  # noqa: E402
from engine.models.checkpoint import same_encoder  # noqa: E402
from engine.models.checkpoint import load_autoencoder  # noqa: E402


def blend(first: Autoencoder, second: Autoencoder, weight: float) -> Autoencoder:
    """``first``'s encoder; decoder weights (1 - weight) * first's + weight * second's."""
    if not same_encoder(first, second):
        raise DreamwalkError("the two autoencoders have different encoders: only decoders of one encoder blend")
    other = second.state_dict()
    state = {name: torch.lerp(value, other[name], weight)
             if name.startswith("decoder.") and value.is_floating_point() else value.clone()
             for name, value in first.state_dict().items()}
    soup = Autoencoder(first.config)
    soup.load_state_dict(state)
    return soup.eval()


def measure(autoencoder: Autoencoder, frames: np.ndarray) -> dict[str, float]:
    with torch.no_grad():
        tensor = frames_to_tensor(torch.from_numpy(frames))
        reconstruction = tensor_to_frames(autoencoder.decode(autoencoder.encode(tensor))).numpy()
    return reconstruction_ceiling(reconstruction, frames)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="the autoencoder whose decoder is weight 0")
    parser.add_argument("second", help="an autoencoder with the same encoder: weight 1")
    parser.add_argument("--weights", default="0.25,0.5,0.75", help="weights of the second decoder, comma-separated")
    parser.add_argument("--out", type=Path, required=True, help="folder for soup-NNN/autoencoder.safetensors")
    args = parser.parse_args()
    try:
        first, meta = load_autoencoder(args.first)
        second, _ = load_autoencoder(args.second)
        weights = [float(w) for w in args.weights.split(",")]
        size = (first.config.width, first.config.height)
        frames, _, _ = record_probe_windows("vizdoom", ["MAP21", "MAP22", "MAP23", "MAP24"], 2, 16, size, seed=0)
        frames = frames.reshape(-1, *frames.shape[2:])
        rows = {"0": measure(first.eval(), frames), "1": measure(second.eval(), frames)}
        for weight in weights:
            soup = blend(first, second, weight)
            rows[f"{weight:g}"] = measure(soup, frames)
            path = args.out / f"soup-{round(weight * 100):03d}" / "autoencoder.safetensors"
            path.parent.mkdir(parents=True, exist_ok=True)
            save_checkpoint(path, soup.state_dict(), {**meta, "decoder_soup": {
                "first": str(args.first), "second": str(args.second), "weight": weight}})
    except DreamwalkError as error:
        print(f"decoder_soup: {error}", file=sys.stderr)
        return 1
    for weight, row in sorted(rows.items(), key=lambda item: float(item[0])):
        print(f"weight {weight:>5}: reconstruction {row['psnr']:.2f} dB, sharpness ratio {row['sharpness_ratio']:.2f}")
    (args.out / "reconstruction.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
