"""Named presets: overrides on top of each stage's dataclass defaults. ``tiny`` runs in seconds, for tests."""

from __future__ import annotations

from typing import Any

from engine.config import ConfigError

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "autoencoder": {
        "tiny": {
            "model.width": 32, "model.height": 24, "model.channels": [8, 16], "model.latent_channels": 4,
            "shuffle_buffer": 16, "train.steps": 4, "train.batch_size": 4, "train.warmup_steps": 1,
            "train.checkpoint_every": 2, "train.log_every": 1, "train.ema_decay": 0.9,
        },
        # 64x48 frames -> 8x6x16 latents, 2.1M parameters; ~35 frames/s with bf16 on 2 cores.
        "default": {"train.steps": 6000, "train.batch_size": 32, "train.lr": 1e-3, "train.warmup_steps": 200},
    },
    "dynamics": {
        "tiny": {
            "model.d_model": 32,
            "model.layers": 2, "model.heads": 2, "model.context_frames": 4, "train.steps": 3,
            "train.batch_size": 2, "train.warmup_steps": 1, "train.checkpoint_every": 2, "train.log_every": 1,
            "train.ema_decay": 0.9,
        },
        # 8x6x16 latents, 8-frame windows, a 6-layer d256 transformer (7.5M parameters).
        "default": {"train.steps": 200_000, "train.batch_size": 8, "train.lr": 3e-4, "train.warmup_steps": 500,
                    "train.max_minutes": 120.0, "train.snapshot_minutes": 20.0, "train.checkpoint_every": 250},
        # The same network (so its student still plays at 30 frames/s on a 2-core CPU), trained on a GPU:
        # 32x the batch, anchor noise on. recipes/gpu_world.py runs it inside a fixed time budget.
        "gpu": {"train.steps": 500_000, "train.batch_size": 256, "train.lr": 5e-4, "train.warmup_steps": 300,
                "diffusion.anchor_noise": 0.5, "train.max_minutes": 30.0, "train.snapshot_minutes": 1.0,
                "train.checkpoint_every": 500, "train.log_every": 50},
    },
    "decoder": {
        "tiny": {"shuffle_buffer": 16, "train.steps": 3, "train.batch_size": 4, "train.warmup_steps": 1,
                 "train.checkpoint_every": 2, "train.log_every": 1, "train.ema_decay": 0.9},
        "default": {"train.steps": 100_000, "train.max_minutes": 25.0, "train.checkpoint_every": 100},
    },
    "depth": {
        "tiny": {"model.width": 32, "model.height": 24, "model.channels": [8, 16], "train.steps": 3,
                 "train.batch_size": 4, "train.warmup_steps": 1, "train.checkpoint_every": 2, "train.log_every": 1,
                 "train.ema_decay": 0.9},
        # 80x60 pictures, a 4-stage U-Net (0.4M parameters); the CPU minutes decide how far it gets.
        "default": {"train.steps": 100_000, "train.batch_size": 16, "train.max_minutes": 40.0,
                    "train.checkpoint_every": 250, "train.warmup_steps": 200},
    },
    "distill": {
        "tiny": {"teacher_steps": 2, "train.steps": 3, "train.batch_size": 2, "train.warmup_steps": 1,
                 "train.checkpoint_every": 2, "train.log_every": 1, "train.ema_decay": 0.9},
        "default": {"train.steps": 100_000, "train.max_minutes": 60.0, "train.snapshot_minutes": 15.0,
                    "train.checkpoint_every": 100},
        "gpu": {"teacher_steps": 4, "sigma_max": 1.0, "train.steps": 100_000, "train.batch_size": 256,
                "train.lr": 2e-4, "train.warmup_steps": 50, "train.max_minutes": 10.0,
                "train.checkpoint_every": 200, "train.log_every": 20},
    },
}


def preset_overrides(stage: str, name: str) -> dict[str, Any]:
    presets = PRESETS.get(stage, {})
    if name not in presets:
        raise ConfigError(f"unknown preset {name!r} for {stage}; choose one of: {', '.join(presets)}")
    return dict(presets[name])
