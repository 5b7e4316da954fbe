"""The autoregressive sampler over the exported dynamics graph, in numpy, with a fixed-size key/value
cache: the numpy twin of engine.models.rollout.LatentRollout. Memory is the same at frame 10 and at
frame 10 million; a whole state is a handful of arrays, so a moment can be copied and branched.

A new frame enters the cache through one network pass at context noise (its keys/values). With ``fold``
(graphs that take two frames at once) that pass is not run on its own: it rides along with the next
frame's first denoising pass, one pass over both frames. At 48 tokens a frame, a CPU pass is mostly fixed
cost (reading the weights, per-operator overhead): over two frames it takes 1.5 times as long as over one
(17.8 against 11.8 ms on the 2-core CPU), not twice. The frames dreamed are the same: the model's sliding
attention window gives the older frame the context it would have had alone
(``engine.models.dynamics.block_causal_mask``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from engine.models.sampling import SAMPLERS, SamplerConfig, guided, karras_sigmas, prior_start

# (noisy, sigma, anchor, action, keep_action, past_keys, past_values, past_valid) -> (denoised, keys, values)
StepFunction = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass
class PendingFrame:
    """A dreamed frame's inputs to its cache pass, run later together with the next frame's first pass."""
    noisy: np.ndarray             # (1, C, h, w): the frame's change at context noise
    anchor: np.ndarray
    action: np.ndarray            # (A,)
    keep: bool


@dataclass
class RolloutState:
    keys: np.ndarray              # (layers, 1, heads, P, head_dim)
    values: np.ndarray
    valid: np.ndarray             # (1, P) bool
    last_latent: np.ndarray | None
    rng: dict[str, Any]           # the numpy generator's state: the same actions give the same frames
    pending: PendingFrame | None = None


class CachedRollout:
    def __init__(self, step: StepFunction, sampler: SamplerConfig, cache_shape: tuple[int, ...],
                 tokens_per_frame: int, action_dim: int, seed: int = 0, fold: bool = False) -> None:
        """``sampler``: a resolved one (a pack's, ``SamplerConfig.from_manifest``), every level known."""
        if sampler.unresolved():
            raise ValueError(f"the rollout's sampler leaves {', '.join(sampler.unresolved())} to the model; "
                             "resolve it first")
        self.step_function = step
        self.fold = fold
        self.pending: PendingFrame | None = None
        self.sampler = sampler
        self.tokens = tokens_per_frame
        self.action_dim = action_dim
        self.rng = np.random.default_rng(seed)
        self.keys = np.zeros(cache_shape, np.float32)
        self.values = np.zeros(cache_shape, np.float32)
        self.valid = np.zeros((1, cache_shape[3]), bool)
        self.last_latent: np.ndarray | None = None
        self.sigmas = karras_sigmas(sampler.steps, sampler.sigma_min, sampler.sigma_max)

    def _evaluate(self, noisy: np.ndarray, sigma: float, anchor: np.ndarray, action: np.ndarray,
                  keep: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One network pass over the next frame, after the pending frame's cache pass (folded into
        this pass when the graph takes two frames)."""
        pending, self.pending = self.pending, None
        if pending is None:
            return self._run(noisy, [sigma], anchor, action[None], [keep])
        if not self.fold:
            self._append(*self._run(pending.noisy, [self.sampler.context_sigma], pending.anchor,
                                    pending.action[None], [pending.keep])[1:])
            return self._run(noisy, [sigma], anchor, action[None], [keep])
        denoised, keys, values = self._run(np.concatenate([pending.noisy, noisy]),
                                           [self.sampler.context_sigma, sigma],
                                           np.concatenate([pending.anchor, anchor]),
                                           np.stack([pending.action, action]), [pending.keep, keep])
        n = self.tokens
        self._append(keys[:, :, :, :n], values[:, :, :, :n])
        return denoised[1:], keys[:, :, :, n:], values[:, :, :, n:]

    def _run(self, noisy: np.ndarray, sigma: list[float], anchor: np.ndarray, action: np.ndarray,
             keep: list[bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The dynamics graph over F new frames: noisy/anchor (F, C, h, w), action (F, A)."""
        return self.step_function(
            noisy=noisy.astype(np.float32), sigma=np.array(sigma, np.float32), anchor=anchor.astype(np.float32),
            action=action.astype(np.float32), keep_action=np.array(keep), past_keys=self.keys,
            past_values=self.values, past_valid=self.valid)

    def _cache_frame(self, latent: np.ndarray, anchor: np.ndarray, action: np.ndarray, keep: bool) -> None:
        """Queue a frame for the context: its cache pass runs with the next evaluation (``_evaluate``)."""
        sampler = self.sampler
        diffused = latent - anchor if sampler.predict_change else latent
        noisy = diffused + sampler.context_sigma * self.rng.standard_normal(latent.shape).astype(np.float32)
        self.pending = PendingFrame(noisy, anchor, action, keep)
        self.last_latent = latent

    def _append(self, keys: Any, values: Any) -> None:
        n = self.tokens
        self._slide_cache(keys, values)
        self.valid = np.concatenate([self.valid[:, n:], np.ones((1, n), bool)], axis=1)

    def _slide_cache(self, keys: Any, values: Any) -> None:
        """Drop the oldest frame's keys/values and append the new frame's (the window slides by one)."""
        n = self.tokens
        self.keys = np.concatenate([self.keys[:, :, :, n:], keys], axis=3)
        self.values = np.concatenate([self.values[:, :, :, n:], values], axis=3)

    def prime(self, latent: np.ndarray) -> None:
        """Start from the prompt's latent (1, C, h, w), with an empty context."""
        self.keys[:] = 0
        self.values[:] = 0
        self.valid[:] = False
        self._cache_frame(latent, latent, np.zeros(self.action_dim, np.float32), keep=False)

    def predict(self, action: np.ndarray, anchor: np.ndarray | None = None) -> np.ndarray:
        """The next latent for the encoded action (A,), without adding it to the context. It is dreamed as a
        change from ``anchor`` (1, C, h, w): the last frame, or in a world trained on memory anchors the
        memory's view at the new pose."""
        if self.last_latent is None:
            raise RuntimeError("prime() the rollout with a prompt first")
        anchor = self.last_latent if anchor is None else anchor

        def with_action(keep: bool):
            return lambda x, sigma: self._evaluate(x, sigma, anchor, action, keep)[0]

        denoise = guided(with_action(True), with_action(False), self.sampler.guidance_scale)
        noise = self.rng.standard_normal(anchor.shape).astype(np.float32)
        noise = prior_start(denoise, noise, self.sigmas, self.sampler.prior_sigma)
        sample = SAMPLERS[self.sampler.name](denoise, noise, self.sigmas)
        return sample + anchor if self.sampler.predict_change else sample

    def step(self, action: np.ndarray) -> np.ndarray:
        latent = self.predict(action)
        self.observe(latent, action)
        return latent

    def observe(self, latent: np.ndarray, action: np.ndarray, anchor: np.ndarray | None = None) -> None:
        """Make ``latent`` (1, C, h, w), reached by ``action`` (A,), the newest context frame: a dreamed
        frame, or a real one when the model is teacher-forced; ``anchor``: the one it was dreamed from,
        where that was not the last frame."""
        if self.last_latent is None:
            raise RuntimeError("prime() the rollout with a prompt first")
        self._cache_frame(latent, self.last_latent if anchor is None else anchor, action, keep=True)

    def snapshot(self) -> RolloutState:
        return RolloutState(self.keys.copy(), self.values.copy(), self.valid.copy(),
                            None if self.last_latent is None else self.last_latent.copy(),
                            copy.deepcopy(self.rng.bit_generator.state), copy.deepcopy(self.pending))

    def restore(self, state: RolloutState) -> None:
        self.keys, self.values, self.valid = state.keys.copy(), state.values.copy(), state.valid.copy()
        self.last_latent = None if state.last_latent is None else state.last_latent.copy()
        self.rng.bit_generator.state = copy.deepcopy(state.rng)
        self.pending = copy.deepcopy(state.pending)
