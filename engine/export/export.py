"""``dreamwalk export``: dynamics checkpoint -> ONNX graphs -> parity check -> one world pack file.

The parity check drives the same numpy sampler (engine.pack.rollout) once with the PyTorch graph
modules and once with ONNX Runtime sessions of the exported files, from the same prompt, actions and
seed, and requires the latents of the whole rollout to agree within ``tolerance``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from engine.actions import KEYS
from engine.errors import DreamwalkError
from engine.export.graphs import (FRAME_AXES, CacheSlideGraph, DecoderGraph, DynamicsStepGraph, EncoderGraph,
                                  WarpGraph, cache_shape, dynamics_example, export_graph, to_fp16, to_int8)
from engine.pack import FORMAT_VERSION, sha256, write_pack
from engine.models.rollout import sampling_context_sigma, sampling_prior_sigma, sampling_sigma_max
from engine.pack.binding import BoundRollout
from engine.pack.rollout import CachedRollout, SamplerSettings
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


def torch_warp(graph: WarpGraph) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    @torch.no_grad()
    def warp(latent: np.ndarray, action: np.ndarray) -> np.ndarray:
        return graph(torch.from_numpy(latent), torch.from_numpy(action)).numpy()
    return warp


def onnx_warp(session: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def warp(latent: np.ndarray, action: np.ndarray) -> np.ndarray:
        return session.run(None, {"latent": latent, "action": action})[0]
    return warp


def rollout_latents(step: Callable[..., tuple[np.ndarray, ...]], denoiser: Any, settings: SamplerSettings,
                    prompt: np.ndarray, actions: np.ndarray, seed: int,
                    warp: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None, fold: bool = True
                    ) -> np.ndarray:
    config = denoiser.network.config
    rollout = CachedRollout(step, settings, cache_shape(denoiser), config.tokens_per_frame, config.action_dim, seed,
                            warp, fold)
    rollout.prime(prompt)
    return np.stack([rollout.step(action) for action in actions])


def bound_rollout_latents(dynamics: Any, slide: Any, denoiser: Any, settings: SamplerSettings, prompt: np.ndarray,
                          actions: np.ndarray, seed: int,
                          warp: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The same rollout through I/O binding (cache kept by ONNX Runtime, slid by the slide graph), with
    each frame's cache pass on its own: it checks the folded passes of the other rollouts too."""
    config = denoiser.network.config
    rollout = BoundRollout(dynamics, slide, "cpu", settings, cache_shape(denoiser), config.tokens_per_frame,
                           config.action_dim, seed, warp)
    rollout.prime(prompt)
    return np.stack([rollout.step(action) for action in actions])


def default_sampler(meta: dict[str, Any]) -> tuple[str, int, float]:
    """A distilled student dreams in one step with its guidance built in; a teacher samples in four."""
    return ("euler", 1, 1.0) if meta.get("distilled") else ("heun", 4, 1.0)


def default_sigma_max(meta: dict[str, Any]) -> float | None:
    """A student samples from the level it was distilled at; None: the trained maximum."""
    distilled = meta.get("distilled") or {}
    return distilled.get("student_sigma") or distilled.get("sigma_max")


def default_context_sigma(meta: dict[str, Any]) -> float | None:
    """A student plays with its context at the level it was distilled at; None: the trained level."""
    return (meta.get("distilled") or {}).get("context_sigma")


def export_world(checkpoint: str | Path, out: str | Path, name: str = "", description: str = "",
                 license: str = "", sampler: str | None = None, steps: int | None = None,
                 guidance_scale: float | None = None, metrics: dict[str, Any] | None = None,
                 parity_frames: int = 24, sigma_max: float | None = None, fp16: bool = False,
                 autoencoder: str | Path | None = None, prior_sigma: float | None = None,
                 context_sigma: float | None = None, int8: bool = False) -> dict[str, Any]:
    import onnxruntime

    denoiser, meta = load_world_model(checkpoint)
    default_name, default_steps, default_guidance = default_sampler(meta)
    sampler = sampler or default_name
    steps = steps or default_steps
    guidance_scale = default_guidance if guidance_scale is None else guidance_scale
    autoencoder_path = autoencoder or meta["config"]["autoencoder"]
    autoencoder = world_autoencoder(meta, autoencoder)
    config, diffusion = denoiser.network.config, denoiser.config
    ae_config = autoencoder.config
    try:
        start = sampling_sigma_max(diffusion, default_sigma_max(meta) if sigma_max is None else sigma_max)
        prior_sigma = sampling_prior_sigma(diffusion, prior_sigma)
        context_sigma = sampling_context_sigma(diffusion, default_context_sigma(meta) if context_sigma is None
                                               else context_sigma)
    except ValueError as error:
        raise DreamwalkError(str(error)) from error
    settings = SamplerSettings(sampler, steps, guidance_scale, diffusion.sigma_min, start,
                               context_sigma, diffusion.predict_change, prior_sigma)
    with tempfile.TemporaryDirectory(prefix="dreamwalk-export-") as temporary:
        folder = Path(temporary)
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
        graphs = ["encoder", "decoder", "dynamics", "slide"]
        torch_warp_fn = onnx_warp_fn = None
        if denoiser.warp is not None:
            warp_graph = WarpGraph(denoiser).eval()
            export_graph(warp_graph, {"latent": latent, "action": torch.zeros(1, config.action_dim)}, ["warped"],
                         folder / "warp.onnx")
            graphs.append("warp")
            torch_warp_fn = torch_warp(warp_graph)
            onnx_warp_fn = onnx_warp(onnxruntime.InferenceSession(str(folder / "warp.onnx"),
                                                                  providers=["CPUExecutionProvider"]))

        # Parity over a whole rollout, from a real-looking prompt (the encoded mid-grey frame plus noise).
        rng = np.random.default_rng(0)
        prompt = autoencoder.encode(frame + 0.3 * torch.randn_like(frame)).detach().numpy()
        actions = rng.uniform(-1, 1, (parity_frames, config.action_dim)).astype(np.float32)
        actions[:, :10] = actions[:, :10] > 0
        session = onnxruntime.InferenceSession(str(folder / "dynamics.onnx"), providers=["CPUExecutionProvider"])
        expected = rollout_latents(torch_step(step_graph), denoiser, settings, prompt, actions, 7, torch_warp_fn)
        actual = rollout_latents(onnx_step(session), denoiser, settings, prompt, actions, 7, onnx_warp_fn)
        slide = onnxruntime.InferenceSession(str(folder / "slide.onnx"), providers=["CPUExecutionProvider"])
        bound = bound_rollout_latents(session, slide, denoiser, settings, prompt, actions, 7, onnx_warp_fn)
        difference = float(max(np.abs(expected - actual).max(), np.abs(expected - bound).max()))
        if not difference <= TOLERANCE:
            raise DreamwalkError(f"ONNX and PyTorch disagree by {difference:.2e} over a {parity_frames}-frame "
                                 f"rollout (tolerance {TOLERANCE:g}); the pack was not written")

        def drift(variant: str, what: str, tolerance: float) -> float:
            """The variant's dynamics graph against PyTorch over the parity rollout; beyond ``tolerance``
            something is broken, not rounded."""
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3                # CPU lacks some fp16 kernels and says so per node
            graph = onnxruntime.InferenceSession(str(folder / f"dynamics.{variant}.onnx"), options,
                                                 providers=["CPUExecutionProvider"])
            # The warp is 36 weights and a resampling: it stays fp32 in every variant.
            latents = rollout_latents(onnx_step(graph), denoiser, settings, prompt, actions, 7, onnx_warp_fn)
            variant_difference = float(np.abs(expected - latents).max())
            if not variant_difference <= tolerance:
                raise DreamwalkError(f"{what} from PyTorch by {variant_difference:.2e} over a {parity_frames}-frame "
                                     f"rollout (limit {tolerance:g}); export without --{variant}")
            return variant_difference

        variants: dict[str, tuple[str, ...]] = {}         # variant -> the graphs that have it
        drifts: dict[str, float] = {}
        if fp16:
            variants["fp16"] = ("encoder", "decoder", "dynamics")
            for graph in variants["fp16"]:
                to_fp16(folder / f"{graph}.onnx", folder / f"{graph}.fp16.onnx")
            drifts["fp16"] = drift("fp16", "the fp16 graphs drift", FP16_TOLERANCE)
        if int8:
            variants["int8"] = ("dynamics",)
            to_int8(folder / "dynamics.onnx", folder / "dynamics.int8.onnx")
            drifts["int8"] = drift("int8", "the int8 dynamics graph drifts", INT8_TOLERANCE)

        world = meta.get("world") or world_settings(meta["config"]["data"])
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": name or Path(out).stem,
            "description": description,
            "license": license,
            "source": world.get("source", "vizdoom"),     # what it was recorded from: where eval measures it
            "frame": {"width": ae_config.width, "height": ae_config.height, "fps": world["fps"]},
            "context_frames": config.context_frames,
            "actions": {"keys": list(KEYS), "turn_range": world["turn_range"], "look_range": world["look_range"]},
            "latent": {"channels": ae_config.latent_channels, "height": ae_config.latent_shape[1],
                       "width": ae_config.latent_shape[2]},
            "cache": {"shape": list(cache_shape(denoiser)), "tokens_per_frame": config.tokens_per_frame},
            "sampler": {"name": sampler, "steps": steps, "guidance_scale": guidance_scale,
                        "sigma_min": diffusion.sigma_min, "sigma_max": start, "prior_sigma": prior_sigma,
                        "context_sigma": context_sigma, "predict_change": diffusion.predict_change},
            "graphs": {graph: {"file": f"{graph}.onnx", "sha256": sha256(folder / f"{graph}.onnx"),
                               **{variant: {"file": f"{graph}.{variant}.onnx",
                                            "sha256": sha256(folder / f"{graph}.{variant}.onnx")}
                                  for variant, names in variants.items() if graph in names}}
                       for graph in graphs},
            "distilled": meta.get("distilled"),
            "training": {"data": meta["config"]["data"], "autoencoder": str(autoencoder_path),
                         "steps": meta["step"], "samples": meta["samples"],
                         "hours": round(meta["trained_minutes"] / 60, 3),
                         "hardware": meta.get("hardware", "2-core CPU"),   # checkpoints before it was recorded
                         "config": meta["config"]},
            "metrics": metrics or {},
            "parity": {"frames": parity_frames, "max_abs_latent_difference": difference,
                       **{f"{variant}_max_abs_latent_difference": value for variant, value in drifts.items()}},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_pack(folder, Path(out))
    return {"out": str(out), "parity_max_abs_difference": difference, "fp16_max_abs_difference": drifts.get("fp16"),
            "int8_max_abs_difference": drifts.get("int8"), "bytes": Path(out).stat().st_size}
