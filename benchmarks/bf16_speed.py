"""What bf16 autocast does to speed on this CPU: the autoencoder's encoder (what `dreamwalk train dynamics`
runs to cache latents) and one training step of the dynamics model, each in fp32 and under bf16 autocast,
medians of ``--repeats`` timed runs after one warm-up. The training loop turns autocast on only where
``engine.training.loop.fast_bf16`` says the hardware computes in bf16; this shows why.

    python benchmarks/bf16_speed.py [--threads 2] [--repeats 3] [--json runs/bf16_speed.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from engine.models.autoencoder import Autoencoder, AutoencoderConfig
from engine.models.denoiser import Denoiser, DiffusionConfig
from engine.models.dynamics import DynamicsConfig, DynamicsTransformer
from engine.training.loop import fast_bf16


def median_seconds(work, bf16: bool, repeats: int) -> float:
    times = []
    for index in range(repeats + 1):
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            work()
        if index:                                            # the first run warms up
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    autoencoder = Autoencoder(AutoencoderConfig()).eval()              # the default preset's shapes
    frames = torch.rand(256, 3, 48, 64) * 2 - 1
    denoiser = Denoiser(DynamicsTransformer(DynamicsConfig()), DiffusionConfig()).train()
    latents, actions = torch.randn(8, 8, 16, 6, 8), torch.rand(8, 7, 12)

    def encode() -> None:
        with torch.no_grad():
            autoencoder.encode(frames)

    def train_step() -> None:
        loss = denoiser(latents, actions)[0]
        loss.mean().backward()

    result = {"cpu": platform.processor() or platform.machine(), "fast_bf16": fast_bf16(torch.device("cpu")),
              "threads": args.threads, "repeats": args.repeats}
    for name, work, unit in (("encode", encode, "256 frames"), ("train_step", train_step, "batch of 8 windows")):
        fp32, bf16 = (median_seconds(work, enabled, args.repeats) for enabled in (False, True))
        result[name] = {"unit": unit, "fp32_s": round(fp32, 3), "bf16_s": round(bf16, 3),
                        "bf16_speedup": round(fp32 / bf16, 2)}
        print(f"{name} ({unit}): fp32 {fp32:.2f} s, bf16 autocast {bf16:.2f} s: {fp32 / bf16:.2f}x", flush=True)
    print(f"native bf16 on this CPU (fast_bf16): {result['fast_bf16']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
