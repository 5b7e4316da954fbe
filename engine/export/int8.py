"""An int8 dynamics graph added to an existing world pack (`dreamwalk pack int8`), for a pack whose checkpoint
is gone or that came from elsewhere (`dreamwalk export --int8` does the same at export). The int8 graph is
ONNX Runtime's dynamic quantization of the pack's fp32 dynamics graph (engine.export.graphs.to_int8), checked
against it over a rollout as the export checks it against PyTorch (INT8_TOLERANCE); everything else in the
pack, its manifest included, stays as it was.

    dreamwalk pack int8 assets/worlds/doom.dwpack --out runs/doom-int8.dwpack
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.actions import KEYS
from engine.errors import DreamwalkError
from engine.export.export import INT8_TOLERANCE, onnx_step
from engine.export.graphs import to_int8
from engine.files import file_sha256
from engine.images import to_signed
from engine.pack import derive_pack
from engine.models.sampling import SamplerConfig
from engine.pack.rollout import CachedRollout


def rollout_latents(folder: Path, manifest: dict[str, Any], dynamics_file: str, frames: int) -> np.ndarray:
    """The latents of a rollout from a noisy grey prompt under random actions, as the export's parity check,
    through the pack's encoder and the given dynamics graph."""
    import onnxruntime

    def graph(file: str) -> Any:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        return onnxruntime.InferenceSession(str(folder / file), options, providers=["CPUExecutionProvider"])

    rng = np.random.default_rng(0)
    width, height = manifest["frame"]["width"], manifest["frame"]["height"]
    prompt = np.clip(127.5 + 38 * rng.standard_normal((height, width, 3)), 0, 255).astype(np.uint8)
    actions = rng.uniform(-1, 1, (frames, len(KEYS))).astype(np.float32)     # keys, then turn and look
    actions[:, :-2] = actions[:, :-2] > 0
    frame = to_signed(prompt).transpose(2, 0, 1)[None]                            # (1, 3, h, w)
    latent = graph(manifest["graphs"]["encoder"]["file"]).run(None, {"frame": frame})[0]
    sampler, cache = SamplerConfig.from_manifest(manifest["sampler"]), manifest["cache"]
    rollout = CachedRollout(onnx_step(graph(dynamics_file)), sampler, tuple(cache["shape"]),
                            int(cache["tokens_per_frame"]), len(KEYS), 7)
    rollout.prime(latent)
    return np.stack([rollout.step(action) for action in actions])


def add_int8(pack: str | Path, out: str | Path, frames: int = 24) -> float:
    """Write ``out``: ``pack`` with an int8 dynamics graph beside its fp32 one; returns their largest latent
    difference over the check's rollout (nothing is written when it is beyond INT8_TOLERANCE)."""
    found: dict[str, float] = {}

    def change(folder: Path, manifest: dict[str, Any]) -> None:
        dynamics = manifest["graphs"]["dynamics"]
        quantized = to_int8(folder / dynamics["file"], folder / "dynamics.int8.onnx")
        difference = float(np.abs(rollout_latents(folder, manifest, dynamics["file"], frames)
                                  - rollout_latents(folder, manifest, quantized.name, frames)).max())
        if not difference <= INT8_TOLERANCE:
            raise DreamwalkError(f"the int8 dynamics graph drifts from the fp32 one by {difference:.2e} over a "
                                 f"{frames}-frame rollout (limit {INT8_TOLERANCE:g}); nothing was written")
        dynamics["int8"] = {"file": quantized.name, "sha256": file_sha256(quantized)}
        manifest["parity"]["int8_max_abs_latent_difference"] = found["difference"] = difference

    derive_pack(pack, out, change)
    return found["difference"]
