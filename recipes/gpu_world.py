"""The default world's heavy stages on a GPU machine, within a hard time budget.

    python3 recipes/gpu_world.py --autoencoder runs/ae-default/autoencoder.safetensors --out OUT [--budget 530]
        [--random-workers 7] [--variant plain --variant noisy:diffusion.anchor_noise=0.25]

On a machine with one GPU and many cores, and nothing but this checkout (vizdoom may come as a wheel on
PYTHONPATH): record Freedoom 2 MAP01-MAP20 with one ``dreamwalk collect`` per core (different seeds, so
different episodes; ``--random-workers`` of them play the random policy's strong varied actions), encode
it with the given autoencoder on the GPU, train the dynamics model with ``--preset gpu`` and distill it,
each stage given its share of the budget. Each ``--variant NAME[:KEY=VALUE,...]`` is one teacher with its
own overrides; variants train side by side on the one GPU (a 7.5M-parameter model leaves most of it
idle), then each is distilled. Results go to OUT as they are made, so a run cut short
still returns what it finished: each teacher's and student's EMA weights (``teacher-NAME.fp16.safetensors``,
``student-NAME.fp16.safetensors``: fp16, under 16 MB each, loadable by every engine command), with one
variant also the teacher's weights at the middle of its run (for the curve over training time; with two,
four weight files would take OUT past 64 MiB), the metrics logs and stage logs
(``logs.tar.gz``), and ``summary.json`` with each stage's seconds, steps and samples/s. Side by side they
share the GPU: two on an H100 ran at about 2,000 windows/s each (one alone on an H200: 4,700).

The autoencoder comes from ``dreamwalk recover assets/worlds/doom.dwpack --out runs/shipped`` (8 MiB); the
stages run ``python -m engine.cli`` from this checkout; with Dreamwalk not installed there, run the recipe
as ``PYTHONPATH=. python3 recipes/gpu_world.py ...`` from the checkout (only the engine's dependencies needed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[gpu_world {time.strftime('%H:%M:%S')}] {message}", flush=True)


def dreamwalk_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "engine.cli", *arguments]


def environment() -> dict[str, str]:
    paths = [str(ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}


def collect(data: Path, workers: int, frames_per_worker: int, seconds: float, random_workers: int = 0) -> dict:
    """One collector per worker with its own seed, the last ``random_workers`` playing the random policy;
    stopped with Ctrl-C at the deadline (finished episodes are kept, the one in progress is dropped)."""
    started = time.monotonic()
    env = {**environment(), "OMP_NUM_THREADS": "1"}
    policies = ["explore"] * (workers - random_workers) + ["random"] * random_workers
    processes = [subprocess.Popen(dreamwalk_command(
        "collect", "--source", "vizdoom", "--maps", "MAP01-MAP20", "--frames", str(frames_per_worker),
        "--episode-frames", "1000", "--policy", policy, "--seed", str(100 + k), "--out",
        str(data / f"part{k:02d}"), "--quiet"), cwd=ROOT, env=env) for k, policy in enumerate(policies)]
    deadline = started + seconds
    while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
        time.sleep(0.5)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    from engine.data.shards import list_shards, read_meta
    shards = list_shards(data)
    frames = sum(read_meta(shard)["frames"] for shard in shards)
    return {"seconds": round(time.monotonic() - started, 1), "workers": workers, "random_workers": random_workers,
            "episodes": len(shards), "frames": frames, "codes": [p.returncode for p in processes]}


def encode(autoencoder: Path, data: Path, run: Path) -> dict:
    from engine.training.latents import encode_shards
    started = time.monotonic()
    outputs = encode_shards(autoencoder, data, run / "latents")
    return {"seconds": round(time.monotonic() - started, 1), "shards": len(outputs)}


def run_stages(commands: dict[str, list[str]], seconds: float, logs: Path) -> dict[str, dict]:
    """Training commands side by side with one deadline: past it, SIGINT (each saves and stops).
    Each command's output goes to ``logs/NAME.log``."""
    started = time.monotonic()
    logs.mkdir(parents=True, exist_ok=True)
    outputs = {name: open(logs / f"{name}.log", "w") for name in commands}
    processes = {name: subprocess.Popen(dreamwalk_command(*arguments), cwd=ROOT, env=environment(),
                                        stdout=outputs[name], stderr=subprocess.STDOUT)
                 for name, arguments in commands.items()}
    deadline = started + seconds
    while any(p.poll() is None for p in processes.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes.values():
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    results = {}
    for name, process in processes.items():
        outputs[name].close()
        tail = (logs / f"{name}.log").read_text(errors="replace").strip().splitlines()[-3:]
        results[name] = {"seconds": round(time.monotonic() - started, 1), "code": process.returncode, "tail": tail}
    return results


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME[:KEY=VALUE,...]`` -> the name and its ``--set`` arguments."""
    name, _, pairs = text.partition(":")
    if not name.replace("-", "").isalnum():
        raise SystemExit(f"gpu_world: variant name {name!r} must be letters, digits and '-'")
    return name, [a for pair in pairs.split(",") if pair for a in ("--set", pair)]


def half_copy(source: Path, target: Path) -> bool:
    """An fp16 copy of a world model's weights, same metadata (the engine loads it into fp32 modules)."""
    from safetensors import safe_open
    from safetensors.torch import save_file
    import torch
    if not source.exists():
        return False
    with safe_open(str(source), framework="pt") as handle:
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        metadata = handle.metadata()
    tensors = {name: t.half() if t.is_floating_point() else t for name, t in tensors.items()}
    save_file(tensors, str(target), metadata=metadata)
    return True


def rate(metrics: Path) -> dict:
    """Median samples/s and the last logged loss of a metrics.csv."""
    import csv
    import statistics
    if not metrics.exists():
        return {}
    rows = list(csv.DictReader(open(metrics)))
    if not rows:
        return {}
    speeds = [float(r["samples_per_second"]) for r in rows[1:]] or [float(rows[0]["samples_per_second"])]
    return {"samples_per_second": round(statistics.median(speeds), 1), "steps": int(rows[-1]["step"]),
            "samples": int(rows[-1]["samples"]), "minutes": round(float(rows[-1]["minutes"]), 2),
            "last_loss": float(rows[-1]["loss"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--autoencoder", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=530.0, help="seconds for everything")
    parser.add_argument("--collect-seconds", type=float, default=60.0)
    parser.add_argument("--frames-per-worker", type=int, default=30_000)
    parser.add_argument("--random-workers", type=int, default=0, help="collectors playing the random policy")
    parser.add_argument("--distill-share", type=float, default=0.3, help="of the training time left")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "gpu")
    parser.add_argument("--set", action="append", default=[], metavar="STAGE:KEY=VALUE",
                        help="extra overrides for every variant, e.g. dynamics:train.batch_size=512")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME[:KEY=VALUE,...]",
                        help="a teacher with its own dynamics overrides (default: one, 'plain')")
    parser.add_argument("--preset", default="gpu", help="tiny on a laptop, to try this script")
    parser.add_argument("--distill-preset", help="the distillation's preset (default: --preset)")
    parser.add_argument("--teacher", type=Path, help="a trained teacher: skip its training, only distill")
    args = parser.parse_args()
    started = time.monotonic()
    deadline = started + args.budget
    variants = dict(parse_variant(text) for text in args.variant or ["plain"])
    if args.teacher and len(variants) > 1:
        raise SystemExit("gpu_world: --teacher distils one teacher; give at most one --variant")
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"budget_seconds": args.budget, "variants": dict(variants)}

    def save_summary() -> None:
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))

    try:
        import torch
        summary["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        summary["torch"] = torch.__version__
    except Exception as error:                                    # noqa: BLE001 - reported, not fatal
        summary["device"] = f"torch failed: {error}"
    log(f"device {summary['device']}")
    data, work, logs = args.work / "data", args.work, args.work / "logs"
    latents = work / "latents-run"
    workers = max(1, min(15, (os.cpu_count() or 2) - 1))
    summary["collect"] = collect(data, workers, args.frames_per_worker, args.collect_seconds,
                                 min(args.random_workers, workers))
    log(f"collect {summary['collect']}")
    save_summary()
    summary["encode"] = encode(args.autoencoder, data, latents)
    log(f"encode {summary['encode']}")
    save_summary()

    extra = lambda stage: [a for pair in args.set if pair.startswith(stage + ":")  # noqa: E731
                           for a in ("--set", pair.split(":", 1)[1])]
    teachers = {name: work / f"teacher-{name}" for name in variants}
    students = {name: work / f"student-{name}" for name in variants}
    for run in (*teachers.values(), *students.values()):
        # Every run reads the one latent cache (same autoencoder, same data).
        run.mkdir(parents=True, exist_ok=True)
        if not (run / "latents").exists():
            (run / "latents").symlink_to((latents / "latents").resolve())
    left = deadline - time.monotonic() - 40            # copies and the two start-ups
    teacher_seconds = left * (1 - args.distill_share)
    teacher_minutes = max(0.2, (teacher_seconds - 25) / 60)
    if args.teacher:
        for run in teachers.values():
            shutil.copyfile(args.teacher, run / "dynamics.safetensors")
    else:
        summary["teacher"] = run_stages({f"teacher-{name}": [
            "train", "dynamics", "--preset", args.preset, "--set", f"data={data}",
            "--set", f"autoencoder={args.autoencoder}", "--out", str(teachers[name]), "--quiet",
            "--set", f"train.max_minutes={teacher_minutes:.2f}",
            "--set", f"train.snapshot_minutes={max(0.1, teacher_minutes / 2 - 0.05):.2f}",
            *extra("dynamics"), *sets] for name, sets in variants.items()}, teacher_seconds, logs)
        for name, run in teachers.items():
            summary["teacher"][f"teacher-{name}"].update(rate(run / "metrics.csv"))
            half_copy(run / "dynamics.safetensors", args.out / f"teacher-{name}.fp16.safetensors")
            snapshots = sorted((run / "snapshots").glob("*.safetensors"))
            if snapshots and len(teachers) == 1:     # OUT stays under 64 MiB: four 15 MB files would not
                half_copy(snapshots[0], args.out / f"teacher-{name}-{snapshots[0].stem}.fp16.safetensors")
        log(f"teachers {summary['teacher']}")
        save_summary()

    distill_seconds = deadline - time.monotonic() - 15
    distill_minutes = max(0.2, (distill_seconds - 25) / 60)
    ready = {name: run for name, run in teachers.items() if (run / "dynamics.safetensors").exists()}
    if ready:
        summary["student"] = run_stages({f"student-{name}": [
            "distill", str(run / "dynamics.safetensors"), "--preset", args.distill_preset or args.preset,
            "--out", str(students[name]), "--quiet", "--set", f"train.max_minutes={distill_minutes:.2f}",
            *extra("distill")] for name, run in ready.items()}, distill_seconds, logs)
        for name in ready:
            summary["student"][f"student-{name}"].update(rate(students[name] / "metrics.csv"))
            half_copy(students[name] / "student.safetensors", args.out / f"student-{name}.fp16.safetensors")
        log(f"students {summary['student']}")
    with tarfile.open(args.out / "logs.tar.gz", "w:gz") as archive:
        for run in (*teachers.values(), *students.values()):
            for name in ("metrics.csv", "loss.png"):
                if (run / name).exists():
                    archive.add(run / name, arcname=f"{run.name}-{name}")
        for logfile in sorted(logs.glob("*.log")):
            archive.add(logfile, arcname=logfile.name)
    summary["seconds"] = round(time.monotonic() - started, 1)
    save_summary()
    log(f"done in {summary['seconds']} s")


if __name__ == "__main__":
    main()
