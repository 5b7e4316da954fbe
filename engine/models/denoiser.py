"""EDM preconditioning and loss around the dynamics network (Karras et al. 2022, "Elucidating the Design
Space of Diffusion-Based Generative Models", Table 1 and eq. 7), one noise level per frame.

    D(y; sigma) = c_skip(sigma) y + c_out(sigma) F(c_in(sigma) y, c_noise(sigma), anchor, action)

With ``predict_change`` the diffused variable ``y`` of a frame is its change from the frame before it
(the anchor) rather than the frame itself: most of a next frame is the current frame, so "no change"
is the copy-the-last-frame baseline and the network spends its capacity on what moves.

With ``anchor_noise`` the anchors are corrupted in training (noise augmentation of the anchor, as GameNGen
does for the context): in a rollout the anchor is the model's own last frame, errors included, and a
model that learned to trust it blindly adds every error up; one trained on corrupted anchors learns to
pull the frame back instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from engine.models.dynamics import DynamicsTransformer


@dataclass
class DiffusionConfig:
    sigma_data: float = 1.0              # std of the diffused variable (measured on data when training starts)
    predict_change: bool = True          # diffuse the change from the previous frame, not the frame
    p_mean: float = -0.4                 # training noise: ln sigma ~ N(p_mean, p_std^2) (EDM; DIAMOND)
    p_std: float = 1.2
    context_share: float = 0.5           # share of frames trained at context-level noise (augmentation)
    context_log_sigma: float = -3.0      # their ln sigma ~ N(context_log_sigma, 0.5^2): sigma ~ 0.05
    context_sigma: float = 0.05          # context noise used when sampling (GameNGen noise augmentation)
    action_dropout: float = 0.1          # frames trained without their action, for classifier-free guidance
    sigma_min: float = 0.002
    sigma_max: float = 5.0
    anchor_noise: float = 0.0            # training anchors get Gaussian noise of std U(0, anchor_noise)

    # Settings of earlier versions, read from old checkpoints and packs only while they are off.
    RETIRED: ClassVar[dict[str, Any]] = {"warp": False, "rotation_turn_range": None, "rotation_look_range": None}


class Denoiser(nn.Module):
    """Owns preconditioning and the loss; the inner network sees only scaled inputs and conditioning."""

    def __init__(self, network: DynamicsTransformer, config: DiffusionConfig) -> None:
        super().__init__()
        self.network = network
        self.config = config

    def scalings(self, sigma: torch.Tensor) -> tuple[torch.Tensor, ...]:
        data = self.config.sigma_data
        c_skip = data ** 2 / (sigma ** 2 + data ** 2)
        c_out = sigma * data / (sigma ** 2 + data ** 2).sqrt()
        c_in = 1 / (sigma ** 2 + data ** 2).sqrt()
        c_noise = sigma.log() / 4
        return c_skip, c_out, c_in, c_noise

    def to_diffused(self, latents: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
        return latents - anchor if self.config.predict_change else latents

    def from_diffused(self, diffused: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
        return diffused + anchor if self.config.predict_change else diffused

    def denoise(self, noisy: torch.Tensor, sigma: torch.Tensor, anchor: torch.Tensor, actions: torch.Tensor,
                action_mask: torch.Tensor, past=None, past_valid: torch.Tensor | None = None):
        """Noisy diffused variable (B, T, C, h, w) at sigma (B, T) -> its denoised value and the new key/values."""
        c_skip, c_out, c_in, c_noise = (s[..., None, None, None] for s in self.scalings(sigma))
        output, presents = self.network(c_in * noisy, anchor, c_noise[..., 0, 0, 0], actions, action_mask,
                                        past, past_valid)
        return c_skip * noisy + c_out * output.float(), presents

    def sample_sigmas(self, shape: tuple[int, int], device: torch.device) -> torch.Tensor:
        """Per-frame training noise (Diffusion Forcing): each frame independently either at context level
        (noise augmentation, so generated context does not make the model drift) or at EDM's level."""
        config = self.config
        target = (config.p_mean + config.p_std * torch.randn(shape, device=device)).exp()
        context = (config.context_log_sigma + 0.5 * torch.randn(shape, device=device)).exp()
        is_context = torch.rand(shape, device=device) < config.context_share
        return torch.where(is_context, context, target)

    def forward(self, latents: torch.Tensor, actions: torch.Tensor,
                anchors: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """EDM loss on every frame of the windows. latents: (B, T + 1, C, h, w), the first frame only the
        anchor of the second; actions: (B, T, A), the action leading into each of the T frames; anchors:
        (B, T, C, h, w) each frame's anchor where it is not the frame before (the world memory's view).
        Returns the mean loss and the per-frame loss (B, T)."""
        anchor, target = latents[:, :-1] if anchors is None else anchors, latents[:, 1:]
        if self.config.anchor_noise > 0:
            std = self.config.anchor_noise * torch.rand(anchor.shape[:2], device=anchor.device)
            anchor = anchor + std[..., None, None, None] * torch.randn_like(anchor)
        clean = self.to_diffused(target, anchor)
        batch, frames = clean.shape[:2]
        sigma = self.sample_sigmas((batch, frames), clean.device)
        keep_action = torch.rand((batch, frames), device=clean.device) >= self.config.action_dropout
        noisy = clean + sigma[..., None, None, None] * torch.randn_like(clean)
        c_skip, c_out, c_in, c_noise = (s[..., None, None, None] for s in self.scalings(sigma))
        output, _ = self.network(c_in * noisy, anchor, c_noise[..., 0, 0, 0], actions, keep_action)
        goal = (clean - c_skip * noisy) / c_out                          # EDM eq. 8 with lambda = 1 / c_out^2
        per_frame = (output.float() - goal).pow(2).mean(dim=(2, 3, 4))
        return per_frame.mean(), per_frame
