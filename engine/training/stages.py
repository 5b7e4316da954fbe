"""One entry to every training stage (`dreamwalk train STAGE`, `dreamwalk distill`): the stage's config from its
preset, overridden by ``key=value`` settings, and the stage's training run on it."""

from __future__ import annotations

from typing import Any, Callable

from engine.config import apply_overrides
from engine.training.presets import preset_overrides

STAGES = ("autoencoder", "dynamics", "decoder", "depth", "distill")


def stage_runner(stage: str) -> tuple[type, Callable[..., dict[str, Any]]]:
    """The stage's config class and training function (each imported only when its stage runs)."""
    if stage == "autoencoder":
        from engine.training.autoencoder import AutoencoderTrainConfig, train_autoencoder
        return AutoencoderTrainConfig, train_autoencoder
    if stage == "dynamics":
        from engine.training.dynamics import DynamicsTrainConfig, train_dynamics
        return DynamicsTrainConfig, train_dynamics
    if stage == "decoder":
        from engine.training.decoder import DecoderTrainConfig, train_decoder
        return DecoderTrainConfig, train_decoder
    if stage == "depth":
        from engine.training.depth import DepthTrainConfig, train_depth
        return DepthTrainConfig, train_depth
    if stage == "distill":
        from engine.training.distill import DistillConfig, train_student
        return DistillConfig, train_student
    raise ValueError(f"unknown training stage {stage!r}; choose one of: {', '.join(STAGES)}")


def train_stage(stage: str, preset: str, settings: dict[str, Any], overrides: list[str],
                quiet: bool = False) -> tuple[dict[str, Any], str]:
    """Train ``stage`` from ``preset``, then ``settings`` (field -> value) and ``overrides`` ("key=value") over it;
    the run's summary and its folder."""
    config_class, run = stage_runner(stage)
    config = apply_overrides(config_class(), preset_overrides(stage, preset))
    apply_overrides(config, settings)
    apply_overrides(config, overrides)
    return run(config, quiet=quiet), config.train.out
