"""Samplers: pure functions of a ``denoise(x, sigma) -> x0`` callable and a noise schedule
(after k-diffusion's sampling.py). Nothing here knows about training or the network."""

from __future__ import annotations

from typing import Callable

import torch

Denoise = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> torch.Tensor:
    """Noise levels from sigma_max down to sigma_min, then 0 (Karras et al. 2022, eq. 5)."""
    ramp = torch.linspace(0, 1, steps)
    sigmas = (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([sigmas, torch.zeros(1)])


def sample_euler(denoise: Denoise, noise: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Deterministic Euler steps of the probability-flow ODE (Karras et al. 2022, Algorithm 1 without Heun)."""
    x = noise * sigmas[0]
    for sigma, next_sigma in zip(sigmas[:-1], sigmas[1:]):
        denoised = denoise(x, sigma)
        x = x + (x - denoised) / sigma * (next_sigma - sigma)
    return x


def sample_heun(denoise: Denoise, noise: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Heun's second-order steps (Karras et al. 2022, Algorithm 1); the last step is Euler."""
    x = noise * sigmas[0]
    for sigma, next_sigma in zip(sigmas[:-1], sigmas[1:]):
        derivative = (x - denoise(x, sigma)) / sigma
        candidate = x + derivative * (next_sigma - sigma)
        if next_sigma > 0:
            next_derivative = (candidate - denoise(candidate, next_sigma)) / next_sigma
            candidate = x + (derivative + next_derivative) / 2 * (next_sigma - sigma)
        x = candidate
    return x


def guided(conditional: Denoise, unconditional: Denoise, scale: float) -> Denoise:
    """Classifier-free guidance (Ho & Salimans 2022): D_u + scale (D_c - D_u); scale 1 is no guidance."""
    if scale == 1.0:
        return conditional

    def denoise(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        unguided = unconditional(x, sigma)
        return unguided + scale * (conditional(x, sigma) - unguided)

    return denoise
