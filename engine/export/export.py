"""``dreamwalk export``: dynamics checkpoint -> ONNX graphs -> parity check -> one world pack file.

The parity check drives the same numpy sampler (engine.pack.rollout) once with the PyTorch graph
modules and once with ONNX Runtime sessions of the exported files, from the same prompt, actions and
seed, and requires the latents of the whole rollout to agree within ``tolerance``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from engine.actions import KEYS
from engine.errors import DreamwalkError
from engine.files import file_sha256
from engine.export.graphs import (FRAME_AXES, CacheSlideGraph, DecoderGraph, DynamicsStepGraph, EncoderGraph,
                                  cache_shape, dynamics_example, export_graph, to_fp16, to_int8)
from engine.pack import FORMAT_VERSION, write_pack
from engine.models.sampling import SamplerConfig
from engine.pack.binding import BoundRollout
from engine.pack.rollout import CachedRollout
from engine.models.checkpoint import load_world_model, world_autoencoder
from engine.training.dynamics import world_settings

TOLERANCE = 1e-3
FP16_TOLERANCE = 0.1        # fp16 rounding adds up over a rollout; beyond this something is broken, not rounded
# int8 weights move a latent (standard deviation ~0.9) by at most 0.21-0.27 over the parity rollouts of the
# Doom students, 0.02-0.04 on average, without adding up; a broken quantization is off by whole units.
INT8_TOLERANCE = 0.5
DYNAMICS_INPUTS = ["noisy", "sigma", "anchor", "action", "keep_action", "past_keys", "past_values", "past_valid"]


def torch_step(graph: DynamicsStepGraph) -> Callable[..., tuple[np.ndarray, ...]]:
    @torch.no_grad()
    def step(**inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        outputs = graph(*(torch.from_numpy(np.ascontiguousarray(inputs[name])) for name in DYNAMICS_INPUTS))
        return tuple(output.numpy() for output in outputs)
    return step


def onnx_step(session: Any) -> Callable[..., tuple[np.ndarray, ...]]:
    def step(**inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(session.run(None, inputs))
    return step


def rollout_latents(step: Callable[..., tuple[np.ndarray, ...]], denoiser: Any, sampler: SamplerConfig,
                    prompt: np.ndarray, actions: np.ndarray, seed: int, fold: bool = True) -> np.ndarray:
    config = denoiser.network.config
    rollout = CachedRollout(step, sampler, cache_shape(denoiser), config.tokens_per_frame, config.action_dim, seed, fold)
    rollout.prime(prompt)
    return np.stack([rollout.step(action) for action in actions])


def bound_rollout_latents(dynamics: Any, slide: Any, denoiser: Any, sampler: SamplerConfig, prompt: np.ndarray,
                          actions: np.ndarray, seed: int) -> np.ndarray:
    """The same rollout through I/O binding (cache kept by ONNX Runtime, slid by the slide graph), with
    each frame's cache pass on its own: it checks the folded passes of the other rollouts too."""
    config = denoiser.network.config
    rollout = BoundRollout(dynamics, slide, "cpu", sampler, cache_shape(denoiser), config.tokens_per_frame,
                           config.action_dim, seed)
    rollout.prime(prompt)
    return np.stack([rollout.step(action) for action in actions])


@dataclass
class ExportConfig:
    """What `dreamwalk export` writes: a dynamics checkpoint's world pack, its sampler and its variants."""
    checkpoint: str
    out: str                                 # NAME.dwpack
    name: str = ""                           # default: the file name
    description: str = ""
    license: str = ""
    sampling: SamplerConfig = field(default_factory=SamplerConfig)    # None fields: the checkpoint's own
    metrics: dict[str, Any] = field(default_factory=dict)            # a `dreamwalk eval world` report to carry
    autoencoder: str = ""                    # a sharpened decoder of the same encoder (default: the model's)
    fp16: bool = False                       # also fp16 graphs (GPU providers)
    int8: bool = False                       # also an int8 dynamics graph (CPUs)
    parity_frames: int = 24


def resolve_sampler(sampling: SamplerConfig, meta: dict[str, Any], diffusion: Any) -> SamplerConfig:
    """The pack's sampler: ``sampling`` resolved against the checkpoint, one error line when it does not fit."""
    try:
        return sampling.resolve(meta, diffusion)
    except ValueError as error:
        raise DreamwalkError(str(error)) from error


def write_graphs(folder: Path, denoiser: Any, autoencoder: Any) -> dict[str, Any]:
    """encoder, decoder, dynamics and slide graphs into ``folder``; returns the torch step graph."""
    config, ae_config = denoiser.network.config, autoencoder.config
    frame = torch.zeros(1, 3, ae_config.height, ae_config.width)
    latent = torch.zeros(1, *ae_config.latent_shape)
    export_graph(EncoderGraph(autoencoder), {"frame": frame}, ["latent"], folder / "encoder.onnx")
    export_graph(DecoderGraph(autoencoder), {"latent": latent}, ["frame"], folder / "decoder.onnx")
    step_graph = DynamicsStepGraph(denoiser).eval()
    export_graph(step_graph, dynamics_example(denoiser), ["denoised", "keys", "values"], folder / "dynamics.onnx",
                 FRAME_AXES)
    past = torch.zeros(cache_shape(denoiser))
    new = past[:, :, :, :config.tokens_per_frame]
    export_graph(CacheSlideGraph(config.tokens_per_frame), {"past_keys": past, "past_values": past, "keys": new,
                                                            "values": new}, ["next_keys", "next_values"],
                 folder / "slide.onnx")
    return step_graph


class ParityCheck:
    """One rollout of the exported graphs against PyTorch's, from a real-looking prompt (the encoded
    mid-grey frame plus noise) under random actions; the same prompt, actions and seed for every graph."""

    def __init__(self, folder: Path, denoiser: Any, autoencoder: Any, sampler: SamplerConfig, frames: int) -> None:
        self.folder, self.denoiser, self.sampler, self.frames = folder, denoiser, sampler, frames
        ae_config, action_dim = autoencoder.config, denoiser.network.config.action_dim
        frame = torch.zeros(1, 3, ae_config.height, ae_config.width)
        rng = np.random.default_rng(0)
        self.prompt = autoencoder.encode(frame + 0.3 * torch.randn_like(frame)).detach().numpy()
        self.actions = rng.uniform(-1, 1, (frames, action_dim)).astype(np.float32)
        self.actions[:, :10] = self.actions[:, :10] > 0
        self.expected: np.ndarray | None = None

    def graph(self, file: str, quiet: bool = False) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if quiet:
            options.log_severity_level = 3                # CPU lacks some fp16 kernels and says so per node
        return onnxruntime.InferenceSession(str(self.folder / file), options, providers=["CPUExecutionProvider"])

    def fp32(self, step_graph: Any) -> float:
        """The dynamics graph, unbound and bound, against PyTorch; refuses beyond TOLERANCE."""
        self.expected = rollout_latents(torch_step(step_graph), self.denoiser, self.sampler, self.prompt,
                                        self.actions, 7)
        session = self.graph("dynamics.onnx")
        actual = rollout_latents(onnx_step(session), self.denoiser, self.sampler, self.prompt, self.actions, 7)
        bound = bound_rollout_latents(session, self.graph("slide.onnx"), self.denoiser, self.sampler, self.prompt,
                                      self.actions, 7)
        difference = float(max(np.abs(self.expected - actual).max(), np.abs(self.expected - bound).max()))
        if not difference <= TOLERANCE:
            raise DreamwalkError(f"ONNX and PyTorch disagree by {difference:.2e} over a {self.frames}-frame "
                                 f"rollout (tolerance {TOLERANCE:g}); the pack was not written")
        return difference

    def variant(self, variant: str, what: str, tolerance: float) -> float:
        """The variant's dynamics graph against PyTorch; beyond ``tolerance`` something is broken, not rounded."""
        latents = rollout_latents(onnx_step(self.graph(f"dynamics.{variant}.onnx", quiet=True)), self.denoiser,
                                  self.sampler, self.prompt, self.actions, 7)
        difference = float(np.abs(self.expected - latents).max())
        if not difference <= tolerance:
            raise DreamwalkError(f"{what} from PyTorch by {difference:.2e} over a {self.frames}-frame "
                                 f"rollout (limit {tolerance:g}); export without --{variant}")
        return difference


def write_variants(folder: Path, config: ExportConfig, parity: ParityCheck) -> tuple[dict[str, tuple[str, ...]],
                                                                                      dict[str, float]]:
    """The fp16 / int8 graphs asked for, each checked; returns which graphs have each and their drift."""
    variants: dict[str, tuple[str, ...]] = {}         # variant -> the graphs that have it
    drifts: dict[str, float] = {}
    if config.fp16:
        variants["fp16"] = ("encoder", "decoder", "dynamics")
        for graph in variants["fp16"]:
            to_fp16(folder / f"{graph}.onnx", folder / f"{graph}.fp16.onnx")
        drifts["fp16"] = parity.variant("fp16", "the fp16 graphs drift", FP16_TOLERANCE)
    if config.int8:
        variants["int8"] = ("dynamics",)
        to_int8(folder / "dynamics.onnx", folder / "dynamics.int8.onnx")
        drifts["int8"] = parity.variant("int8", "the int8 dynamics graph drifts", INT8_TOLERANCE)
    return variants, drifts


def build_manifest(folder: Path, config: ExportConfig, meta: dict[str, Any], denoiser: Any, autoencoder: Any,
                   sampler: SamplerConfig, variants: dict[str, tuple[str, ...]],
                   parity: dict[str, float]) -> dict[str, Any]:
    network, ae_config = denoiser.network.config, autoencoder.config
    world = meta.get("world") or world_settings(meta["config"]["data"])
    return {
        "format_version": FORMAT_VERSION,
        "name": config.name or Path(config.out).stem,
        "description": config.description,
        "license": config.license,
        "source": world.get("source", "vizdoom"),     # what it was recorded from: where eval measures it
        "frame": {"width": ae_config.width, "height": ae_config.height, "fps": world["fps"]},
        "context_frames": network.context_frames,
        "actions": {"keys": list(KEYS), "turn_range": world["turn_range"], "look_range": world["look_range"]},
        "latent": {"channels": ae_config.latent_channels, "height": ae_config.latent_shape[1],
                   "width": ae_config.latent_shape[2]},
        "cache": {"shape": list(cache_shape(denoiser)), "tokens_per_frame": network.tokens_per_frame},
        "sampler": sampler.to_manifest(),
        "graphs": {graph: {"file": f"{graph}.onnx", "sha256": file_sha256(folder / f"{graph}.onnx"),
                           **{variant: {"file": f"{graph}.{variant}.onnx",
                                        "sha256": file_sha256(folder / f"{graph}.{variant}.onnx")}
                              for variant, names in variants.items() if graph in names}}
                   for graph in ("encoder", "decoder", "dynamics", "slide")},
        "distilled": meta.get("distilled"),
        # Trained on memory anchors: each frame is dreamed as a change from the world memory's view of it.
        **({"anchor": "memory"} if meta["config"].get("memory_anchors") else {}),
        "training": {"data": meta["config"]["data"], "autoencoder": config.autoencoder or meta["config"]["autoencoder"],
                     "steps": meta["step"], "samples": meta["samples"],
                     "hours": round(meta["trained_minutes"] / 60, 3),
                     "hardware": meta.get("hardware", "2-core CPU"),   # checkpoints before it was recorded
                     "config": meta["config"]},
        "metrics": config.metrics,
        "parity": {"frames": config.parity_frames, "max_abs_latent_difference": parity["fp32"],
                   **{f"{variant}_max_abs_latent_difference": parity[variant] for variant in variants}},
    }


def export_world(config: ExportConfig) -> dict[str, Any]:
    """Checkpoint -> graphs -> parity checks -> manifest -> one pack file, written only when every check
    passes."""
    denoiser, meta = load_world_model(config.checkpoint)
    autoencoder = world_autoencoder(meta, config.autoencoder or None)
    sampler = resolve_sampler(config.sampling, meta, denoiser.config)
    with tempfile.TemporaryDirectory(prefix="dreamwalk-export-") as temporary:
        folder = Path(temporary)
        step_graph = write_graphs(folder, denoiser, autoencoder)
        parity = ParityCheck(folder, denoiser, autoencoder, sampler, config.parity_frames)
        difference = parity.fp32(step_graph)
        variants, drifts = write_variants(folder, config, parity)
        manifest = build_manifest(folder, config, meta, denoiser, autoencoder, sampler, variants,
                                  {"fp32": difference, **drifts})
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
        Path(config.out).parent.mkdir(parents=True, exist_ok=True)
        write_pack(folder, Path(config.out))
    return {"out": str(config.out), "parity_max_abs_difference": difference,
            "fp16_max_abs_difference": drifts.get("fp16"), "int8_max_abs_difference": drifts.get("int8"),
            "bytes": Path(config.out).stat().st_size}
