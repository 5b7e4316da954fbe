"""The default world's heavy stages inside one short GPU lease, within a hard time budget.

    python3 scripts/gpu_world.py --autoencoder runs/ae-default/autoencoder.safetensors --out OUT [--budget 530]

On a machine with one GPU and many cores, and nothing but this checkout (vizdoom may come as a wheel on
PYTHONPATH): record Freedoom 2 MAP01-MAP20 with one ``dreamwalk collect`` per core (different seeds, so
different episodes), encode it with the given autoencoder on the GPU, train the dynamics model with
``--preset gpu`` and distill it with ``--preset gpu``, each stage given its share of the budget. What
leaves the machine goes to OUT as it is made, so a run cut short still returns what it finished: the
teacher's and the student's EMA weights (fp16 safetensors, under 16 MB each, loadable by every engine
command), the teacher's weights at the middle of its run (for the curve over training time), the metrics
logs, and ``summary.json`` with each stage's seconds, steps and samples/s.
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
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[gpu_world {time.strftime('%H:%M:%S')}] {message}", flush=True)


def dreamwalk_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "engine.cli", *arguments]


def environment() -> dict[str, str]:
    paths = [str(ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}


def collect(data: Path, workers: int, frames_per_worker: int, seconds: float) -> dict:
    """One collector per worker with its own seed; stopped with Ctrl-C at the deadline (finished
    episodes are kept, the one in progress is dropped)."""
    started = time.monotonic()
    env = {**environment(), "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen(dreamwalk_command(
        "collect", "--source", "vizdoom", "--maps", "MAP01-MAP20", "--frames", str(frames_per_worker),
        "--episode-frames", "1000", "--policy", "explore", "--seed", str(100 + k), "--out",
        str(data / f"part{k:02d}"), "--quiet"), cwd=ROOT, env=env) for k in range(workers)]
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
    return {"seconds": round(time.monotonic() - started, 1), "workers": workers, "episodes": len(shards),
            "frames": frames, "codes": [p.returncode for p in processes]}


def encode(autoencoder: Path, data: Path, run: Path) -> dict:
    from engine.training.dynamics import encode_shards
    started = time.monotonic()
    outputs = encode_shards(autoencoder, data, run / "latents")
    return {"seconds": round(time.monotonic() - started, 1), "shards": len(outputs)}


def run_stage(arguments: list[str], seconds: float, logfile: Path) -> dict:
    """A training command with a deadline: past it, SIGINT (it saves and stops)."""
    started = time.monotonic()
    with open(logfile, "w") as output:
        process = subprocess.Popen(dreamwalk_command(*arguments), cwd=ROOT, env=environment(),
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    tail = logfile.read_text(errors="replace").strip().splitlines()[-3:]
    return {"seconds": round(time.monotonic() - started, 1), "code": process.returncode, "tail": tail}


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
    parser.add_argument("--distill-share", type=float, default=0.3, help="of the training time left")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "gpu")
    parser.add_argument("--set", action="append", default=[], metavar="STAGE:KEY=VALUE",
                        help="extra overrides, e.g. dynamics:train.batch_size=512")
    parser.add_argument("--preset", default="gpu", help="tiny on a laptop, to try this script")
    parser.add_argument("--teacher", type=Path, help="a trained teacher: skip its training, only distill")
    args = parser.parse_args()
    started = time.monotonic()
    deadline = started + args.budget
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"budget_seconds": args.budget}

    def save_summary() -> None:
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))

    try:
        import torch
        summary["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        summary["torch"] = torch.__version__
    except Exception as error:                                    # noqa: BLE001 - reported, not fatal
        summary["device"] = f"torch failed: {error}"
    log(f"device {summary['device']}")
    data, work = args.work / "data", args.work
    teacher_run, student_run = work / "teacher", work / "student"
    workers = max(1, min(15, (os.cpu_count() or 2) - 1))
    summary["collect"] = collect(data, workers, args.frames_per_worker, args.collect_seconds)
    log(f"collect {summary['collect']}")
    save_summary()
    summary["encode"] = encode(args.autoencoder, data, teacher_run)
    log(f"encode {summary['encode']}")
    save_summary()

    extra = lambda stage: [a for pair in args.set if pair.startswith(stage + ":")  # noqa: E731
                           for a in ("--set", pair.split(":", 1)[1])]
    left = deadline - time.monotonic() - 40            # copies and the two start-ups
    teacher_seconds = left * (1 - args.distill_share)
    teacher_minutes = max(0.2, (teacher_seconds - 25) / 60)
    if args.teacher:
        teacher_run.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.teacher, teacher_run / "dynamics.safetensors")
        teacher_seconds = 0
    else:
        summary["teacher"] = run_stage(
            ["train", "dynamics", "--preset", args.preset, "--set", f"data={data}",
             "--set", f"autoencoder={args.autoencoder}", "--out", str(teacher_run), "--quiet",
             "--set", f"train.max_minutes={teacher_minutes:.2f}",
             "--set", f"train.snapshot_minutes={max(0.1, teacher_minutes / 2 - 0.05):.2f}", *extra("dynamics")],
            teacher_seconds, args.out / "teacher.log")
        summary["teacher"].update(rate(teacher_run / "metrics.csv"))
        log(f"teacher {summary['teacher']}")
        half_copy(teacher_run / "dynamics.safetensors", args.out / "teacher.fp16.safetensors")
        snapshots = sorted((teacher_run / "snapshots").glob("*.safetensors"))
        if snapshots:
            half_copy(snapshots[0], args.out / f"teacher-{snapshots[0].stem}.fp16.safetensors")
        save_summary()

    # The student learns the teacher's symlinked latent cache (same autoencoder, same data).
    student_run.mkdir(parents=True, exist_ok=True)
    if not (student_run / "latents").exists():
        (student_run / "latents").symlink_to((teacher_run / "latents").resolve())
    distill_seconds = deadline - time.monotonic() - 15
    distill_minutes = max(0.2, (distill_seconds - 25) / 60)
    if (teacher_run / "dynamics.safetensors").exists():
        summary["student"] = run_stage(
            ["distill", str(teacher_run / "dynamics.safetensors"), "--preset", args.preset, "--out",
             str(student_run), "--quiet", "--set", f"train.max_minutes={distill_minutes:.2f}", *extra("distill")],
            distill_seconds, args.out / "student.log")
        summary["student"].update(rate(student_run / "metrics.csv"))
        log(f"student {summary['student']}")
        half_copy(student_run / "student.safetensors", args.out / "student.fp16.safetensors")
    with tarfile.open(args.out / "logs.tar.gz", "w:gz") as archive:
        for run in (teacher_run, student_run):
            for name in ("metrics.csv", "loss.png"):
                if (run / name).exists():
                    archive.add(run / name, arcname=f"{run.name}-{name}")
    summary["seconds"] = round(time.monotonic() - started, 1)
    save_summary()
    log(f"done in {summary['seconds']} s")


if __name__ == "__main__":
    main()
