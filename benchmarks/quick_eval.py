"""The reduced evaluation used for the A/B experiments of docs/world-model.md: `dreamwalk eval` on
MAP21-MAP24 with 8 windows (2 per map), 16-frame horizon, no guidance sweep, a 300-frame rollout.

    python benchmarks/quick_eval.py CHECKPOINT OUT [--steps 4] [--sampler heun] [--sigma-max 1.0] [--prior-sigma 5]
        [--autoencoder AE]

Prints one JSON line (PSNR at 1/4/16 frames, copy-prompt, dTPSNR, sharpness, teacher-forced, the long
rollout's statistics) and writes eval.json, strips.png and long_rollout.png into OUT.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.evaluation.evaluate import EvalConfig, evaluate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--sampler", default="heun")
    parser.add_argument("--sigma-max", type=float)
    parser.add_argument("--prior-sigma", type=float, help="start sampling from the model's guess at this level")
    parser.add_argument("--autoencoder", default="", help="a sharpened decoder of the same encoder")
    args = parser.parse_args()
    report = evaluate(EvalConfig(world=args.checkpoint, windows_per_map=2, horizon=16, steps=args.steps,
                                 sampler=args.sampler, sigma_max=args.sigma_max,
                                 prior_sigma=args.prior_sigma, guidance_sweep=[1.0],
                                 long_rollout=300, autoencoder=args.autoencoder, out=args.out))
    auto = report["autoregressive"]
    print(json.dumps({"autoencoder_psnr": report["autoencoder_psnr"],
                      "autoencoder_sharpness": report["autoencoder_sharpness_ratio"], "psnr": auto["psnr"], "copy": report["copy_prompt_psnr"], "dtpsnr": auto["dtpsnr"],
                      "sharpness": auto["sharpness_ratio"], "teacher_forced": report["teacher_forced"]["psnr"],
                      "long": report["long_rollout"]}))


if __name__ == "__main__":
    main()
