"""``dreamwalk eval``: a world model against the real simulator on held-out maps. The model is a dynamics
checkpoint (PyTorch, any sampler settings) or a world pack (its ONNX graphs on ONNX Runtime with the pack's
sampler, in the precision the player would pick on a CPU: what a person plays, int8 graphs included).

Windows are recorded live from the simulator (``open_source``) with the action probe, each after a
different stretch of exploring so prompts differ: on MAP21-MAP24 for ViZDoom worlds (no collection
plays them), and for MiniWorld worlds in their environments on small seeds (``seed * 1000 + ...``),
which are held out in the sense that matters: a collection draws its episode seeds from [0, 2**31),
so 100 episodes meet 16 window seeds with a chance below one in a million. Reported, all on the
model's frames against the real frames:

- teacher-forced next-frame PSNR / SSIM (the true previous frames as context);
- autoregressive PSNR at horizons 1/4/16/64 from one real prompt frame with the true actions;
- the same with another window's actions: dTPSNR = PSNR(true actions) - PSNR(other actions) (Genie);
- the copy-the-prompt baseline; the autoencoder's reconstruction PSNR (the ceiling);
- the sharpness ratio (neighbouring-pixel difference of generated / real frames);
- a guidance-scale sweep; a long rollout's contrast and sharpness relative to real frames;
- standing still: PSNR against the prompt of the frames dreamed from it with no action, as play begins (a
  Doom player who has not moved sees the same view: from a prompt there is no momentum to slide on),
  beside the decoder's own copy of the prompt (the ceiling).

Means come with standard errors over the windows, and each window's PSNR, copy-prompt PSNR and dTPSNR are
kept (``per_window``) so two worlds measured on the same windows can be compared window by window
(``benchmarks/paired_eval.py``): most of the spread is how hard a window is, which cancels in a pair.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.actions import KEYS, Action, encode
from engine.policies import make_policy
from engine.data.sources import open_place, parse_places
from engine.images import area_resize
from engine.evaluation.metrics import contrast, psnr, sharpness, ssim
from engine.evaluation.probe import ProbePolicy
from engine.geometry import turned_prompts
from engine.models.autoencoder import frames_to_tensor, tensor_to_frames
from engine.models.rollout import LatentRollout
from engine.models.sampling import SamplerConfig, sampling_context_sigma
from engine.models.checkpoint import load_world_model, world_autoencoder

HORIZONS = (1, 4, 16, 64)


@dataclass
class EvalConfig:
    world: str = "runs/dynamics/dynamics.safetensors"
    source: str = "vizdoom"
    maps: str = "MAP21-MAP24"              # or MiniWorld environments (engine.data.sources.HELD_OUT)
    windows_per_map: int = 4
    horizon: int = 64
    # A checkpoint's sampler (resolved against it by ``resolve_sampling``); a pack plays its own, and only
    # its guidance_scale is read here.
    sampling: SamplerConfig = field(default_factory=lambda: SamplerConfig("heun", 4, 1.0))
    guidance_sweep: list[float] = field(default_factory=lambda: [1.0, 1.5, 2.0, 3.0])
    long_rollout: int = 1000
    long_prompts: int = 0                # how many (each map's first window, then second, ...); 0: one per map
    autoencoder: str = ""                # another decoder of the same encoder (default: the model's own)
    precision: str = "auto"              # a world pack's graphs: auto (as played on a CPU), fp32 or int8
    seed: int = 0
    out: str = "runs/eval"


def record_probe_windows(source: str, maps: list[str], per_map: int, length: int, size: tuple[int, int],
                         seed: int, replay: np.ndarray | None = None,
                         extras: dict[str, list] | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """(W, length + 1, h, w, 3) frames and (W, length, 12) raw probe actions from the real simulator.
    ``replay`` (W, length, 12) plays those actions from each window's start instead of the probe's;
    ``extras`` (a dict) gets each window's poses (length + 1, 5) and its first frame's depth."""
    frames, actions = [], []
    for map_index, map_name in enumerate(maps):
        for window in range(per_map):
            window_seed = seed * 1000 + map_index * 100 + window
            with open_place(source, map_name, seed=window_seed, depth=True) as world:
                # Walk somewhere else before each window, as the explore policy did when the probe windows
                # were first recorded (no hands-off stops), so that every evaluation sees the same windows.
                explorer = make_policy("explore", window_seed, world.turn_range, world.look_range, world.walk_step,
                                       hands_off=0.0)
                frame = world.reset(seed=window_seed)
                for _ in range(40 + 60 * window):
                    frame = world.step(explorer.act(frame, world.pose, world.depth))
                probe = ProbePolicy(window_seed)
                recorded, taken, poses, depth = [frame], [], [world.pose], world.depth
                for step in range(length):
                    action = probe.act() if replay is None else Action.from_array(replay[len(frames), step])
                    taken.append(action.to_array())
                    recorded.append(world.step(action))
                    poses.append(world.pose)
                meta = world.meta()
            frames.append(area_resize(np.stack(recorded), size))
            actions.append(np.stack(taken))
            if extras is not None:
                extras.setdefault("poses", []).append(np.stack(poses))
                extras.setdefault("depth", []).append(depth)
    return np.stack(frames), np.stack(actions), {"turn_range": meta["turn_range"], "look_range": meta["look_range"]}


class WorldModel:
    """The autoencoder and the denoiser of one dynamics checkpoint, on the CPU."""

    def __init__(self, path: str | Path, autoencoder: str | Path | None = None) -> None:
        self.denoiser, self.meta = load_world_model(path)
        self.autoencoder = world_autoencoder(self.meta, autoencoder)
        self.size = (self.autoencoder.config.width, self.autoencoder.config.height)

    def describe(self, config: EvalConfig) -> dict[str, Any]:
        return {"autoencoder": config.autoencoder or self.meta["config"]["autoencoder"],
                "sampler": {"name": config.sampling.name, "steps": config.sampling.steps,
                            "sigma_max": config.sampling.sigma_max or self.denoiser.config.sigma_max,
                            "prior_sigma": config.sampling.prior_sigma,
                            "context_sigma": sampling_context_sigma(self.denoiser.config,
                                                                    config.sampling.context_sigma)},
                "training": {k: self.meta[k] for k in ("step", "samples", "trained_minutes")}}

    @torch.no_grad()
    def encode(self, frames: np.ndarray) -> torch.Tensor:
        return self.autoencoder.encode(frames_to_tensor(torch.from_numpy(frames)))

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        return tensor_to_frames(self.autoencoder.decode(latents)).numpy()

    def rollout(self, config: EvalConfig, guidance: float, seed: int) -> LatentRollout:
        generator = torch.Generator().manual_seed(seed)
        sampling = config.sampling
        return LatentRollout(self.denoiser, sampling.steps, guidance, sampling.name, generator, sampling.sigma_max,
                             sampling.prior_sigma, sampling.context_sigma)


class PackWorld:
    """A world pack as the player runs it: its ONNX graphs on ONNX Runtime's CPU provider, in ``precision``
    (auto: int8 dynamics where the pack has it), with the pack's own sampler; one cached rollout per window."""

    def __init__(self, path: str | Path, precision: str = "auto") -> None:
        from engine.runtime.session import WorldSession

        self.session = WorldSession.open(path, device="cpu", precision=precision)
        self.size = self.session.frame_size

    def describe(self, config: EvalConfig) -> dict[str, Any]:
        settings, training = self.session.settings, self.session.manifest["training"]
        return {"autoencoder": "the pack's", "precision": self.session.precision,
                "sampler": {"name": settings.name, "steps": settings.steps, "sigma_max": settings.sigma_max,
                            "prior_sigma": settings.prior_sigma, "context_sigma": settings.context_sigma},
                "training": {"step": training["steps"], "samples": training["samples"],
                             "trained_minutes": training["hours"] * 60}}

    def encode(self, frames: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.concatenate([self.session.encode(frame) for frame in frames]))

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        return np.stack([self.session.decode(latent[None]) for latent in latents.numpy()])

    def rollout(self, config: EvalConfig, guidance: float, seed: int) -> "PackRollouts":
        return PackRollouts(self.session, guidance, seed)


class PackRollouts:
    """LatentRollout's interface (batches of windows, torch tensors) over one pack rollout per window."""

    def __init__(self, session: Any, guidance: float, seed: int) -> None:
        self.session, self.guidance, self.seed = session, guidance, seed
        self.rollouts: list[Any] = []

    def prime(self, latents: torch.Tensor) -> None:
        self.rollouts = [self.session.new_rollout(self.seed * 1000 + w, self.guidance) for w in range(len(latents))]
        for rollout, latent in zip(self.rollouts, latents.numpy()):
            rollout.prime(latent[None])

    def _each(self, method: str, actions: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(np.concatenate([getattr(rollout, method)(action)
                                                for rollout, action in zip(self.rollouts, actions.numpy())]))

    def step(self, actions: torch.Tensor) -> torch.Tensor:
        return self._each("step", actions)

    def predict(self, actions: torch.Tensor) -> torch.Tensor:
        return self._each("predict", actions)

    def observe(self, latents: torch.Tensor, actions: torch.Tensor) -> None:
        for rollout, latent, action in zip(self.rollouts, latents.numpy(), actions.numpy()):
            rollout.observe(latent[None], action)


def is_pack(path: str | Path) -> bool:
    """A world pack (``.dwpack`` file, or a folder with a manifest) rather than a dynamics checkpoint."""
    path = Path(path)
    return path.suffix == ".dwpack" or (path / "manifest.json").is_file()


World = WorldModel | PackWorld


def open_world(config: EvalConfig) -> World:
    if is_pack(config.world):
        return PackWorld(config.world, config.precision)
    return WorldModel(config.world, config.autoencoder)


@torch.no_grad()
def dream(model: World, config: EvalConfig, prompt: np.ndarray, actions: torch.Tensor,
          guidance: float) -> tuple[np.ndarray, float]:
    """Autoregressive frames (W, T, h, w, 3) from prompts (W, h, w, 3); milliseconds per frame."""
    rollout = model.rollout(config, guidance, config.seed)
    rollout.prime(model.encode(prompt))
    generated = []
    start = time.perf_counter()
    for t in range(actions.shape[1]):
        generated.append(model.decode(rollout.step(actions[:, t])))
    elapsed = (time.perf_counter() - start) * 1000 / actions.shape[1]
    return np.stack(generated, axis=1), elapsed


@torch.no_grad()
def teacher_forced(model: World, config: EvalConfig, frames: np.ndarray, actions: torch.Tensor) -> np.ndarray:
    """Next-frame predictions (W, T, h, w, 3) with the real frames as context."""
    rollout = model.rollout(config, config.sampling.guidance_scale, config.seed)
    latents = torch.stack([model.encode(frames[:, t]) for t in range(frames.shape[1])], dim=1)
    rollout.prime(latents[:, 0])
    predictions = []
    for t in range(actions.shape[1]):
        predictions.append(model.decode(rollout.predict(actions[:, t])))
        rollout.observe(latents[:, t + 1], actions[:, t])
    return np.stack(predictions, axis=1)


def at_horizons(values: np.ndarray, horizon: int) -> dict[str, float]:
    """Mean over windows of a (W, T) metric at 1-based horizons."""
    return {str(h): float(values[:, h - 1].mean()) for h in HORIZONS if h <= horizon}


def standard_errors(values: np.ndarray, horizon: int) -> dict[str, float]:
    """Standard error over windows of the mean of a (W, T) metric at 1-based horizons: how far another
    set of windows and another draw of the sampling noise may move it (0 with a single window)."""
    spread = values.std(axis=0, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.zeros(values.shape[1])
    return {str(h): float(spread[h - 1]) for h in HORIZONS if h <= horizon}


def long_prompt_windows(maps: int, per_map: int, count: int = 0) -> list[int]:
    """Which probe windows the long rollouts start from: each map's first window in turn, then each
    map's second, ... (windows are stored map by map); ``count`` 0 means one per map."""
    order = [m * per_map + k for k in range(per_map) for m in range(maps)]
    return order[: count or maps]


def long_rollout_stats(model: World, config: EvalConfig, prompt: np.ndarray, real: np.ndarray,
                       ranges: dict[str, float]) -> dict[str, Any]:
    probes = [ProbePolicy(config.seed + 17 + i) for i in range(len(prompt))]
    raw = np.stack([[p.act().to_array() for _ in range(config.long_rollout)] for p in probes])
    actions = torch.from_numpy(encode(raw, ranges["turn_range"], ranges["look_range"]))
    frames, ms = dream(model, config, prompt, actions, config.sampling.guidance_scale)
    real_contrast, real_sharpness = float(contrast(real).mean()), float(sharpness(real).mean())
    whole = frames[:, : frames.shape[1] // 50 * 50] if frames.shape[1] >= 50 else frames
    blocks = whole.reshape(len(prompt), -1, min(50, whole.shape[1]), *frames.shape[2:])   # (W, blocks, 50, h, w, 3)
    block_contrast = contrast(blocks).mean(axis=(0, 2)) / real_contrast
    block_sharpness = sharpness(blocks).mean(axis=(0, 2)) / real_sharpness
    flat = contrast(frames) < 0.3 * real_contrast
    blurred = sharpness(frames) < 0.3 * real_sharpness      # e.g. sunk into a smooth dark gradient
    return {"frames": config.long_rollout, "ms_per_frame": ms,
            "contrast_ratio_last_100": float(contrast(frames[:, -100:]).mean() / real_contrast),
            "sharpness_ratio_last_100": float(sharpness(frames[:, -100:]).mean() / real_sharpness),
            "contrast_ratio_range": [float(block_contrast.min()), float(block_contrast.max())],
            "sharpness_ratio_range": [float(block_sharpness.min()), float(block_sharpness.max())],
            "flat_frames": int(flat.sum()), "blurred_frames": int(blurred.sum()), "_frames": frames}


def standing_still(model: World, config: EvalConfig, prompt: np.ndarray, actions: torch.Tensor,
                   reconstruction: np.ndarray) -> dict[str, Any]:
    """The player stands still from the prompt on, the way play begins: PSNR of the dreamed frames against
    the prompt at the horizons, and of the decoder's copy of the prompt (what a world that holds still gets)."""
    frames, _ = dream(model, config, prompt, torch.zeros_like(actions), config.sampling.guidance_scale)
    return {"psnr": at_horizons(psnr(frames, np.broadcast_to(prompt[:, None], frames.shape)), config.horizon),
            "ceiling": float(psnr(reconstruction, prompt).mean())}


def reconstruction_ceiling(reconstruction: np.ndarray, frames: np.ndarray) -> dict[str, float]:
    """The ceilings a dynamics model on these latents cannot beat: how faithfully and how sharply the
    decoder draws real frames back (PSNR, and fine contrast as a share of the real frames')."""
    return {"psnr": float(psnr(reconstruction, frames).mean()),
            "sharpness_ratio": float(sharpness(reconstruction).mean() / sharpness(frames).mean())}


def evaluate(config: EvalConfig) -> dict[str, Any]:
    model = open_world(config)
    try:
        return measure(model, config)
    finally:
        if isinstance(model, PackWorld):
            model.session.close()             # a zip pack's extracted graphs go


def measure(model: World, config: EvalConfig) -> dict[str, Any]:
    maps = parse_places(config.source, config.maps)
    frames, raw, ranges = record_probe_windows(config.source, maps, config.windows_per_map, config.horizon,
                                               model.size, config.seed)
    actions = torch.from_numpy(encode(raw, ranges["turn_range"], ranges["look_range"]))
    other = torch.roll(actions, shifts=1, dims=0)                                       # another window's actions
    real, prompt = frames[:, 1:], frames[:, 0]
    reconstruction = np.stack([model.decode(model.encode(frames[:, t])) for t in range(frames.shape[1])], axis=1)

    report: dict[str, Any] = {"world": config.world, "source": config.source, "maps": maps, "windows": len(frames),
                              "horizon": config.horizon, **model.describe(config)}
    ceiling = reconstruction_ceiling(reconstruction, frames)
    report["autoencoder_psnr"], report["autoencoder_sharpness_ratio"] = ceiling["psnr"], ceiling["sharpness_ratio"]
    forced = teacher_forced(model, config, frames, actions)
    report["teacher_forced"] = {"psnr": float(psnr(forced, real).mean()), "ssim": float(ssim(forced, real).mean())}
    copy_psnr = psnr(np.broadcast_to(prompt[:, None], real.shape), real)
    report["copy_prompt_psnr"] = at_horizons(copy_psnr, config.horizon)
    rotated_psnr = None
    if config.source == "vizdoom":           # the prompt turned by the actions: what a world gets for free
        rotated_psnr = psnr(turned_prompts(prompt, raw[..., KEYS.index("turn")], raw[..., KEYS.index("look")]), real)
        report["rotated_prompt_psnr"] = at_horizons(rotated_psnr, config.horizon)

    sweep, strips = {}, None
    for scale in sorted(set(config.guidance_sweep) | {config.sampling.guidance_scale}):
        generated, ms = dream(model, config, prompt, actions, scale)
        shuffled, _ = dream(model, config, prompt, other, scale)
        true_psnr, other_psnr = psnr(generated, real), psnr(shuffled, real)
        sweep[str(scale)] = {
            "psnr": at_horizons(true_psnr, config.horizon),
            "dtpsnr": at_horizons(true_psnr - other_psnr, config.horizon),
            "vs_copy": at_horizons(true_psnr - copy_psnr, config.horizon),
            "stderr": {"psnr": standard_errors(true_psnr, config.horizon),
                       "vs_copy": standard_errors(true_psnr - copy_psnr, config.horizon),
                       "dtpsnr": standard_errors(true_psnr - other_psnr, config.horizon)},
            "sharpness_ratio": at_horizons(sharpness(generated) / sharpness(real), config.horizon),
            "ssim_16": float(ssim(generated[:, 15], real[:, 15]).mean()) if config.horizon >= 16 else None,
            "ms_per_frame": ms,
        }
        if rotated_psnr is not None:
            sweep[str(scale)]["vs_rotated"] = at_horizons(true_psnr - rotated_psnr, config.horizon)
            sweep[str(scale)]["stderr"]["vs_rotated"] = standard_errors(true_psnr - rotated_psnr, config.horizon)
        if scale == config.sampling.guidance_scale:
            strips = (generated, shuffled)
            report["per_window"] = {name: {str(h): [float(v) for v in values[:, h - 1]] for h in HORIZONS
                                           if h <= config.horizon}
                                    for name, values in (("psnr", true_psnr), ("copy", copy_psnr),
                                                         ("dtpsnr", true_psnr - other_psnr))}
    report["guidance_sweep"] = sweep
    report["autoregressive"] = sweep[str(config.sampling.guidance_scale)]
    report["standing_still"] = standing_still(model, config, prompt, actions, reconstruction[:, 0])
    picks = long_prompt_windows(len(maps), config.windows_per_map, config.long_prompts)
    long = long_rollout_stats(model, config, prompt[picks], real, ranges) if config.long_rollout else None
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    if long:
        long_frames = long.pop("_frames")
        report["long_rollout"] = {**long, "prompts": [maps[w // config.windows_per_map] for w in picks]}
        save_long_strip(long_frames, out / "long_rollout.png")
    shown = long_prompt_windows(len(maps), config.windows_per_map, min(4, len(prompt)))    # one per map first
    report["strips"] = {"windows": shown, "places": [maps[w // config.windows_per_map] for w in shown]}
    save_strips(prompt, real, *strips, out / "strips.png", shown)
    save_psnr_plot(report, out / "psnr_vs_horizon.png")
    (out / "eval.json").write_text(json.dumps(report, indent=1))
    return report


def _grid(rows: list[np.ndarray], scale: int = 3) -> np.ndarray:
    image = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def save_strips(prompt: np.ndarray, real: np.ndarray, generated: np.ndarray, shuffled: np.ndarray, out: Path,
                windows: list[int]) -> None:
    """Per window shown: real frames, dreamed with the true actions, dreamed with another window's actions."""
    from PIL import Image

    picks = [t for t in (0, 1, 3, 7, 15, 31, 63) if t < real.shape[1]]
    rows = []
    for w in windows:
        for series in (real, generated, shuffled):
            rows.append(np.stack([prompt[w]] + [series[w, t] for t in picks]))
    Image.fromarray(_grid(rows)).save(out)


def save_long_strip(frames: np.ndarray, out: Path) -> None:
    from PIL import Image

    picks = np.linspace(0, frames.shape[1] - 1, 10).astype(int)
    Image.fromarray(_grid([frames[w, picks] for w in range(len(frames))], scale=2)).save(out)


def save_psnr_plot(report: dict[str, Any], out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    horizons = [int(h) for h in report["copy_prompt_psnr"]]
    auto = report["autoregressive"]
    other = [auto["psnr"][str(h)] - auto["dtpsnr"][str(h)] for h in horizons]
    axis.plot(horizons, [auto["psnr"][str(h)] for h in horizons], "o-", label="model, true actions")
    axis.plot(horizons, other, "s--", label="model, another window's actions")
    axis.plot(horizons, [report["copy_prompt_psnr"][str(h)] for h in horizons], "^:", label="copy the prompt")
    axis.axhline(report["autoencoder_psnr"], color="gray", lw=0.8, label="autoencoder ceiling")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("frames after the prompt")
    axis.set_ylabel("PSNR (dB)")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=90)
    plt.close(figure)
