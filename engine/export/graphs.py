"""Small explicit modules wrapping the trained networks for ONNX export, one graph per component.

- ``encoder``: ``frame`` (1, 3, H, W) in [-1, 1] -> ``latent`` (1, C, h, w)
- ``decoder``: ``latent`` -> ``frame`` in [-1, 1]
- ``dynamics``: one denoiser evaluation of one or two new frames against a fixed-size key/value cache:
  ``noisy``, ``sigma``, ``anchor``, ``action``, ``keep_action``, ``past_keys``, ``past_values``,
  ``past_valid`` -> ``denoised``, ``keys``, ``values`` (the new frames' keys/values, to cache). Two: the
  last dreamed frame's cache pass and the next frame's first pass, in one (engine.pack.rollout).
- ``slide``: ``past_keys``, ``past_values`` and the new frame's ``keys``, ``values`` -> ``next_keys``,
  ``next_values``: the cache slid by one frame, so a GPU runtime can keep the cache in device memory
  (I/O binding) instead of sliding it in host memory every frame.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from engine.models.autoencoder import Autoencoder
from engine.models.denoiser import Denoiser

OPSET = 18


class EncoderGraph(nn.Module):
    def __init__(self, autoencoder: Autoencoder) -> None:
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.encode(frame)


class DecoderGraph(nn.Module):
    def __init__(self, autoencoder: Autoencoder) -> None:
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.decode(latent).clamp(-1.0, 1.0)


class DynamicsStepGraph(nn.Module):
    """One denoiser evaluation of F new frames against the cache. Shapes: noisy/anchor (F, C, h, w);
    sigma (F,); action (F, A); keep_action (F,) bool; past_keys/past_values (layers, 1, heads, P, head_dim)
    with P = (context_frames - 1) * tokens; past_valid (1, P) bool. Outputs: denoised (F, C, h, w);
    keys/values (layers, 1, heads, F * tokens, head_dim). F is 1, or 2 when the runtime folds the last
    frame's cache pass into the next frame's first pass (``FRAME_AXES``: exported with a free F)."""

    def __init__(self, denoiser: Denoiser) -> None:
        super().__init__()
        self.denoiser = denoiser

    def forward(self, noisy: torch.Tensor, sigma: torch.Tensor, anchor: torch.Tensor, action: torch.Tensor,
                keep_action: torch.Tensor, past_keys: torch.Tensor, past_values: torch.Tensor,
                past_valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        past = [(past_keys[i], past_values[i]) for i in range(past_keys.shape[0])]
        denoised, presents = self.denoiser.denoise(noisy[None], sigma[None], anchor[None], action[None],
                                                   keep_action[None], past, past_valid)
        keys = torch.stack([k for k, _ in presents])
        values = torch.stack([v for _, v in presents])
        return denoised[0], keys, values


# The dynamics graph's free axes: the number of new frames of one evaluation, and their keys/values.
FRAME_AXES = {**{name: {0: "frames"} for name in ("noisy", "sigma", "anchor", "action", "keep_action", "denoised")},
              "keys": {3: "new_tokens"}, "values": {3: "new_tokens"}}


class CacheSlideGraph(nn.Module):
    def __init__(self, tokens_per_frame: int) -> None:
        super().__init__()
        self.tokens = tokens_per_frame

    def forward(self, past_keys: torch.Tensor, past_values: torch.Tensor, keys: torch.Tensor,
                values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.cat([past_keys, keys], dim=3)[:, :, :, self.tokens:],
                torch.cat([past_values, values], dim=3)[:, :, :, self.tokens:])


def cache_shape(denoiser: Denoiser, batch: int = 1) -> tuple[int, int, int, int, int]:
    config = denoiser.network.config
    past_tokens = (config.context_frames - 1) * config.tokens_per_frame
    return config.layers, batch, config.heads, past_tokens, config.d_model // config.heads


def dynamics_example(denoiser: Denoiser) -> dict[str, torch.Tensor]:
    config = denoiser.network.config
    latent = (1, config.latent_channels, config.latent_height, config.latent_width)
    shape = cache_shape(denoiser)
    return {
        "noisy": torch.randn(latent), "sigma": torch.tensor([1.0]), "anchor": torch.randn(latent),
        "action": torch.zeros(1, config.action_dim), "keep_action": torch.tensor([True]),
        "past_keys": torch.randn(shape), "past_values": torch.randn(shape),
        "past_valid": torch.ones(1, shape[3], dtype=torch.bool),
    }


def export_graph(module: nn.Module, inputs: dict[str, torch.Tensor], outputs: list[str], path: Path,
                 dynamic_axes: dict[str, dict[int, str]] | None = None) -> Path:
    """Export with named inputs/outputs and fixed shapes (the runtime plays one world at batch 1), except
    ``dynamic_axes``."""
    module = module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                       # the TorchScript exporter's deprecation notice
        torch.onnx.export(module, tuple(inputs.values()), str(path), input_names=list(inputs),
                          output_names=outputs, opset_version=OPSET, dynamo=False,
                          dynamic_axes=dynamic_axes)
    return path


def to_fp16(source: Path, target: Path) -> Path:
    """A half-precision copy of a graph for GPU providers: weights and arithmetic in fp16, inputs and
    outputs still fp32 (so the runtime feeds both alike); ONNX Runtime's own float16 converter."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    onnx.save(model, str(target))
    return target


def to_int8(source: Path, target: Path) -> Path:
    """A copy of a graph with its weights in int8 and activations quantized as it runs (ONNX Runtime's
    dynamic quantization): on an AVX2 CPU a frame of the default world takes 0.82 of the fp32 time, with the
    same held-out numbers (docs/research/speed.md, "int8 dynamics on CPUs")."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantizer_log = logging.getLogger()
    level = quantizer_log.level
    quantizer_log.setLevel(logging.ERROR)         # it advises running its pre-processing first, per graph
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    finally:
        quantizer_log.setLevel(level)
    return target
