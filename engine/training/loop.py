"""The training loop shared by every stage: one function wiring model, loss, data, EMA and checkpoints.

A stage supplies a :class:`Task` (its model, its loss on a batch, an endless stream of batches); this
loop adds AdamW with warm-up, bf16 autocast on CPU where configured, gradient clipping, EMA weights,
DistributedDataParallel under ``torchrun``, a progress bar, a CSV metrics log with a loss-curve PNG,
and atomic safetensors checkpoints that carry the resolved config, so a run resumes after Ctrl-C or a
crash from its last checkpoint (Ctrl-C also saves the step it stopped at).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol

import torch
from torch import nn

from engine.config import ConfigError
from engine.files import write_text
from engine.interrupts import stop_on_signals
from engine.models.checkpoint import load_checkpoint, save_checkpoint
from engine.training.checkpoint import EMA, load_optimizer, optimizer_tensors, prefixed, unprefixed
from engine.training.metrics import MetricsLog

CHECKPOINT = "checkpoint.safetensors"


@dataclass
class TrainConfig:
    out: str = "runs/run"               # run folder: checkpoint, metrics.csv, loss.png
    steps: int = 10_000
    batch_size: int = 32
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup_steps: int = 200
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    bf16: bool = True                   # autocast where the hardware has bf16 (fast_bf16); fp32 elsewhere
    checkpoint_every: int = 500
    log_every: int = 25
    max_minutes: float = 0.0            # stop (and save) after this much training time; 0 = no limit
    snapshot_minutes: float = 0.0       # also keep the EMA model every this many training minutes; 0 = never
    seed: int = 0


class Task(Protocol):
    model: nn.Module

    def loss(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, dict[str, float]]: ...

    def batches(self) -> Iterator[Any]: ...

    def samples(self, batch: Any) -> int: ...


RESUMABLE_CHANGES = ("out", "steps", "max_minutes", "checkpoint_every", "log_every", "snapshot_minutes")
PATH_KEYS = ("data", "autoencoder", "teacher", "init")         # the stages' file settings


def _identity(resolved: dict[str, Any]) -> dict[str, Any]:
    """The config a resumed run must share: anything but how long it runs and how often it reports.
    Files are compared by where they are, so a relative and an absolute path to one file match."""
    identity = {**resolved, "train": dict(resolved.get("train", {}))}
    for key in RESUMABLE_CHANGES:
        identity["train"].pop(key, None)
    for key in PATH_KEYS:
        if identity.get(key):
            identity[key] = os.path.realpath(identity[key])
    return identity


def weights_digest(model: nn.Module) -> str:
    import hashlib
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def fast_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast pays on ``device``: GPUs with bf16, CPUs with AVX512-BF16 or AMX (1.65x on a
    conv autoencoder on such an EPYC). Without them PyTorch emulates bf16: on an AVX2-only EPYC here, 23x
    slower than fp32 for the encoder and 28x for a dynamics training step (docs/research/speed.md)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, check, lambda: False)() for check in checks)
    return False


def distributed_setup() -> tuple[int, int]:
    """Rank and world size; joins the torchrun process group (gloo on CPU, NCCL on GPUs) when launched so."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    if world_size > 1:
        return torch.distributed.get_rank(), world_size
    return 0, 1


@dataclass
class Progress:
    """How far a run is: what a checkpoint records and a resumed run continues from."""
    step: int = 0
    trained_seconds: float = 0.0
    samples: int = 0


def resume(out: Path, resolved_config: dict[str, Any], model: nn.Module, ema: EMA,
           optimizer: torch.optim.Optimizer) -> Progress:
    """Load the run folder's checkpoint into the model, its EMA and the optimizer, when there is one of
    this config; a checkpoint of another config is an error, never silently trained on."""
    if not (out / CHECKPOINT).exists():
        return Progress()
    tensors, meta = load_checkpoint(out / CHECKPOINT)
    if _identity(meta.get("config", {})) != _identity(resolved_config):
        raise ConfigError(f"{out} holds a run with another config; use another --out or the same settings")
    model.load_state_dict(unprefixed("model", tensors))
    ema.model.load_state_dict(unprefixed("ema", tensors))
    load_optimizer(optimizer, unprefixed("optimizer", tensors))
    return Progress(meta["step"], meta["trained_seconds"], meta["samples"])


def save_state(out: Path, model: nn.Module, ema: EMA, optimizer: torch.optim.Optimizer,
               resolved_config: dict[str, Any], progress: Progress, world_size: int) -> None:
    tensors = {**prefixed("model", model.state_dict()), **prefixed("ema", ema.model.state_dict()),
               **prefixed("optimizer", optimizer_tensors(optimizer))}
    meta = {"config": resolved_config, "step": progress.step, "samples": progress.samples,
            "trained_seconds": progress.trained_seconds, "world_size": world_size}
    save_checkpoint(out / CHECKPOINT, tensors, meta)


def optimizer_step(task: Task, trainable: nn.Module, model: nn.Module, optimizer: torch.optim.Optimizer,
                   batch: Any, config: TrainConfig, step: int, device: torch.device,
                   bf16: bool) -> tuple[float, dict[str, float], float, float]:
    """One step on ``batch`` (linear warmup, bf16 autocast where it pays, clipped gradients). Returns the
    loss, the task's metrics, the gradient norm and the learning rate."""
    learning_rate = config.lr * min(1.0, (step + 1) / max(config.warmup_steps, 1))
    for group in optimizer.param_groups:
        group["lr"] = learning_rate
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        loss, metrics = task.loss(trainable, batch)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = float(nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip))
    if not math.isfinite(loss.item()):
        raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower --set train.lr")
    optimizer.step()
    return loss.item(), metrics, grad_norm, learning_rate


def train(task: Task, config: TrainConfig, resolved_config: dict[str, Any], quiet: bool = False) -> dict[str, Any]:
    """Train ``task.model`` for ``config.steps`` steps (resuming from the run folder). Returns a summary."""
    from tqdm import tqdm

    rank, world_size = distributed_setup()
    main_process = rank == 0
    out = Path(config.out)
    torch.manual_seed(config.seed + rank)
    device = torch.device("cuda", rank % torch.cuda.device_count()) if torch.cuda.is_available() else torch.device("cpu")
    model = task.model.to(device)
    bf16 = config.bf16 and fast_bf16(device)
    if config.bf16 and not bf16 and main_process and not quiet:
        print(f"training in fp32: this {device.type.upper()} has no native bf16, where bf16 autocast is many "
              f"times slower", flush=True)
    ema = EMA(model, config.ema_decay)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                  betas=(0.9, 0.99))
    progress = resume(out, resolved_config, model, ema, optimizer)
    trainable = model
    if world_size > 1:
        trainable = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    log = MetricsLog(out / "metrics.csv", progress.step) if main_process else None

    def save() -> None:
        if main_process:
            save_state(out, model, ema, optimizer, resolved_config, progress, world_size)
            log.plot(out / "loss.png")

    if main_process:
        out.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=config.steps, initial=progress.step, unit="step", disable=quiet or not main_process,
               dynamic_ncols=True, desc=out.name)
    batches = task.batches()
    window_start, window_samples = time.perf_counter(), 0
    interrupted = False
    stop_on_signals()
    try:
        while progress.step < config.steps:
            if config.max_minutes and progress.trained_seconds >= config.max_minutes * 60:
                break
            started = time.perf_counter()
            batch = next(batches)
            loss, metrics, grad_norm, learning_rate = optimizer_step(task, trainable, model, optimizer, batch, config,
                                                                     progress.step, device, bf16)
            ema.update(model)
            progress.step += 1
            batch_samples = task.samples(batch) * world_size
            progress.samples += batch_samples
            window_samples += batch_samples
            step_seconds = time.perf_counter() - started
            progress.trained_seconds += step_seconds
            if progress.step % config.log_every == 0 or progress.step == config.steps:
                rate = window_samples / max(time.perf_counter() - window_start, 1e-9)
                window_start, window_samples = time.perf_counter(), 0
                bar.set_postfix_str(f"loss {loss:.4f} {rate:.1f} samples/s")
                if log:
                    log.log({"step": progress.step, "loss": loss, "lr": learning_rate, "grad_norm": grad_norm,
                             "samples": progress.samples, "minutes": progress.trained_seconds / 60,
                             "samples_per_second": rate, **metrics})
            bar.update(1)
            if progress.step % config.checkpoint_every == 0:
                save()
            period = config.snapshot_minutes * 60
            if period and main_process and hasattr(task, "snapshot") and \
                    progress.trained_seconds // period > (progress.trained_seconds - step_seconds) // period:
                minutes = round(progress.trained_seconds / 60)
                task.snapshot(out / "snapshots" / f"{minutes:04d}min.safetensors", ema.model,
                              {"step": progress.step, "samples": progress.samples,
                               "trained_minutes": progress.trained_seconds / 60, "hardware": hardware(device, world_size)})
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    save()
    if world_size > 1:
        # Each rank leaves a digest of its final weights: DDP keeps them identical, and this shows it.
        write_text(out / f"weights-rank{rank}.sha256", weights_digest(model))
        torch.distributed.barrier()
    return {"step": progress.step, "samples": progress.samples, "trained_minutes": progress.trained_seconds / 60,
            "interrupted": interrupted, "ema": ema.model, "hardware": hardware(device, world_size)}


def hardware(device: torch.device, world_size: int = 1) -> str:
    """What trained it, in words: "NVIDIA H200", "2 x NVIDIA H100 80GB HBM3", "2-core CPU"."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{os.cpu_count()}-core CPU"
    return name if world_size == 1 else f"{world_size} x {name}"
