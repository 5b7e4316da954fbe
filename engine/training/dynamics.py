"""Dynamics stage: the action-conditioned latent diffusion transformer, trained on windows of latents.

Frames are encoded once with the trained autoencoder (engine.training.latents, cached per shard in the run
folder), so a training step costs only the transformer. Each frame is conditioned on the action that led into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from engine.data.shards import list_shards, read_meta
from engine.errors import DataError
from engine.models.checkpoint import file_digest, load_autoencoder, load_checkpoint, save_checkpoint
from engine.models.denoiser import Denoiser, DiffusionConfig
from engine.models.dynamics import DynamicsConfig, DynamicsTransformer
from engine.config import ConfigError, to_dict
from engine.training.latents import encode_shards, training_device
from engine.training.loop import CHECKPOINT, TrainConfig, train
from engine.training.memory_anchors import encode_anchors

FINAL = "dynamics.safetensors"


@dataclass
class DynamicsTrainConfig:
    data: str = "data/doom-train"
    autoencoder: str = "runs/autoencoder/autoencoder.safetensors"
    init: str = ""                       # start from this dynamics checkpoint's weights (fine-tuning)
    still_windows: float = 0.0           # share of windows in which the player stops (stop_windows)
    memory_anchors: str = ""             # a depth network: each frame's anchor is the world memory's view of it
                                         # (engine.training.memory_anchors), not the frame before it
    model: DynamicsConfig = field(default_factory=DynamicsConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(out="runs/dynamics", batch_size=8,
                                                                    lr=3e-4, ema_decay=0.999))


def check_still_windows(share: float) -> None:
    if not 0 <= share <= 1:
        raise ConfigError(f"still_windows is a share of the windows in [0, 1], got {share}")


def stop_windows(latents: torch.Tensor, actions: torch.Tensor, share: float,
                 anchors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Windows (B, T+1, ...) in which the player stops, a ``share`` of them: from a random frame on, the window
    holds that frame under the no-action input. No recorded frame has an all-zero action (the recording
    policies never stand still), yet standing still is how play begins. The stop is instant, a
    simplification: in Doom a player who stops slides on for up to ~16 frames before the view holds
    (measured in docs/research/distillation.md), while one who never moved sees the same view. Returns the windows,
    the actions leading into each frame (B, T, A), which windows stopped, and each frame's ``anchors`` (B, T,
    ...), the frame held being every held frame's (the frame before it, and the memory seen from where the
    player stopped)."""
    batch_size, length = actions.shape[:2]
    device = latents.device
    stopped = torch.rand(batch_size, device=device) < share
    if not stopped.any():
        return latents, actions, stopped, anchors
    last_moving = torch.randint(0, length, (batch_size,), device=device)       # the frame the player stops on
    held = latents[torch.arange(batch_size, device=device), last_moving]
    holding = stopped[:, None] & (torch.arange(length + 1, device=device)[None] > last_moving[:, None])
    latents = torch.where(holding[:, :, None, None, None], held[:, None], latents)
    actions = actions.masked_fill(holding[:, 1:, None], 0.0)
    return latents, actions, stopped, torch.where(holding[:, 1:, None, None, None], held[:, None], anchors)


def latent_episodes(config: DynamicsTrainConfig) -> list[tuple[np.ndarray, ...]]:
    """(latents (T, C, h, w) fp16, encoded actions (T, 12)) of every episode, encoding what is not cached;
    with ``memory_anchors`` each also has its frames' memory anchors (T, C, h, w) fp16."""
    cache = Path(config.train.out) / "latents"
    episodes: list[tuple[np.ndarray, ...]] = []
    for path in encode_shards(config.autoencoder, config.data, cache):
        with np.load(path, allow_pickle=False) as archive:
            episodes.append((archive["latents"], archive["actions"].astype(np.float32)))
    if config.memory_anchors:
        paths = encode_anchors(config.autoencoder, config.memory_anchors, config.data, cache, config.train.seed)
        for index, path in enumerate(paths):
            with np.load(path, allow_pickle=False) as archive:
                episodes[index] = (*episodes[index], archive["anchors"])
    return [e for e in episodes if len(e[0]) > config.model.context_frames + 1]


def measure_sigma_data(episodes: list[tuple[np.ndarray, ...]], predict_change: bool) -> float:
    """Standard deviation of the diffused variable (frames, or their changes from their anchors), for EDM's
    sigma_data."""
    values = [(episode[0][1:].astype(np.float32) - (episode[2][1:] if len(episode) > 2 else episode[0][:-1]))
              if predict_change else episode[0].astype(np.float32) for episode in episodes[:64]]
    return round(float(np.concatenate([v.ravel() for v in values]).std()), 3)


class DynamicsTask:
    def __init__(self, config: DynamicsTrainConfig, episodes: list[tuple[np.ndarray, ...]]) -> None:
        self.config = config
        self.episodes = episodes
        self.model = Denoiser(DynamicsTransformer(config.model), config.diffusion)
        self.batch_size, self.seed = config.train.batch_size, config.train.seed
        check_still_windows(config.still_windows)

    def snapshot(self, path: Path, ema: nn.Module, meta: dict[str, Any]) -> None:
        """The EMA weights so far, in the format of the finished model (for curves over training time)."""
        save_world_model(path, ema, self.config, meta)

    def batches(self) -> Iterator[tuple[torch.Tensor, ...]]:
        """Endless random windows: context_frames + 1 latents (the first only the anchor of the second)
        and the action leading into each frame; with memory anchors, also each frame's anchor (B, T, ...).
        All episodes live in one flat tensor on the training device and a batch is one gather, so a GPU is
        not starved by a Python loop over the batch."""
        episodes = self.episodes
        if not episodes:
            raise DataError(f"no episode in {self.config.data} is longer than {self.config.model.context_frames + 1} frames")
        device = training_device()
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        window = self.config.model.context_frames
        latents = torch.from_numpy(np.concatenate([episode[0] for episode in episodes])).to(device)
        actions = torch.from_numpy(np.concatenate([episode[1] for episode in episodes])).to(device)
        anchors = (torch.from_numpy(np.concatenate([episode[2] for episode in episodes])).to(device)
                   if len(episodes[0]) > 2 else None)
        offsets = np.cumsum([0] + [len(episode[0]) for episode in episodes[:-1]])
        # A window starts at any frame of an episode that leaves window + 1 frames: one equally likely pick.
        starts = torch.from_numpy(np.concatenate([offset + np.arange(len(episode[0]) - window)
                                                  for offset, episode in zip(offsets, episodes)]))
        starts = starts.to(device)
        generator = torch.Generator(device=device)
        generator.manual_seed(int(np.random.SeedSequence([self.seed, rank]).generate_state(1)[0]))
        span = torch.arange(window + 1, device=device)
        while True:
            picks = torch.randint(len(starts), (self.batch_size,), generator=generator, device=device)
            frames = starts[picks][:, None] + span                                    # (B, window + 1)
            if anchors is None:
                yield latents[frames].float(), actions[frames[:, :-1]]     # the action leading into each frame
            else:
                yield latents[frames].float(), actions[frames[:, :-1]], anchors[frames[:, 1:]].float()

    def samples(self, batch: tuple[torch.Tensor, torch.Tensor]) -> int:
        return len(batch[0])

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, float]]:
        device = next(model.parameters()).device
        latents, actions, anchors = window_parts(batch, device)
        if self.config.still_windows:
            latents, actions, _, anchors = stop_windows(latents, actions, self.config.still_windows, anchors)
        loss, per_frame = model(latents, actions, anchors)
        return loss, {"loss_last_frame": float(per_frame[:, -1].detach().mean())}


def window_parts(batch: tuple[torch.Tensor, ...], device: torch.device) -> tuple[torch.Tensor, ...]:
    """A batch's latents (B, T + 1, ...), actions (B, T, A) and each frame's anchor (B, T, ...) on ``device``:
    the memory anchors where the batch has them, else the frame before."""
    latents, actions = batch[0].to(device), batch[1].to(device)
    return latents, actions, batch[2].to(device) if len(batch) > 2 else latents[:, :-1]


def world_settings(data: str | Path) -> dict[str, Any]:
    """Frame rate and action ranges of the recordings a model learns, which its world pack must carry."""
    meta = read_meta(list_shards(Path(data))[0])
    return {key: meta[key] for key in ("fps", "turn_range", "look_range", "source") if key in meta}


def save_world_model(path: Path, model: nn.Module, config: DynamicsTrainConfig, progress: dict[str, Any],
                     extra: dict[str, Any] | None = None) -> None:
    meta = {"kind": "dynamics", "config": to_dict(config), "autoencoder_sha": file_digest(Path(config.autoencoder)),
            "world": world_settings(config.data), **(extra or {}),
            **{key: progress[key] for key in ("step", "samples", "trained_minutes", "hardware") if key in progress}}
    save_checkpoint(path, {k: v.cpu() for k, v in model.state_dict().items()}, meta)


def train_dynamics(config: DynamicsTrainConfig, quiet: bool = False) -> dict[str, Any]:
    autoencoder, _ = load_autoencoder(config.autoencoder)
    # The latent grid comes from the autoencoder and sigma_data from the data, not from the preset.
    channels, height, width = autoencoder.config.latent_shape
    config.model.latent_channels, config.model.latent_height, config.model.latent_width = channels, height, width
    episodes = latent_episodes(config)
    initial = None
    if config.init:
        initial, initial_meta = load_checkpoint(Path(config.init))
        same_latents = initial_meta.get("autoencoder_sha") == file_digest(Path(config.autoencoder))
        if initial_meta.get("kind") != "dynamics" or not same_latents:
            raise DataError(f"{config.init} is not a dynamics model of this autoencoder; it cannot start this run")
        config.diffusion.sigma_data = initial_meta["config"]["diffusion"]["sigma_data"]   # what its weights expect
    elif episodes:
        config.diffusion.sigma_data = measure_sigma_data(episodes, config.diffusion.predict_change)
    torch.manual_seed(config.train.seed)        # the model's first weights: the same every run
    task = DynamicsTask(config, episodes)
    fresh = not (Path(config.train.out) / CHECKPOINT).exists()
    if initial is not None and fresh:
        missing, unexpected = task.model.load_state_dict(initial, strict=False)
        if unexpected or missing:
            raise DataError(f"{config.init} has another architecture than this run: "
                            f"{', '.join((unexpected or missing)[:3])}")
    summary = train(task, config.train, to_dict(config), quiet)
    if not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0:
        save_world_model(Path(config.train.out) / FINAL, summary["ema"], config, summary)
    return summary
