"""Standing still: what Doom shows a player who stops, and what world models dream when no key is pressed.

The recordings never stand still (no recorded frame has an all-zero action), yet play begins with the player
looking at the prompt. This measures both sides on the held-out maps:

- Doom itself: after each of ``--stops`` stretches of the evaluation's action probe, the player lets go of
  every key for 64 frames; PSNR (at the models' 64x48) of each held frame to the last moving one and to the
  frame before it, and the share of frames identical to the one before (momentum runs out);
- each checkpoint given: from the evaluation's 16 probe prompts, 64 frames with no action, PSNR against the
  prompt at 1/4/16/64 frames (``evaluate.standing_still``, as ``dreamwalk eval world`` reports it).

    python benchmarks/standing_still.py [CHECKPOINT ...] [--autoencoder DECODER] [--context-sigma 0.08] \
        [--out runs/standing-still.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch


from engine.data.sources import open_place
from engine.images import area_resize
from engine.evaluation.evaluate import (EvalConfig, WorldModel, record_probe_windows,
                                        standing_still)
from engine.evaluation.metrics import psnr
from engine.evaluation.probe import ProbePolicy
from engine.models.sampling import SamplerConfig

MAPS = ["MAP21", "MAP22", "MAP23", "MAP24"]
HORIZONS = (1, 2, 4, 8, 16, 32, 64)


def doom_stops(stops_per_map: int, size: tuple[int, int] = (64, 48)) -> dict:
    to_last, to_previous = [], []
    for place in MAPS:
        with open_place("vizdoom", place) as source:
            source.reset(seed=0)
            probe = ProbePolicy(5)
            for _ in range(stops_per_map):
                for _ in range(40):
                    source.step(probe.act())
                frames = [source.step(probe.act())] + [source.step({}) for _ in range(64)]
                small = area_resize(np.stack(frames), size)
                to_last.append(psnr(small[1:], np.broadcast_to(small[0], small[1:].shape)))
                to_previous.append(psnr(small[1:], small[:-1]))
    last, previous = np.array(to_last), np.array(to_previous)
    identical = previous >= 99.0                                 # psnr caps an exact match at 100 dB
    return {"stops": len(last),
            "psnr_to_last_moving_frame": {str(h): float(np.median(last[:, h - 1])) for h in HORIZONS},
            "psnr_to_previous_frame": {str(h): float(np.median(previous[:, h - 1])) for h in HORIZONS},
            "identical_to_previous_share": {str(h): float(identical[:, h - 1].mean()) for h in HORIZONS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="*")
    parser.add_argument("--autoencoder", help="a decoder of the same encoder (default: each model's own)")
    parser.add_argument("--context-sigma", type=float)
    parser.add_argument("--stops", type=int, default=4, help="stops per map in Doom")
    parser.add_argument("--out", type=Path, default=Path("runs/standing-still.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    report = {"doom": doom_stops(args.stops)}
    print("Doom, a player who stops:", json.dumps(report["doom"]), flush=True)
    frames = None
    for checkpoint in args.checkpoints:
        model = WorldModel(checkpoint, args.autoencoder)
        if frames is None:
            frames, _, _ = record_probe_windows("vizdoom", MAPS, 4, 64, model.size, 0)
        sampling = SamplerConfig(context_sigma=args.context_sigma).resolve(model.meta, model.denoiser.config)
        config = EvalConfig(world=checkpoint, sampling=sampling, horizon=64)
        prompt = frames[:, 0]
        actions = torch.zeros(len(prompt), 64, model.denoiser.network.config.action_dim)
        report[checkpoint] = standing_still(model, config, prompt, actions,
                                            model.decode(model.encode(prompt))).to_json()
        print(checkpoint, json.dumps(report[checkpoint]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
