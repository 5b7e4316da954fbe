"""The default world's recipe, from nothing to the shipped pack: collect Freedoom 2 MAP01-MAP20, train the
autoencoder, train the dynamics model, distill it, sharpen the decoder, evaluate on MAP21-MAP24, export,
benchmark, ship.

    python scripts/default_world.py [--run runs/default-world] [--data data/doom-train] [--until STAGE] [--ship]

Every stage is the engine command a person would type, and every one resumes: run the script again after
an interruption (Ctrl-C, a crash, a reboot) and it continues where it stopped; finished stages return at
once. ``--ship`` copies the pack into ``assets/worlds/`` and its model card into ``docs/``.
``--set STAGE:KEY=VALUE`` overrides a training setting (e.g. ``--set dynamics:train.max_minutes=30``).

The shipped world's teacher was trained on a GPU (``scripts/gpu_world.py``, 4 minutes on an H200, the same
network as the CPU preset); the rest ran here:

    dreamwalk collect --source vizdoom --maps MAP01-MAP20 --frames 60000 --policy random --seed 7 \
        --episode-frames 1000 --out data/doom-random     # data/doom-mix: links to these and doom-train-100k
    python scripts/default_world.py --teacher runs/gpu-h200/teacher.safetensors --distill-data data/doom-mix --ship

Without ``--teacher`` the dynamics stage trains the teacher on this CPU (92 minutes for the previous world).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("collect", "autoencoder", "dynamics", "distill", "decoder", "eval", "export", "bench")

# What the shipped world was trained with (docs/default-world.md has the measured results).
# 100,000 frames are the first 50 episodes of the 300,000-frame collection (same plan, same seeds).
COLLECT = ["--source", "vizdoom", "--maps", "MAP01-MAP20", "--frames", "100000", "--policy", "explore",
           "--seed", "0"]
AUTOENCODER = ["--preset", "default", "--set", "train.max_minutes=25"]
# Anchor noise keeps long rollouts from adding up their own errors (docs/world-model.md, experiments).
DYNAMICS = ["--preset", "default", "--set", "diffusion.anchor_noise=0.5", "--set", "train.max_minutes=90"]
# The teacher samples four Heun steps from sigma 1 started from its own guess at sigma 5 (prior start:
# truncated sampling alone keeps the last frame and ignores the action), guidance 1.5; one student step
# at sigma 5 learns all of it (docs/world-model.md, "Why the world did not turn").
DISTILL = ["--preset", "default", "--set", "teacher_steps=4", "--set", "sigma_max=1.0", "--set", "prior_sigma=5.0",
           "--set", "student_sigma=5.0", "--set", "train.max_minutes=22"]
# The decoder alone, trained on (encoder frozen, so the dynamics model still fits): reconstruction on the
# held-out maps 25.1 -> 30.6 dB. The adversarial term (adversarial_weight 0.1) was sharper still but lower
# in PSNR at every rollout horizon (docs/world-model.md), so the shipped decoder trains without it.
DECODER = ["--preset", "default", "--set", "train.max_minutes=25", "--set", "adversarial_weight=0"]
EVAL = ["--windows-per-map", "4", "--horizon", "64", "--long", "1000", "--sweep", ""]
NAME = "Doom (Freedoom 2)"
DESCRIPTION = "Rooms dreamed from Freedoom 2 MAP01-MAP20 by a world model {trained}: soft and short-memoried"
LICENSE = "BSD-3-Clause (Freedoom assets); model weights MIT"


def dreamwalk(*arguments: str) -> None:
    command = [sys.executable, "-m", "engine.cli", *arguments]
    print("+ dreamwalk", " ".join(arguments), flush=True)
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if result.returncode != 0:
        sys.exit(f"default_world: the {arguments[0]} stage stopped (exit {result.returncode}); "
                 "run the same command again to continue")


def overrides(stage: str, pairs: list[str]) -> list[str]:
    return [arg for pair in pairs if pair.startswith(stage + ":") for arg in ("--set", pair.split(":", 1)[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("runs/default-world"))
    parser.add_argument("--data", type=Path, default=Path("data/doom-train-100k"))
    parser.add_argument("--until", choices=STAGES, default=STAGES[-1])
    parser.add_argument("--teacher", type=Path, help="distil this dynamics model instead of the dynamics stage's "
                        "(e.g. one trained on a GPU by scripts/gpu_world.py); its autoencoder must be this run's")
    parser.add_argument("--distill-data", type=Path, help="episodes to distil on (default: the teacher's)")
    parser.add_argument("--set", action="append", default=[], metavar="STAGE:KEY=VALUE")
    parser.add_argument("--ship", action="store_true", help="copy the pack and model card into assets/ and docs/")
    args = parser.parse_args()
    run, data = args.run, args.data
    autoencoder = run / "autoencoder" / "autoencoder.safetensors"
    teacher = args.teacher or run / "dynamics" / "dynamics.safetensors"
    student = run / "student" / "student.safetensors"
    decoder = run / "decoder" / "autoencoder.safetensors"
    pack = run / "doom.dwpack"
    stages = STAGES[: STAGES.index(args.until) + 1]

    if "collect" in stages:
        dreamwalk("collect", *COLLECT, "--out", str(data))
    if "autoencoder" in stages:
        dreamwalk("train", "autoencoder", *AUTOENCODER, "--data", str(data), "--out", str(autoencoder.parent),
                  *overrides("autoencoder", args.set))
    if "dynamics" in stages and not args.teacher:
        dreamwalk("train", "dynamics", *DYNAMICS, "--data", str(data), "--out", str(teacher.parent),
                  "--set", f"autoencoder={autoencoder}", *overrides("dynamics", args.set))
    if "distill" in stages:
        data_override = ["--set", f"data={args.distill_data}"] if args.distill_data else []
        dreamwalk("distill", str(teacher), *DISTILL, *data_override, "--out", str(student.parent),
                  *overrides("distill", args.set))
    if "decoder" in stages:
        dreamwalk("train", "decoder", *DECODER, "--data", str(data), "--out", str(decoder.parent),
                  "--set", f"autoencoder={autoencoder}", *overrides("decoder", args.set))
    evaluation = run / "eval"
    if "eval" in stages and not (evaluation / "eval.json").exists():
        dreamwalk("eval", str(student), *EVAL, "--autoencoder", str(decoder), "--out", str(evaluation))
    if "export" in stages and not pack.exists():
        trained = ("distilled on a 2-core CPU from a teacher trained on a GPU" if args.teacher
                   else "trained on a 2-core CPU")
        dreamwalk("export", str(student), "--out", str(pack), "--name", NAME,
                  "--description", DESCRIPTION.format(trained=trained),
                  "--license", LICENSE, "--metrics", str(evaluation / "eval.json"), "--autoencoder", str(decoder))
    if "bench" in stages and not (run / "bench.json").exists():
        dreamwalk("bench", str(pack), "--device", "cpu", "--steps", "1,2,4", "--frames", "1000",
                  "--json", str(run / "bench.json"))
    if args.ship:
        shutil.copyfile(pack, ROOT / "assets" / "worlds" / "doom.dwpack")
        print(f"shipped {pack} -> assets/worlds/doom.dwpack")


if __name__ == "__main__":
    main()
