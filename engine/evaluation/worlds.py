"""The worlds `dreamwalk eval world` measures behind one interface: a dynamics checkpoint in PyTorch
(``WorldModel``, any sampler settings) or a world pack as the player runs it (``PackWorld``: its ONNX graphs
on the CPU with its own sampler); and the evaluation's config resolved against the world before minutes of
recording (``prepare``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.config import from_dict
from engine.data.sources import HELD_OUT, parse_places
from engine.errors import DreamwalkError
from engine.models.autoencoder import frames_to_tensor, tensor_to_frames
from engine.models.checkpoint import checkpoint_meta, load_world_model, world_autoencoder
from engine.models.denoiser import DiffusionConfig
from engine.models.rollout import LatentRollout
from engine.models.sampling import SamplerConfig
from engine.reports.rollouts import SamplerUsed, Training


@dataclass
class EvalConfig:
    world: str = "runs/dynamics/dynamics.safetensors"
    source: str = "vizdoom"                # "": the one the world was trained on (``prepare``)
    maps: str = "MAP21-MAP24"              # or MiniWorld environments; "": the source's held-out ones (HELD_OUT)
    windows_per_map: int = 4
    horizon: int = 64
    # A checkpoint's sampler (resolved against it by ``prepare``); a pack plays its own, and only its
    # guidance_scale may be given here.
    sampling: SamplerConfig = field(default_factory=lambda: SamplerConfig(name="heun", steps=4, guidance_scale=1.0))
    guidance_sweep: list[float] = field(default_factory=lambda: [1.0, 1.5, 2.0, 3.0])
    long_rollout: int = 1000
    long_prompts: int = 0                # how many (each map's first window, then second, ...); 0: one per map
    autoencoder: str = ""                # another decoder of the same encoder (default: the model's own)
    precision: str = "auto"              # a world pack's graphs: auto (as played on a CPU), fp32 or int8
    seed: int = 0
    out: str = "runs/eval"


@dataclass
class WorldDescription:
    """What a report says of the world it measured."""

    autoencoder: str
    sampler: SamplerUsed
    training: Training
    precision: str | None = None         # a pack's dynamics as played


class WorldModel:
    """The autoencoder and the denoiser of one dynamics checkpoint, on the CPU."""

    def __init__(self, path: str | Path, autoencoder: str | Path | None = None) -> None:
        self.denoiser, self.meta = load_world_model(path)
        self.autoencoder = world_autoencoder(self.meta, autoencoder)
        self.size = (self.autoencoder.config.width, self.autoencoder.config.height)

    def describe(self, config: EvalConfig) -> WorldDescription:
        sampling = config.sampling.for_model(self.denoiser.config)
        return WorldDescription(
            config.autoencoder or self.meta["config"]["autoencoder"],
            SamplerUsed(sampling.name, sampling.steps, sampling.sigma_max, sampling.prior_sigma,
                        sampling.context_sigma),
            Training(self.meta["step"], self.meta["samples"], self.meta["trained_minutes"]))

    @torch.no_grad()
    def encode(self, frames: np.ndarray) -> torch.Tensor:
        return self.autoencoder.encode(frames_to_tensor(torch.from_numpy(frames)))

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        return tensor_to_frames(self.autoencoder.decode(latents)).numpy()

    def rollout(self, config: EvalConfig, guidance: float, seed: int) -> LatentRollout:
        generator = torch.Generator().manual_seed(seed)
        return LatentRollout(self.denoiser, replace(config.sampling, guidance_scale=guidance), generator)


class PackWorld:
    """A world pack as the player runs it: its ONNX graphs on ONNX Runtime's CPU provider, in ``precision``
    (auto: int8 dynamics where the pack has it), with the pack's own sampler; one cached rollout per window."""

    def __init__(self, path: str | Path, precision: str = "auto") -> None:
        from engine.runtime.session import WorldSession

        self.session = WorldSession.open(path, device="cpu", precision=precision)
        self.size = self.session.frame_size

    def describe(self, config: EvalConfig) -> WorldDescription:
        sampler, training = self.session.settings, self.session.manifest["training"]
        return WorldDescription(
            "the pack's", SamplerUsed(sampler.name, sampler.steps, sampler.sigma_max, sampler.prior_sigma,
                                      sampler.context_sigma),
            Training(training["steps"], training["samples"], training["hours"] * 60), self.session.precision)

    def encode(self, frames: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.concatenate([self.session.encode(frame) for frame in frames]))

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        return np.stack([self.session.decode(latent[None]) for latent in latents.numpy()])

    def rollout(self, config: EvalConfig, guidance: float, seed: int) -> "PackRollouts":
        return PackRollouts(self.session, guidance, seed)


class PackRollouts:
    """LatentRollout's interface (batches of windows, torch tensors) over one pack rollout per window."""

    def __init__(self, session: Any, guidance: float, seed: int) -> None:
        self.session, self.guidance, self.seed = session, guidance, seed
        self.rollouts: list[Any] = []

    def prime(self, latents: torch.Tensor) -> None:
        self.rollouts = [self.session.new_rollout(self.seed * 1000 + w, self.guidance) for w in range(len(latents))]
        for rollout, latent in zip(self.rollouts, latents.numpy()):
            rollout.prime(latent[None])

    def _each(self, method: str, actions: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(np.concatenate([getattr(rollout, method)(action)
                                                for rollout, action in zip(self.rollouts, actions.numpy())]))

    def step(self, actions: torch.Tensor) -> torch.Tensor:
        return self._each("step", actions)

    def predict(self, actions: torch.Tensor) -> torch.Tensor:
        return self._each("predict", actions)

    def observe(self, latents: torch.Tensor, actions: torch.Tensor) -> None:
        for rollout, latent, action in zip(self.rollouts, latents.numpy(), actions.numpy()):
            rollout.observe(latent[None], action)


def is_pack(path: str | Path) -> bool:
    """A world pack (``.dwpack`` file, or a folder with a manifest) rather than a dynamics checkpoint."""
    path = Path(path)
    return path.suffix == ".dwpack" or (path / "manifest.json").is_file()


World = WorldModel | PackWorld


def open_world(config: EvalConfig) -> World:
    if is_pack(config.world):
        return PackWorld(config.world, config.precision)
    return WorldModel(config.world, config.autoencoder)


def prepare(config: EvalConfig, embed: bool = False) -> EvalConfig:
    """``config`` resolved against its world before any recording: the world's own source where ``source`` is
    "", the source's held-out places where ``maps`` is "", and the sampler (a checkpoint's filled in and
    checked against its trained noise levels; a pack's its own, only the guidance scale may change). Settings
    that do not apply to the world, an unknown source or place, and (``embed``) a pack that cannot be
    rewritten are one error line each."""
    if is_pack(config.world):
        source, sampling = pack_settings(config, embed)
    else:
        source, sampling = checkpoint_settings(config, embed)
    maps = config.maps or HELD_OUT.get(source, "")
    parse_places(source, maps)
    return replace(config, source=source, maps=maps, sampling=sampling)


def checkpoint_settings(config: EvalConfig, embed: bool) -> tuple[str, SamplerConfig]:
    """A checkpoint's source and its sampler resolved against it."""
    if config.precision != "auto":
        raise DreamwalkError("--precision: for world packs; a checkpoint is measured in PyTorch (fp32)")
    if embed:
        raise DreamwalkError("--embed: for world packs; a checkpoint's eval.json goes into its pack with "
                             "'dreamwalk export --metrics'")
    meta = checkpoint_meta(Path(config.world))          # the tensors load once, in the evaluation
    try:
        resolved = config.sampling.resolve(meta, from_dict(DiffusionConfig, meta["config"]["diffusion"]))
    except ValueError as error:
        raise DreamwalkError(str(error)) from error
    return config.source or meta.get("world", {}).get("source", "vizdoom"), resolved


def pack_settings(config: EvalConfig, embed: bool) -> tuple[str, SamplerConfig]:
    """A pack's source and sampler (its own: only the guidance scale may change it)."""
    from engine.runtime.session import WorldSession

    checkpoint_only = [flag for flag in config.sampling.given() if flag != "--guidance"]
    checkpoint_only += ["--autoencoder"] if config.autoencoder else []
    if checkpoint_only:
        raise DreamwalkError(f"{', '.join(checkpoint_only)}: for checkpoints; a world pack is measured with "
                             "its own sampler settings")
    world = Path(config.world)
    if embed and (world.is_dir() or not os.access(world.parent, os.W_OK)):
        raise DreamwalkError(f"--embed: {config.world} is a pack folder or in a folder this user cannot write; "
                             "give a zip pack that can be rewritten")
    with WorldSession.open(config.world, device="cpu", precision=config.precision) as session:   # verified now
        source = config.source or session.manifest.get("source", "vizdoom")
        own = session.settings
    chosen = config.sampling.guidance_scale
    return source, own if chosen is None else replace(own, guidance_scale=chosen)
