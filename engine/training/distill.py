"""Distillation: a one-step student that dreams a frame in a single network evaluation.

Knowledge distillation of the sampler (Luhman & Luhman 2021, "Knowledge Distillation in Iterative
Generative Models for Improved Sampling Speed"): for a real context window, the teacher samples the
last frame from noise ``epsilon`` with its many-step deterministic sampler and classifier-free guidance
on the action; the student, initialised from the teacher, learns to map the same ``epsilon`` (at
``student_sigma``, by default where the teacher starts) to that sample in one evaluation. Guidance is
thereby folded into the student, so play needs neither a second unconditional pass nor more than one
step. With ``prior_sigma`` the teacher starts from its own guess (``sampling.prior_start``) and the student,
stepping at sigma 5, learns that too: the action then turns the view at no extra cost in play.
``context_sigma`` distils with the context at the noise level the student will play with
(``SamplerConfig.context_sigma``); its checkpoint carries it, and eval and export default to it.
``init`` starts the student from another student's weights
instead of the teacher's.
``still_windows`` teaches the student what the recordings never show: a player who stops
(``dynamics.stop_windows``), whose next frame is the last one unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from engine.models.denoiser import Denoiser
from engine.models.sampling import (SAMPLERS, guided, karras_sigmas, prior_start, sampling_context_sigma,
                                    sampling_prior_sigma, sampling_sigma_max)
from engine.config import ConfigError, from_dict, to_dict
from engine.models.checkpoint import load_world_model
from engine.training.dynamics import (DynamicsTask, DynamicsTrainConfig, check_still_windows, latent_episodes,
                                      save_world_model, stop_windows, window_parts)
from engine.training.loop import TrainConfig, train

FINAL = "student.safetensors"


@dataclass
class DistillConfig:
    teacher: str = "runs/dynamics/dynamics.safetensors"
    data: str = ""                       # episodes to distil on; default: the teacher's own (where it was trained)
    teacher_sampler: str = "heun"
    teacher_steps: int = 8
    guidance_scale: float = 1.5          # folded into the student
    sigma_max: float | None = None       # where sampling starts (truncated sampling); None: the trained maximum
    prior_sigma: float | None = None     # the teacher starts from its own guess at this level (sampling.prior_start)
    student_sigma: float | None = None   # the level of the student's one step; None: where the teacher starts
    context_sigma: float | None = None   # noise on the context frames of both; None: the trained level
    self_forcing: int = 0                # the last N context frames dreamed by the student itself (no gradient),
                                         # as in play, before the teacher sets the target (Self Forcing)
    still_windows: float = 0.0           # share of windows in which the player stops (dynamics.stop_windows),
                                         # with "nothing changed" as the target instead of the teacher's sample
    init: str = ""                       # start the student from this student checkpoint (same network)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(out="runs/student", batch_size=8, lr=1e-4,
                                                                    warmup_steps=100, ema_decay=0.995))

    # Settings of earlier versions, read only while they are off.
    RETIRED: ClassVar[dict[str, Any]] = {"prior_guidance_scale": None, "rotation": None}


class DistillTask(DynamicsTask):
    def __init__(self, config: DistillConfig, teacher: Denoiser, teacher_config: DynamicsTrainConfig) -> None:
        super().__init__(copy.deepcopy(teacher_config), latent_episodes(teacher_config))
        self.distill = config
        self.batch_size, self.seed = config.train.batch_size, config.train.seed      # not the teacher's
        self.teacher = teacher.eval().requires_grad_(False)
        self.model = copy.deepcopy(teacher).train().requires_grad_(True)
        if config.init:
            self.model.load_state_dict(initial_student(config.init, teacher_config))
        self.start = sampling_sigma_max(teacher.config, config.sigma_max)
        self.sigmas = karras_sigmas(config.teacher_steps, teacher.config.sigma_min, self.start)
        self.student_sigma = sampling_sigma_max(teacher.config, config.student_sigma or self.start)
        if not 0 <= config.self_forcing <= self.config.model.context_frames - 2:
            raise ConfigError(f"self_forcing must lie in [0, {self.config.model.context_frames - 2}] (the context "
                              f"frames but the first), got {config.self_forcing}")
        check_still_windows(config.still_windows)
        try:
            sampling_prior_sigma(teacher.config, config.prior_sigma)
            self.context_sigma = sampling_context_sigma(teacher.config, config.context_sigma)
        except ValueError as error:
            raise ConfigError(str(error)) from error

    def snapshot(self, path: Path, ema: nn.Module, meta: dict[str, Any]) -> None:
        save_world_model(path, ema, self.config, meta, {"distilled": to_dict(self.distill)})

    @torch.no_grad()
    def teacher_sample(self, noisy_context: torch.Tensor, context_sigma: torch.Tensor, anchors: torch.Tensor,
                       actions: torch.Tensor, keep: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """The teacher's guided many-step sample of each window's last frame (diffused variable)."""
        teacher = self.teacher
        _, past = teacher.denoise(noisy_context, context_sigma, anchors[:, :-1], actions[:, :-1], keep[:, :-1])

        def denoiser_with(mask: torch.Tensor):
            def denoise(x: torch.Tensor, sigma: float) -> torch.Tensor:
                sigma_frame = torch.full((x.shape[0], 1), float(sigma), device=x.device)
                out, _ = teacher.denoise(x[:, None], sigma_frame, anchors[:, -1:], actions[:, -1:], mask, past)
                return out[:, 0]
            return denoise

        conditional, unconditional = denoiser_with(keep[:, -1:]), denoiser_with(torch.zeros_like(keep[:, -1:]))
        denoise = guided(conditional, unconditional, self.distill.guidance_scale)
        start = prior_start(denoise, noise, self.sigmas, self.distill.prior_sigma)
        return SAMPLERS[self.distill.teacher_sampler](denoise, start, self.sigmas)

    @torch.no_grad()
    def dreamed_context(self, student: Denoiser, latents: torch.Tensor, actions: torch.Tensor,
                        memory: torch.Tensor | None = None) -> torch.Tensor:
        """The window with its last ``self_forcing`` context frames replaced, one after the other, by the
        student's own one-step dreams from the frames before them: the context it continues in play. With
        ``memory`` anchors (B, T, ...) each frame starts from its own (the memory's view), not the frame before."""
        latents = latents.clone()
        batch_size, length = actions.shape[:2]
        keep = torch.ones(batch_size, length, dtype=torch.bool, device=latents.device)
        for frame in range(length - 1 - self.distill.self_forcing, length - 1):
            anchors = latents[:, :frame + 1] if memory is None else memory[:, :frame + 1]
            context = student.to_diffused(latents[:, 1:frame + 1], anchors[:, :-1])
            noisy = context + self.context_sigma * torch.randn_like(context)
            noise = torch.randn_like(context[:, -1])
            output = self.student_step(student, noisy, noise, anchors, actions[:, :frame + 1], keep[:, :frame + 1])
            latents[:, frame + 1] = student.from_diffused(output.to(latents.dtype), anchors[:, -1])
        return latents

    def student_step(self, student: Denoiser, noisy_context: torch.Tensor, noise: torch.Tensor, anchors: torch.Tensor,
                     actions: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The student's one step (as the runtime plays it): the next frame's diffused variable from its
        noise at the student's level, in one pass over the noisy context and the new frame."""
        batch_size, context = noisy_context.shape[:2]
        sigmas = torch.cat([torch.full((batch_size, context), self.context_sigma, device=noise.device),
                            torch.full((batch_size, 1), self.student_sigma, device=noise.device)], dim=1)
        inputs = torch.cat([noisy_context, (noise * self.student_sigma)[:, None]], dim=1)
        output, _ = student.denoise(inputs, sigmas, anchors, actions, keep)
        return output[:, -1]

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        device = next(model.parameters()).device
        latents, actions, anchors = window_parts(batch, device)
        memory = len(batch) > 2
        self.teacher.to(device)                            # the loop moves the student; the teacher follows
        student: Denoiser = model.module if hasattr(model, "module") else model
        config = student.config
        stopped = None
        if self.distill.still_windows:
            latents, actions, stopped, anchors = stop_windows(latents, actions, self.distill.still_windows, anchors)
        if self.distill.self_forcing:
            latents = self.dreamed_context(student, latents, actions, anchors if memory else None)
        anchors, frames = anchors if memory else latents[:, :-1], latents[:, 1:]
        diffused = student.to_diffused(frames, anchors)                        # (B, T, C, h, w)
        batch_size, length = diffused.shape[:2]
        keep = torch.ones(batch_size, length, dtype=torch.bool, device=device)
        context_sigma = torch.full((batch_size, length - 1), self.context_sigma, device=device)
        context_noise = self.context_sigma * torch.randn_like(diffused[:, :-1])
        noisy_context = diffused[:, :-1] + context_noise
        noise = torch.randn_like(diffused[:, -1])
        target = self.teacher_sample(noisy_context, context_sigma, anchors, actions, keep, noise)
        if stopped is not None and stopped.any():       # a player standing still: the frame holds
            held = student.to_diffused(latents[:, -2], anchors[:, -1])
            target = torch.where(stopped[:, None, None, None], held.to(target.dtype), target)
        output = self.student_step(student, noisy_context, noise, anchors, actions, keep)
        loss = (output.float() - target).pow(2).mean() / config.sigma_data ** 2
        return loss, {}


def initial_student(path: str, teacher_config: DynamicsTrainConfig) -> dict[str, torch.Tensor]:
    """The weights of another student of this network to start from."""
    student, meta = load_world_model(path)
    if meta["config"]["model"] != to_dict(teacher_config.model):
        raise ConfigError(f"{path} has another network than the teacher; it cannot start this student")
    return student.state_dict()


def train_student(config: DistillConfig, quiet: bool = False) -> dict[str, Any]:
    teacher, meta = load_world_model(config.teacher)
    teacher_config = from_dict(DynamicsTrainConfig, meta["config"])
    if config.data:             # e.g. a teacher trained on another machine: its data path is not here
        teacher_config.data, teacher_config.train.out = config.data, config.train.out
    torch.manual_seed(config.train.seed)        # the model's first weights: the same every run
    task = DistillTask(config, teacher, teacher_config)
    summary = train(task, config.train, {**to_dict(config), "teacher_config": meta["config"]}, quiet)
    if not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0:
        save_world_model(Path(config.train.out) / FINAL, summary["ema"], task.config, summary,
                         {"distilled": to_dict(config)})
    return summary
