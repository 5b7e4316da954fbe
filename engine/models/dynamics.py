"""Dynamics transformer: the inner network of the latent diffusion world model.

It sees only ``(scaled noisy latents, noise level, action)`` per frame of a window, plus each frame's
anchor (the clean latent of the frame before it, which the sampler always has), with a block-causal
mask (a frame's tokens attend to their own frame and earlier frames), and returns the network output
``F`` that :class:`engine.models.denoiser.Denoiser` turns into a denoised latent.

Per-frame conditioning (noise level + action) modulates every block with adaLN-Zero (DiT, Peebles &
Xie 2023); the time axis uses rotary position embedding (RoPE, Su et al. 2021) on frame indices within
the attended window. Keys are cached before rotation and rotated by their slot in the window at every
pass, so a sliding key/value cache needs no growing position counter; space uses a learned embedding
per token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class DynamicsConfig:
    latent_channels: int = 16
    latent_height: int = 6
    latent_width: int = 8
    d_model: int = 256
    layers: int = 6
    heads: int = 4
    mlp_ratio: float = 4.0
    action_dim: int = 12
    context_frames: int = 8          # frames one window / the sliding key-value cache holds

    @property
    def tokens_per_frame(self) -> int:
        return self.latent_height * self.latent_width


def rope(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Rotate (B, H, L, Dh) queries/keys by per-token frame positions (L,) (RoPE, Su et al. 2021 eq. 34)."""
    half = x.shape[-1] // 2
    frequencies = 1.0 / (10000 ** (torch.arange(half, device=x.device, dtype=torch.float32) / half))
    angles = positions.float()[:, None] * frequencies[None, :]            # (L, Dh/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)


def block_causal_mask(frames: int, tokens: int, device: torch.device | None = None,
                      window: int | None = None) -> torch.Tensor:
    """(frames*tokens, frames*tokens) bool, True where attention is allowed: same or earlier frame, and
    with ``window`` no more than ``window - 1`` frames earlier (each frame sees a window of ``window``
    frames, so a pass over two new frames gives the first the context a pass of its own would)."""
    frame_of = torch.arange(frames * tokens, device=device) // tokens
    allowed = frame_of[:, None] >= frame_of[None, :]
    if window is not None:
        allowed = allowed & (frame_of[:, None] - frame_of[None, :] < window)
    return allowed


def noise_embedding(c_noise: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the (scaled, log) noise level, (...,) -> (..., dim)."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10000) * torch.arange(half, device=c_noise.device) / half)
    angles = c_noise.float()[..., None] * 1000.0 * frequencies
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


class Attention(nn.Module):
    def __init__(self, config: DynamicsConfig) -> None:
        super().__init__()
        self.heads = config.heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)

    def forward(self, x: torch.Tensor, query_positions: torch.Tensor, key_positions: torch.Tensor,
                mask: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        batch, length, width = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        present = (k, v)                                                    # (B, H, L, Dh), not yet rotated
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        out = F.scaled_dot_product_attention(rope(q, query_positions), rope(k, key_positions), v, attn_mask=mask)
        out = out.transpose(1, 2).reshape(batch, length, width)             # (B, L, D)
        return self.proj(out), present


class Block(nn.Module):
    def __init__(self, config: DynamicsConfig) -> None:
        super().__init__()
        width = config.d_model
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False)
        self.attention = Attention(config)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False)
        hidden = int(width * config.mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, width))
        self.modulation = nn.Linear(width, 6 * width)
        nn.init.zeros_(self.modulation.weight)                              # adaLN-Zero: blocks start as identity
        nn.init.zeros_(self.modulation.bias)

    def forward(self, x: torch.Tensor, condition: torch.Tensor, query_positions: torch.Tensor,
                key_positions: torch.Tensor, mask: torch.Tensor,
                past: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        # condition: (B, L, D) per token (each token carries its frame's noise level and action)
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(F.silu(condition)).chunk(6, dim=-1)
        attended, present = self.attention(self.norm1(x) * (1 + scale1) + shift1, query_positions, key_positions,
                                           mask, past)
        x = x + gate1 * attended
        x = x + gate2 * self.mlp(self.norm2(x) * (1 + scale2) + shift2)
        return x, present


class DynamicsTransformer(nn.Module):
    def __init__(self, config: DynamicsConfig) -> None:
        super().__init__()
        self.config = config
        width = config.d_model
        self.embed = nn.Linear(2 * config.latent_channels, width)          # noisy latent + anchor, per token
        self.spatial = nn.Parameter(torch.randn(config.tokens_per_frame, width) * 0.02)
        self.noise_mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.action_mlp = nn.Sequential(nn.Linear(config.action_dim, width), nn.SiLU(), nn.Linear(width, width))
        self.null_action = nn.Parameter(torch.zeros(width))                 # "no action given", for guidance
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.final_norm = nn.LayerNorm(width, elementwise_affine=False)
        self.final_modulation = nn.Linear(width, 2 * width)
        self.head = nn.Linear(width, config.latent_channels)
        for layer in (self.final_modulation, self.head):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def condition(self, c_noise: torch.Tensor, actions: torch.Tensor, action_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) noise, (B, T, A) actions, (B, T) bool keep-action -> (B, T, D) per-frame conditioning."""
        action = torch.where(action_mask[..., None], self.action_mlp(actions), self.null_action)
        return self.noise_mlp(noise_embedding(c_noise, self.config.d_model)) + action

    def forward(self, x: torch.Tensor, anchor: torch.Tensor, c_noise: torch.Tensor, actions: torch.Tensor,
                action_mask: torch.Tensor, past: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
                past_valid: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """x: (B, T, C, h, w) scaled noisy latents of T frames that follow the ``past`` key/value cache;
        anchor: (B, T, C, h, w) the clean latent before each frame; past_valid: (B, P) bool marking the
        cached tokens that hold a frame (a fixed-size cache that is still filling up).

        Returns the network output (B, T, C, h, w) and each layer's keys/values of these T frames.
        """
        batch, frames, channels, height, width = x.shape
        tokens = height * width
        inputs = torch.cat([x, anchor], dim=2)                                              # (B, T, 2C, h, w)
        h = self.embed(inputs.permute(0, 1, 3, 4, 2).reshape(batch, frames, tokens, 2 * channels))  # (B, T, N, D)
        h = (h + self.spatial).reshape(batch, frames * tokens, -1)                          # (B, T*N, D)
        condition = self.condition(c_noise, actions, action_mask)                           # (B, T, D)
        condition = condition.repeat_interleave(tokens, dim=1)                              # (B, T*N, D)
        past_frames = 0 if not past else past[0][0].shape[2] // tokens
        key_positions = torch.arange(past_frames + frames, device=x.device).repeat_interleave(tokens)
        query_positions = key_positions[past_frames * tokens:]
        mask = block_causal_mask(past_frames + frames, tokens, x.device,
                                 self.config.context_frames)[past_frames * tokens:]            # (Lq, Lk)
        if past_valid is not None:
            new_keys = torch.ones(batch, frames * tokens, dtype=torch.bool, device=x.device)
            key_valid = torch.cat([past_valid, new_keys], dim=1)                            # (B, Lk)
            mask = mask[None, None] & key_valid[:, None, None, :]                           # (B, 1, Lq, Lk)
        presents = []
        for index, block in enumerate(self.blocks):
            h, present = block(h, condition, query_positions, key_positions, mask, None if not past else past[index])
            presents.append(present)
        shift, scale = self.final_modulation(F.silu(condition)).chunk(2, dim=-1)
        out = self.head(self.final_norm(h) * (1 + scale) + shift)                          # (B, T*N, C)
        out = out.reshape(batch, frames, height, width, channels).permute(0, 1, 4, 2, 3)    # (B, T, C, h, w)
        return out, presents
