"""How the noise level dreamed frames enter the context at changes long rollouts (``context_sigma``).

A dreamed frame is cached as context with a little noise on it (GameNGen's noise augmentation, here at the
trained level 0.05 by default). This plays the evaluation's 1,000-frame probe rollout from real frames of
*training* maps (so a level chosen here is not tuned on the held-out maps) at several levels and prints the
contrast and sharpness of every 50-frame block relative to real frames (the ranges `dreamwalk eval world`
reports), and writes a strip of every 100th frame per level.

    python benchmarks/context_noise.py runs/student/student.safetensors --levels 0.05,0.065,0.08,0.1 \
        [--maps MAP05,MAP10,MAP15,MAP20] [--autoencoder DECODER] [--out runs/context-noise]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image


from engine.evaluation.evaluate import (EvalConfig, WorldModel, long_rollout_stats,
                                        record_probe_windows)
from engine.models.sampling import SamplerConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--levels", default="0.05,0.065,0.08,0.1")
    parser.add_argument("--maps", default="MAP05,MAP10,MAP15,MAP20", help="one prompt from each (training maps)")
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--autoencoder", help="a decoder of the same encoder (default: the model's own)")
    parser.add_argument("--out", type=Path, default=Path("runs/context-noise"))
    args = parser.parse_args()
    torch.set_num_threads(2)

    model = WorldModel(args.checkpoint, args.autoencoder)
    meta = model.meta
    own = SamplerConfig().resolve(meta, model.denoiser.config)      # the checkpoint's own sampler
    frames, _, ranges = record_probe_windows("vizdoom", args.maps.split(","), 1, 64, model.size, 0)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for level in [float(x) for x in args.levels.split(",")]:
        config = EvalConfig(world=args.checkpoint, sampling=replace(own, context_sigma=level),
                            long_rollout=args.frames)
        stats, dreamed = long_rollout_stats(model, config, frames[:, 0], frames[:, 1:], ranges)
        results[str(level)] = stats.to_json()
        print(f"context sigma {level:g}: contrast {stats.contrast_ratio_range[0]:.2f}-"
              f"{stats.contrast_ratio_range[1]:.2f}, sharpness {stats.sharpness_ratio_range[0]:.2f}-"
              f"{stats.sharpness_ratio_range[1]:.2f} of real frames, flat frames {stats.flat_frames}, "
              f"blurred frames {stats.blurred_frames}",
              flush=True)
        rows = [np.concatenate(list(run[::100]), axis=1) for run in dreamed]
        Image.fromarray(np.concatenate(rows, axis=0)).save(args.out / f"context-{level:g}.png")
    report = {"checkpoint": args.checkpoint, "autoencoder": args.autoencoder, "maps": args.maps, "levels": results}
    (args.out / "context_noise.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}/context_noise.json and context-*.png")


if __name__ == "__main__":
    main()
