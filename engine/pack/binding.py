"""The rollout with its key/value cache in the execution provider's memory (ONNX Runtime I/O binding).

``CachedRollout`` keeps the cache in numpy: on a GPU every network evaluation would copy the whole
cache to the device and every new frame's keys back, and sliding the window would happen on the host.
``BoundRollout`` keeps the cache as ONNX Runtime values on the device: the dynamics graph reads it in
place, the new frame's keys/values stay on the device, and the pack's ``slide`` graph moves the window
there. Only the small per-frame tensors (the noisy latent, the action, the denoised latent) cross
between host and device. It dreams the same frames as ``CachedRollout`` for the same seed. It runs each
frame's cache pass on its own (no ``fold``): the new frame's keys would have to be split on the device.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from engine.models.sampling import SamplerConfig
from engine.pack.rollout import CachedRollout, RolloutState

# ONNX Runtime's device names for I/O binding, per execution provider.
BINDING_DEVICES = {"CUDAExecutionProvider": "cuda", "CPUExecutionProvider": "cpu"}


class BoundRollout(CachedRollout):
    def __init__(self, dynamics: Any, slide: Any, device: str, sampler: SamplerConfig,
                 cache_shape: tuple[int, ...], tokens_per_frame: int, action_dim: int, seed: int = 0) -> None:
        super().__init__(self._unused, sampler, cache_shape, tokens_per_frame, action_dim, seed)
        import onnxruntime

        self._ort = onnxruntime
        self._dynamics, self._slide, self._device = dynamics, slide, device
        self._cache_shape = cache_shape
        self._set_cache(self.keys, self.values)
        self.keys = self.values = None              # the cache lives on the device only

    @staticmethod
    def _unused(**inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        raise AssertionError("BoundRollout evaluates through I/O binding")

    def _set_cache(self, keys: np.ndarray, values: np.ndarray) -> None:
        to_device = self._ort.OrtValue.ortvalue_from_numpy
        self._keys = to_device(np.ascontiguousarray(keys, np.float32), self._device, 0)
        self._values = to_device(np.ascontiguousarray(values, np.float32), self._device, 0)

    def _run(self, noisy: np.ndarray, sigma: list[float], anchor: np.ndarray, action: np.ndarray,
             keep: list[bool]) -> tuple[np.ndarray, Any, Any]:
        binding = self._dynamics.io_binding()
        small = {"noisy": noisy.astype(np.float32), "sigma": np.array(sigma, np.float32),
                 "anchor": anchor.astype(np.float32), "action": action.astype(np.float32),
                 "keep_action": np.array(keep), "past_valid": self.valid}
        for name, value in small.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(value))
        binding.bind_ortvalue_input("past_keys", self._keys)
        binding.bind_ortvalue_input("past_values", self._values)
        binding.bind_output("denoised", "cpu")
        binding.bind_output("keys", self._device)
        binding.bind_output("values", self._device)
        self._dynamics.run_with_iobinding(binding)
        denoised, keys, values = binding.get_outputs()
        return denoised.numpy(), keys, values

    def _slide_cache(self, keys: Any, values: Any) -> None:
        """The window slides on the device: the pack's slide graph, inputs and outputs bound there."""
        binding = self._slide.io_binding()
        for name, value in (("past_keys", self._keys), ("past_values", self._values), ("keys", keys),
                            ("values", values)):
            binding.bind_ortvalue_input(name, value)
        binding.bind_output("next_keys", self._device)
        binding.bind_output("next_values", self._device)
        self._slide.run_with_iobinding(binding)
        self._keys, self._values = binding.get_outputs()

    def prime(self, latent: np.ndarray) -> None:
        zeros = np.zeros(self._cache_shape, np.float32)
        self._set_cache(zeros, zeros)
        self.valid[:] = False
        self._cache_frame(latent, latent, np.zeros(self.action_dim, np.float32), keep=False)

    def snapshot(self) -> RolloutState:
        return RolloutState(self._keys.numpy(), self._values.numpy(), self.valid.copy(),
                            None if self.last_latent is None else self.last_latent.copy(),
                            copy.deepcopy(self.rng.bit_generator.state), copy.deepcopy(self.pending))

    def restore(self, state: RolloutState) -> None:
        self._set_cache(state.keys, state.values)
        self.valid = state.valid.copy()
        self.last_latent = None if state.last_latent is None else state.last_latent.copy()
        self.rng.bit_generator.state = copy.deepcopy(state.rng)
        self.pending = copy.deepcopy(state.pending)
