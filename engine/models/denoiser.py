"""EDM preconditioning and loss around the dynamics network (Karras et al. 2022, "Elucidating the Design
Space of Diffusion-Based Generative Models", Table 1 and eq. 7), one noise level per frame.

    D(y; sigma) = c_skip(sigma) y + c_out(sigma) F(c_in(sigma) y, c_noise(sigma), anchor, action)

With ``predict_change`` the diffused variable ``y`` of a frame is its change from the frame before it
(the anchor) rather than the frame itself: most of a next frame is the current frame, so "no change"
is the copy-the-last-frame baseline and the network spends its capacity on what moves.

With ``warp`` the anchor is first moved by the action (``ActionWarp``: a learned global shift and zoom of
the previous latent, fit directly to the next latent), so "no change" becomes "the last frame, turned and
stepped as the action says" and the diffusion model generates only what the warp cannot explain.

With ``rotation_turn_range`` (> 0) the anchor is instead turned and tilted by the action's own turn and
look, exactly (``RotationWarp``: the pinhole homography of engine.geometry on the latent grid, no
parameters): a turn needs no depth, so "no change" becomes "the last frame as seen after turning".

With ``anchor_noise`` the anchors are corrupted in training (noise augmentation of the anchor, as GameNGen
does for the context): in a rollout the anchor is the model's own last frame, errors included, and a
model that learned to trust it blindly adds every error up; one trained on corrupted anchors learns to
pull the frame back instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.actions import KEYS
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
    warp: bool = False                   # anchor = the previous latent warped by the action (ActionWarp)
    # Set (> 0): anchor = the previous latent turned by the action (RotationWarp), an encoded turn/look of 1
    # standing for these degrees (the world's ranges). None (unset) keeps runs saved before they existed resumable.
    rotation_turn_range: float | None = None
    rotation_look_range: float | None = None
    anchor_noise: float = 0.0            # training anchors get Gaussian noise of std U(0, anchor_noise)


class ActionWarp(nn.Module):
    """A global affine warp of a latent frame driven by the action: a shift (turning, looking,
    strafing) and a zoom (walking), each linear in the encoded action. No bias and zero weights at the
    start, so the null action and an untrained warp are exactly the identity."""

    def __init__(self, action_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(action_dim, 3, bias=False)
        nn.init.zeros_(self.linear.weight)

    def forward(self, latent: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """latent (..., C, h, w), action (..., A) -> the warped latent, same shape."""
        lead, frame_shape = latent.shape[:-3], latent.shape[-3:]
        flat = latent.reshape(-1, *frame_shape).float()
        shift_x, shift_y, log_zoom = self.linear(action.reshape(flat.shape[0], -1).float()).unbind(-1)
        scale = torch.exp(-log_zoom)[:, None, None]
        # The sampling grid of F.affine_grid(align_corners=False) for [[scale, 0, shift_x], [0, scale, shift_y]],
        # written out so that it exports to ONNX with any opset (GridSample needs 16, AffineGrid 20).
        height, width = frame_shape[-2:]
        xs = (torch.arange(width, device=flat.device, dtype=flat.dtype) * 2 + 1) / width - 1
        ys = (torch.arange(height, device=flat.device, dtype=flat.dtype) * 2 + 1) / height - 1
        grid_x = scale * xs[None, None, :] + shift_x[:, None, None]                       # (N, 1, w)
        grid_y = scale * ys[None, :, None] + shift_y[:, None, None]                       # (N, h, 1)
        grid = torch.stack([grid_x.expand(-1, height, width), grid_y.expand(-1, height, width)], dim=-1)
        warped = F.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return warped.reshape(*lead, *frame_shape).to(latent.dtype)


class RotationWarp(nn.Module):
    """The camera's turn and look applied to a latent frame: the pinhole homography of
    ``engine.geometry.rotate_view`` (ViZDoom's 90-degree field of view) on the latent grid, bilinear, edges
    repeated into the strip a turn reveals. Turn and look come from the encoded action (their 1 stands for
    ``turn_range``/``look_range`` degrees); no parameters, and the null action leaves the latent as it is
    (to float rounding)."""

    def __init__(self, turn_range: float, look_range: float, field_of_view: float = 90.0) -> None:
        super().__init__()
        self.turn_index, self.look_index = KEYS.index("turn"), KEYS.index("look")
        self.turn_range, self.look_range = turn_range, look_range
        self.half_view = math.radians(field_of_view) / 2

    def forward(self, latent: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """latent (..., C, h, w), action (..., A) -> the latent as seen after the turn/look, same shape."""
        lead, frame_shape = latent.shape[:-3], latent.shape[-3:]
        flat = latent.reshape(-1, *frame_shape).float()
        action = action.reshape(flat.shape[0], -1).float()
        yaw = (action[:, self.turn_index] * math.radians(self.turn_range))[:, None, None]
        pitch = (action[:, self.look_index] * math.radians(self.look_range))[:, None, None]
        height, width = frame_shape[-2:]
        focal = (width / 2) / math.tan(self.half_view)
        u = ((torch.arange(width, device=flat.device, dtype=flat.dtype) - (width - 1) / 2) / focal)[None, None, :]
        v = ((torch.arange(height, device=flat.device, dtype=flat.dtype) - (height - 1) / 2) / focal)[None, :, None]
        # The new camera's ray (u, v, 1) in the old camera's frame: undo the look, then the turn.
        y = v * torch.cos(pitch) - torch.sin(pitch)
        z = v * torch.sin(pitch) + torch.cos(pitch)
        x = u * torch.cos(yaw) + z * torch.sin(yaw)
        z = torch.clamp(-u * torch.sin(yaw) + z * torch.cos(yaw), min=1e-3)
        grid_x = (x / z * focal + (width - 1) / 2) * (2 / (width - 1)) - 1
        grid_y = (y / z * focal + (height - 1) / 2) * (2 / (height - 1)) - 1
        grid = torch.stack([grid_x.expand(-1, height, width), grid_y.expand(-1, height, width)], dim=-1)
        warped = F.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=True)
        return warped.reshape(*lead, *frame_shape).to(latent.dtype)


class Denoiser(nn.Module):
    """Owns preconditioning and the loss; the inner network sees only scaled inputs and conditioning."""

    def __init__(self, network: DynamicsTransformer, config: DiffusionConfig) -> None:
        super().__init__()
        self.network = network
        self.config = config
        self.warp: nn.Module | None = None
        if config.warp:
            self.warp = ActionWarp(network.config.action_dim)
        elif config.rotation_turn_range:
            self.warp = RotationWarp(config.rotation_turn_range, config.rotation_look_range or 0.0)

    def warp_anchor(self, anchor: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The anchor each frame is predicted from: the previous latent, moved by the action when
        ``warp`` is on (always by the real action: guidance acts on the network, not on the warp)."""
        return anchor if self.warp is None else self.warp(anchor, actions)

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

    def forward(self, latents: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """EDM loss on every frame of the windows. latents: (B, T + 1, C, h, w), the first frame only the
        anchor of the second; actions: (B, T, A), the action leading into each of the T frames.
        Returns the mean loss and the per-frame loss (B, T)."""
        anchor, target = latents[:, :-1], latents[:, 1:]
        warp_loss = torch.zeros((), device=latents.device)
        if self.warp is not None:               # fit the warp to the next frame directly; diffuse the rest
            warped = self.warp(anchor, actions)
            if self.config.warp:                # a learned warp (ActionWarp); the rotation has nothing to fit
                warp_loss = (warped - target.float()).pow(2).mean() / self.config.sigma_data ** 2
            anchor = warped.detach()
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
        return per_frame.mean() + warp_loss, per_frame
