"""Samplers: pure functions of a ``denoise(x, sigma) -> x0`` callable and a noise schedule
(after k-diffusion's sampling.py). They only use arithmetic, so they run on torch tensors in training
and evaluation and on numpy arrays in the ONNX runtime; nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
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
    last frame and ignores the action (a held turn moves the view 0 px/frame, docs/research/sampling.md). With
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


# Validation of the levels a sampler may use, one place for eval, export, distill and the rollouts. ``config``
# is a DiffusionConfig (anything with sigma_max, predict_change and context_sigma).

def sampling_sigma_max(config, sigma_max: float | None) -> float:
    """The start of the sampling schedule: the trained maximum, or a lower level for a change model."""
    if sigma_max is None or sigma_max == config.sigma_max:
        return config.sigma_max
    if not config.predict_change or not 0 < sigma_max <= config.sigma_max:
        raise ValueError(f"sampling can start below sigma_max={config.sigma_max} only for a model that predicts "
                         f"the change from the last frame (got {sigma_max})")
    return float(sigma_max)


def sampling_prior_sigma(config, prior_sigma: float | None) -> float | None:
    """The level of a prior start's guess (``sampling.prior_start``): None (no prior start) or within the
    trained noise levels, where the model's denoised value means something."""
    if prior_sigma is not None and not 0 < prior_sigma <= config.sigma_max:
        raise ValueError(f"prior_sigma must lie in (0, {config.sigma_max:g}], got {prior_sigma}")
    return None if prior_sigma is None else float(prior_sigma)


def sampling_context_sigma(config, context_sigma: float | None) -> float:
    """The noise level dreamed frames enter the context at: the trained one (None), or another level
    within the trained noise levels. Higher trusts the model's own past frames less: measured, it keeps
    long rollouts from sharpening into saturated bands, and too high blurs them flat."""
    if context_sigma is None:
        return config.context_sigma
    if not 0 <= context_sigma <= config.sigma_max:
        raise ValueError(f"context_sigma must lie in [0, {config.sigma_max:g}], got {context_sigma}")
    return float(context_sigma)


@dataclass(kw_only=True)
class SamplerConfig:
    """How a world model dreams each frame, from the command line to the rollout: eval and export take it
    with the settings not given left None (the checkpoint's own: a distilled student one Euler step from
    the level it was distilled at, its guidance built in; a teacher four Heun steps from its trained
    maximum); ``resolve`` fills them in, and a pack's manifest keeps the resolved one (``to_manifest``),
    which the runtime reads back (``from_manifest``). ``sigma_min`` and ``predict_change`` are the model's,
    not choices: they are kept so that a rollout needs nothing else. The fields are in the manifest's order;
    ``flag``: the command-line option of a setting one may choose (engine.cli.options declares them)."""
    name: str | None = field(default=None, metadata={"flag": "--sampler"})
    steps: int | None = field(default=None, metadata={"flag": "--steps"})
    guidance_scale: float | None = field(default=None, metadata={"flag": "--guidance"})
    sigma_min: float | None = None
    sigma_max: float | None = field(default=None, metadata={"flag": "--sigma-max"})
    prior_sigma: float | None = field(default=None, metadata={"flag": "--prior-sigma"})
    context_sigma: float | None = field(default=None, metadata={"flag": "--context-sigma"})
    predict_change: bool | None = None

    def given(self) -> list[str]:
        """The flags of the settings given (not left to the checkpoint)."""
        return [item.metadata["flag"] for item in fields(self)
                if "flag" in item.metadata and getattr(self, item.name) is not None]

    def resolve(self, meta: dict[str, Any], diffusion: Any) -> "SamplerConfig":
        """Every setting filled in from a checkpoint's metadata and DiffusionConfig, and checked against
        the noise levels the model was trained at; ValueError with one line when a level does not fit."""
        distilled = meta.get("distilled") or {}
        name, steps = ("euler", 1) if distilled else ("heun", 4)
        start = self.sigma_max if self.sigma_max is not None else (distilled.get("student_sigma")
                                                                    or distilled.get("sigma_max"))
        context = self.context_sigma if self.context_sigma is not None else distilled.get("context_sigma")
        return replace(self, name=self.name or name, steps=steps if self.steps is None else self.steps,
                       sigma_max=start, context_sigma=context).for_model(diffusion)

    def for_model(self, diffusion: Any) -> "SamplerConfig":
        """The sampler a rollout of a model with this DiffusionConfig runs: the noise levels left None its
        trained ones, each level checked against them, guidance 1 where none is given, and the model's
        ``sigma_min`` and ``predict_change``. The sampler and its steps must be given (``resolve`` fills
        them in from a checkpoint). ValueError with one line when a setting does not fit."""
        if self.name not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.name!r}; choose one of: {', '.join(SAMPLERS)}")
        if self.steps is None or self.steps < 1:
            raise ValueError(f"steps must be 1 or more, got {self.steps}")
        return replace(self, guidance_scale=1.0 if self.guidance_scale is None else self.guidance_scale,
                       sigma_min=diffusion.sigma_min, sigma_max=sampling_sigma_max(diffusion, self.sigma_max),
                       prior_sigma=sampling_prior_sigma(diffusion, self.prior_sigma),
                       context_sigma=sampling_context_sigma(diffusion, self.context_sigma),
                       predict_change=diffusion.predict_change)

    def unresolved(self) -> list[str]:
        """The settings a rollout needs that are still left None (a prior start is off at None)."""
        return [item.name for item in fields(self) if item.name != "prior_sigma" and getattr(self, item.name) is None]

    def to_manifest(self) -> dict[str, Any]:
        """A pack's ``sampler`` entry (the manifest's JSON, key for key as packs have always kept it)."""
        return {"name": self.name, "steps": self.steps, "guidance_scale": self.guidance_scale,
                "sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "prior_sigma": self.prior_sigma,
                "context_sigma": self.context_sigma, "predict_change": self.predict_change}

    @classmethod
    def from_manifest(cls, sampler: dict[str, Any], steps: int | None = None,
                      guidance_scale: float | None = None) -> "SamplerConfig":
        """A pack's ``sampler`` entry, ``steps`` and ``guidance_scale`` overriding its own where given
        (packs written before prior starts have no ``prior_sigma``)."""
        return cls(name=sampler["name"], steps=int(steps or sampler["steps"]),
                   guidance_scale=float(sampler["guidance_scale"] if guidance_scale is None else guidance_scale),
                   sigma_min=float(sampler["sigma_min"]), sigma_max=float(sampler["sigma_max"]),
                   prior_sigma=sampler.get("prior_sigma"), context_sigma=float(sampler["context_sigma"]),
                   predict_change=bool(sampler["predict_change"]))
