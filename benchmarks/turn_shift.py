"""How far a world model turns the view: 12 frames of a held turn from a prompt, decoded, and the mean
horizontal shift of the content per frame (engine.evaluation.metrics.horizontal_shift; real Doom moves
about 5 px per frame at 64 px wide for 8 deg/frame). Turning right moves the content left (negative).

    python benchmarks/turn_shift.py CHECKPOINT [--sigma-max 1.0] [--prior-sigma 5] [--prompt assets/prompts/doom-map04.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.actions import Action, encode_action  # noqa: E402
from engine.data.windows import area_resize  # noqa: E402
from engine.evaluation.metrics import horizontal_shift  # noqa: E402
from engine.export.export import default_context_sigma, default_sigma_max  # noqa: E402
from engine.models.autoencoder import frames_to_tensor, tensor_to_frames  # noqa: E402
from engine.models.rollout import LatentRollout  # noqa: E402
from engine.models.checkpoint import load_world_model, world_autoencoder  # noqa: E402


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--sigma-max", type=float)
    parser.add_argument("--prior-sigma", type=float, help="start sampling from the model's guess at this level")
    parser.add_argument("--context-sigma", type=float, help="noise dreamed frames enter the context at")
    parser.add_argument("--prompt", default="assets/prompts/doom-map04.png")
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()
    denoiser, meta = load_world_model(args.checkpoint)
    autoencoder = world_autoencoder(meta)
    size = (autoencoder.config.width, autoencoder.config.height)
    prompt = area_resize(np.asarray(Image.open(args.prompt).convert("RGB"))[None], size)
    latent = autoencoder.encode(frames_to_tensor(torch.from_numpy(prompt)))
    student = bool(meta.get("distilled"))
    sigma_max = default_sigma_max(meta) if args.sigma_max is None else args.sigma_max   # a student's own level
    context_sigma = default_context_sigma(meta) if args.context_sigma is None else args.context_sigma
    for turn in (-8.0, 0.0, 8.0):
        rollout = LatentRollout(denoiser, steps=1 if student else 4, sampler="euler" if student else "heun",
                                generator=torch.Generator().manual_seed(0), sigma_max=sigma_max,
                                prior_sigma=args.prior_sigma, context_sigma=context_sigma)
        rollout.prime(latent)
        world = meta.get("world", {})
        action = torch.from_numpy(encode_action(Action(turn=turn), world.get("turn_range", 15.0),
                                                world.get("look_range", 5.0)))[None].float()
        frames = [prompt[0]]
        for _ in range(args.frames):
            frames.append(tensor_to_frames(autoencoder.decode(rollout.step(action)))[0].numpy())
        shift = np.mean([horizontal_shift(a, b) for a, b in zip(frames[:-1], frames[1:])])
        print(f"turn {turn:+.0f} deg/frame: view shift {shift:+.2f} px/frame")


if __name__ == "__main__":
    main()
