"""Samplers: pure functions of a ``denoise(x, sigma) -> x0`` callable and a noise schedule
(after k-diffusion's sampling.py). They only use arithmetic, so they run on torch tensors in training
and evaluation and on numpy arrays in the ONNX runtime; nothing here imports torch.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

Denoise = Callable[[Any, float], Any]


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> np.ndarray:
    """Noise levels from sigma_max down to sigma_min, then 0 (Karras et al. 2022, eq. 5)."""
    ramp = np.linspace(0.0, 1.0, steps)
    sigmas = (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return np.append(sigmas, 0.0).astype(np.float32)


def sample_euler(denoise: Denoise, noise: Any, sigmas: np.ndarray) -> Any:
    """Deterministic Euler steps of the probability-flow ODE (Karras et al. 2022, Algorithm 1 without Heun)."""
    x = noise * float(sigmas[0])
    for sigma, next_sigma in zip(sigmas[:-1].tolist(), sigmas[1:].tolist()):
        denoised = denoise(x, sigma)
        x = x + (x - denoised) / sigma * (next_sigma - sigma)
    return x


def sample_heun(denoise: Denoise, noise: Any, sigmas: np.ndarray) -> Any:
    """Heun's second-order steps (Karras et al. 2022, Algorithm 1); the last step is Euler."""
    x = noise * float(sigmas[0])
    for sigma, next_sigma in zip(sigmas[:-1].tolist(), sigmas[1:].tolist()):
        derivative = (x - denoise(x, sigma)) / sigma
        candidate = x + derivative * (next_sigma - sigma)
        if next_sigma > 0:
            next_derivative = (candidate - denoise(candidate, next_sigma)) / next_sigma
            candidate = x + (derivative + next_derivative) / 2 * (next_sigma - sigma)
        x = candidate
    return x


SAMPLERS = {"heun": sample_heun, "euler": sample_euler}


def evaluations_per_frame(sampler: str, steps: int, prior: bool = False) -> int:
    """Network evaluations one sample costs (without guidance, which doubles them); a prior start adds one."""
    return (2 * steps - 1 if sampler == "heun" else steps) + int(prior)


def prior_start(denoise: Denoise, noise: Any, sigmas: np.ndarray, prior_sigma: float | None) -> Any:
    """The noise a sampler starts from, optionally shifted to start from the model's own guess.

    Truncated sampling of a change model (start at a low sigma, as SDEdit starts from an image) starts
    from "nothing changed" plus noise, and at sigma ~ sigma_data the model trusts that start: it keeps the
    last frame and ignores the action (a held turn moves the view 0 px/frame, docs/world-model.md). With
    ``prior_sigma`` the start is the model's denoised value of a zero input at that (high) level, its
    guess of the change from the context and the action alone, plus the same noise: one network
    evaluation more, and the turn comes through. Returns noise such that ``noise * sigmas[0]`` is the
    start."""
    if prior_sigma is None:
        return noise
    return noise + denoise(noise * 0, float(prior_sigma)) / float(sigmas[0])


def guided(conditional: Denoise, unconditional: Denoise, scale: float) -> Denoise:
    """Classifier-free guidance (Ho & Salimans 2022): D_u + scale (D_c - D_u); scale 1 is no guidance."""
    if scale == 1.0:
        return conditional

    def denoise(x: Any, sigma: float) -> Any:
        unguided = unconditional(x, sigma)
        return unguided + scale * (conditional(x, sigma) - unguided)

    return denoise
