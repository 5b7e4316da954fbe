"""Autoregressive rollout of the latent world model with a bounded sliding key/value cache.

Each new frame costs passes over that frame's tokens only: every denoising step attends to the cached
keys/values of up to ``context_frames - 1`` earlier frames; once a frame is finished, one more pass at
the context noise level writes its own keys/values into the cache and the oldest frame falls out.
"""

from __future__ import annotations

import torch

from engine.models.denoiser import Denoiser
from engine.models.sampling import SAMPLERS, Denoise, SamplerConfig, guided, karras_sigmas, prior_start

Cache = list[tuple[torch.Tensor, torch.Tensor]]


class LatentRollout:
    def __init__(self, denoiser: Denoiser, sampler: SamplerConfig, generator: torch.Generator | None = None) -> None:
        """``sampler``: its name and steps given, the levels left None the denoiser's trained ones
        (``SamplerConfig.for_model``, which checks them). ``sigma_max``: the noise level sampling starts
        from. Lower, with ``predict_change``, starts nearer "nothing changed" (truncated sampling, as SDEdit
        does from an image): less variety, more of the last frame kept. ``prior_sigma``: start instead from
        the model's own guess at that level (``sampling.prior_start``), so the action still moves the view.
        ``context_sigma``: the noise finished frames enter the context at."""
        self.denoiser = denoiser
        self.context_frames = denoiser.network.config.context_frames
        self.sampler = sampler.for_model(denoiser.config)
        self.sigmas = karras_sigmas(self.sampler.steps, self.sampler.sigma_min, self.sampler.sigma_max)
        self.generator = generator
        self.cache: Cache = []
        self.last_latent: torch.Tensor | None = None

    def _cache_frame(self, latent: torch.Tensor, anchor: torch.Tensor, action: torch.Tensor,
                     keep: torch.Tensor) -> None:
        """Append one finished frame (B, C, h, w) to the cache, as context at the context noise level."""
        context_sigma = self.sampler.context_sigma
        sigma = torch.full((latent.shape[0], 1), context_sigma)
        noise = torch.randn(latent.shape, generator=self.generator)
        noisy = (self.denoiser.to_diffused(latent, anchor) + context_sigma * noise)[:, None]
        _, presents = self.denoiser.denoise(noisy, sigma, anchor[:, None], action[:, None], keep[:, None],
                                            self.cache or None)
        limit = (self.context_frames - 1) * latent.shape[-1] * latent.shape[-2]
        if self.cache:
            presents = [(torch.cat([k0, k1], 2)[:, :, -limit:], torch.cat([v0, v1], 2)[:, :, -limit:])
                        for (k0, v0), (k1, v1) in zip(self.cache, presents)]
        self.cache = presents
        self.last_latent = latent

    @torch.no_grad()
    def prime(self, latent: torch.Tensor) -> None:
        """Start from a real frame's latent (B, C, h, w): the prompt, with no action leading into it and
        itself as its anchor (as if the world stood still before it)."""
        self.cache = []
        batch = latent.shape[0]
        action = torch.zeros(batch, self.denoiser.network.config.action_dim)
        self._cache_frame(latent, latent, action, torch.zeros(batch, dtype=torch.bool))

    @torch.no_grad()
    def step(self, action: torch.Tensor) -> torch.Tensor:
        """Dream the next latent (B, C, h, w) given the encoded action (B, A) leading into it, and keep it
        as context for the frames after it."""
        latent = self.predict(action)
        self.observe(latent, action)
        return latent

    @torch.no_grad()
    def observe(self, latent: torch.Tensor, action: torch.Tensor) -> None:
        """Make ``latent`` (B, C, h, w), reached by ``action`` (B, A), the newest context frame: a dreamed
        frame, or a real one when the model is teacher-forced."""
        assert self.last_latent is not None, "prime() first"
        self._cache_frame(latent, self.last_latent, action, torch.ones(action.shape[0], dtype=torch.bool))

    @torch.no_grad()
    def predict(self, action: torch.Tensor) -> torch.Tensor:
        """The next latent (B, C, h, w) after the current context, without adding it to the context."""
        assert self.last_latent is not None, "prime() first"
        batch = action.shape[0]
        keep = torch.ones(batch, dtype=torch.bool)
        anchor = self.last_latent

        def denoiser_with(mask: torch.Tensor) -> Denoise:
            def denoise(x: torch.Tensor, sigma: float) -> torch.Tensor:
                sigma_frames = torch.full((batch, 1), float(sigma))
                out, _ = self.denoiser.denoise(x[:, None], sigma_frames, anchor[:, None], action[:, None],
                                               mask[:, None], self.cache)
                return out[:, 0]
            return denoise

        denoise = guided(denoiser_with(keep), denoiser_with(~keep), self.sampler.guidance_scale)
        noise = torch.randn(anchor.shape, generator=self.generator)
        noise = prior_start(denoise, noise, self.sigmas, self.sampler.prior_sigma)
        return self.denoiser.from_diffused(SAMPLERS[self.sampler.name](denoise, noise, self.sigmas), anchor)
