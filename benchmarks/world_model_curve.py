"""Quality of a dynamics run against training time: evaluate every EMA snapshot of a run folder.

    python benchmarks/world_model_curve.py runs/dyn-default [--windows-per-map 2] [--horizon 16] [--sigma-max 1]

Each snapshot (``snapshots/NNNNmin.safetensors``, plus the final ``dynamics.safetensors``) is measured
with ``dreamwalk eval world`` settings kept small enough to run beside training (no guidance sweep, no long
rollout). Writes ``curve.json`` and ``curve.png`` into the run folder.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


from engine.evaluation.evaluate import EvalConfig, evaluate
from engine.models.checkpoint import load_checkpoint
from engine.models.sampling import SamplerConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--windows-per-map", type=int, default=2)
    parser.add_argument("--horizon", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--sigma-max", type=float, help="start sampling here (truncated sampling)")
    args = parser.parse_args()
    suffix = f"-sigma{args.sigma_max:g}" if args.sigma_max else ""
    curve_path = args.run / f"curve{suffix}.json"
    points = json.loads(curve_path.read_text()) if curve_path.exists() else {}
    checkpoints = sorted((args.run / "snapshots").glob("*.safetensors"))
    if (args.run / "dynamics.safetensors").exists():
        checkpoints.append(args.run / "dynamics.safetensors")
    for checkpoint in checkpoints:
        _, meta = load_checkpoint(checkpoint)
        key = f"{meta['trained_minutes']:.1f}"
        if key in points:
            continue
        config = EvalConfig(world=str(checkpoint), windows_per_map=args.windows_per_map, horizon=args.horizon,
                            sampling=SamplerConfig(name="heun", steps=args.steps, guidance_scale=1.0,
                                                  sigma_max=args.sigma_max),
                            guidance_sweep=[1.0], long_rollout=0,
                            out=str(args.run / f"curve{suffix}" / checkpoint.stem))
        report = evaluate(config)
        h, auto = args.horizon, report.autoregressive
        points[key] = {"checkpoint": checkpoint.name, "step": meta["step"], "samples": meta["samples"],
                       "psnr": auto.psnr[h], "copy_prompt_psnr": report.copy_prompt_psnr[h], "dtpsnr": auto.dtpsnr[h],
                       "sharpness_ratio": auto.sharpness_ratio[h], "teacher_forced_psnr": report.teacher_forced.psnr}
        print(f"{key} min (step {meta['step']}): PSNR@{h} {points[key]['psnr']:.2f} dB "
              f"(copy {points[key]['copy_prompt_psnr']:.2f}), dTPSNR {points[key]['dtpsnr']:+.2f} dB, "
              f"sharpness {points[key]['sharpness_ratio']:.2f}", flush=True)
        curve_path.write_text(json.dumps(points, indent=1))
    plot(points, args.run / f"curve{suffix}.png", args.horizon)


def plot(points: dict, out: Path, horizon: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = sorted(points, key=float)
    x = [float(m) for m in minutes]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(x, [points[m]["psnr"] - points[m]["copy_prompt_psnr"] for m in minutes], "o-",
              label=f"PSNR@{horizon} minus copy-prompt")
    left.plot(x, [points[m]["dtpsnr"] for m in minutes], "s-", label=f"dTPSNR@{horizon}")
    left.axhline(0, color="gray", lw=0.8)
    left.set_xlabel("training minutes (2-core CPU)")
    left.set_ylabel("dB")
    left.legend()
    left.grid(alpha=0.3)
    right.plot(x, [points[m]["sharpness_ratio"] for m in minutes], "o-", label=f"sharpness ratio@{horizon}")
    right.set_xlabel("training minutes (2-core CPU)")
    right.legend()
    right.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out, dpi=90)
    plt.close(figure)


if __name__ == "__main__":
    main()
