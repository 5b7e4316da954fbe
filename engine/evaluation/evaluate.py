"""``dreamwalk eval world``: a world model against the real simulator on held-out maps. The model is a dynamics
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
(`dreamwalk eval compare --paired`): most of the spread is how hard a window is, which cancels in a pair.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from engine.actions import KEYS, Action, encode
from engine.policies import make_policy
from engine.data.sources import open_place, parse_places
from engine.images import area_resize
from engine.evaluation.figures import save_long_strip, save_psnr_plot, save_strips
from engine.evaluation.metrics import contrast, psnr, sharpness, ssim
from engine.evaluation.probe import ProbePolicy
from engine.evaluation.worlds import EvalConfig, PackWorld, World, WorldModel, open_world, prepare
from engine.geometry import turned_prompts
from engine.reports.common import write_report
from engine.reports.evaluation import EvalReport
from engine.reports.rollouts import (LongRollout, PerWindow, RolloutErrors, Rollouts, StandingStill, Strips,
                                     TeacherForced)

__all__ = ["EvalConfig", "WorldModel", "evaluate", "prepare"]
HORIZONS = (1, 4, 16, 64)


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


def at_horizons(values: np.ndarray, horizon: int) -> dict[int, float]:
    """Mean over windows of a (W, T) metric at 1-based horizons."""
    return {h: float(values[:, h - 1].mean()) for h in HORIZONS if h <= horizon}


def standard_errors(values: np.ndarray, horizon: int) -> dict[int, float]:
    """Standard error over windows of the mean of a (W, T) metric at 1-based horizons: how far another
    set of windows and another draw of the sampling noise may move it (0 with a single window)."""
    spread = values.std(axis=0, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.zeros(values.shape[1])
    return {h: float(spread[h - 1]) for h in HORIZONS if h <= horizon}


def long_prompt_windows(maps: int, per_map: int, count: int = 0) -> list[int]:
    """Which probe windows the long rollouts start from: each map's first window in turn, then each
    map's second, ... (windows are stored map by map); ``count`` 0 means one per map."""
    order = [m * per_map + k for k in range(per_map) for m in range(maps)]
    return order[: count or maps]


def long_rollout_stats(model: World, config: EvalConfig, prompt: np.ndarray, real: np.ndarray,
                       ranges: dict[str, float]) -> tuple[LongRollout, np.ndarray]:
    """Long rollouts of the probe's actions from each prompt: their numbers against the real frames, and the
    dreamed frames (W, T, h, w, 3)."""
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
    stats = LongRollout(
        frames=config.long_rollout, ms_per_frame=ms,
        contrast_ratio_last_100=float(contrast(frames[:, -100:]).mean() / real_contrast),
        sharpness_ratio_last_100=float(sharpness(frames[:, -100:]).mean() / real_sharpness),
        contrast_ratio_range=[float(block_contrast.min()), float(block_contrast.max())],
        sharpness_ratio_range=[float(block_sharpness.min()), float(block_sharpness.max())],
        flat_frames=int(flat.sum()), blurred_frames=int(blurred.sum()))
    return stats, frames


def standing_still(model: World, config: EvalConfig, prompt: np.ndarray, actions: torch.Tensor,
                   reconstruction: np.ndarray) -> StandingStill:
    """The player stands still from the prompt on, the way play begins: PSNR of the dreamed frames against
    the prompt at the horizons, and of the decoder's copy of the prompt (what a world that holds still gets)."""
    frames, _ = dream(model, config, prompt, torch.zeros_like(actions), config.sampling.guidance_scale)
    return StandingStill(at_horizons(psnr(frames, np.broadcast_to(prompt[:, None], frames.shape)), config.horizon),
                         float(psnr(reconstruction, prompt).mean()))


def reconstruction_ceiling(reconstruction: np.ndarray, frames: np.ndarray) -> dict[str, float]:
    """The ceilings a dynamics model on these latents cannot beat: how faithfully and how sharply the
    decoder draws real frames back (PSNR, and fine contrast as a share of the real frames')."""
    return {"psnr": float(psnr(reconstruction, frames).mean()),
            "sharpness_ratio": float(sharpness(reconstruction).mean() / sharpness(frames).mean())}


def rollouts(config: EvalConfig, true_psnr: np.ndarray, other_psnr: np.ndarray, copy_psnr: np.ndarray,
             rotated_psnr: np.ndarray | None, generated: np.ndarray, real: np.ndarray, ms: float) -> Rollouts:
    """One guidance scale's rollouts: (W, T) PSNR with the true actions, another window's, the copied and
    (or None) the turned prompt's, summed up at the horizons."""
    h = config.horizon
    turned = rotated_psnr is not None
    return Rollouts(
        psnr=at_horizons(true_psnr, h), dtpsnr=at_horizons(true_psnr - other_psnr, h),
        vs_copy=at_horizons(true_psnr - copy_psnr, h),
        stderr=RolloutErrors(standard_errors(true_psnr, h), standard_errors(true_psnr - copy_psnr, h),
                             standard_errors(true_psnr - other_psnr, h),
                             standard_errors(true_psnr - rotated_psnr, h) if turned else None),
        sharpness_ratio=at_horizons(sharpness(generated) / sharpness(real), h),
        ssim_16=float(ssim(generated[:, 15], real[:, 15]).mean()) if h >= 16 else None, ms_per_frame=ms,
        vs_rotated=at_horizons(true_psnr - rotated_psnr, h) if turned else None)


def evaluate(config: EvalConfig) -> EvalReport:
    """The world of ``config`` measured (eval.json and the figures written into ``config.out``)."""
    model = open_world(config)
    try:
        return measure(model, config)
    finally:
        if isinstance(model, PackWorld):
            model.session.close()             # a zip pack's extracted graphs go


def measure(model: World, config: EvalConfig) -> EvalReport:
    maps = parse_places(config.source, config.maps)
    frames, raw, ranges = record_probe_windows(config.source, maps, config.windows_per_map, config.horizon,
                                               model.size, config.seed)
    actions = torch.from_numpy(encode(raw, ranges["turn_range"], ranges["look_range"]))
    other = torch.roll(actions, shifts=1, dims=0)                                       # another window's actions
    real, prompt = frames[:, 1:], frames[:, 0]
    reconstruction = np.stack([model.decode(model.encode(frames[:, t])) for t in range(frames.shape[1])], axis=1)

    ceiling = reconstruction_ceiling(reconstruction, frames)
    forced = teacher_forced(model, config, frames, actions)
    teacher = TeacherForced(float(psnr(forced, real).mean()), float(ssim(forced, real).mean()))
    copy_psnr = psnr(np.broadcast_to(prompt[:, None], real.shape), real)
    rotated_psnr = None
    if config.source == "vizdoom":           # the prompt turned by the actions: what a world gets for free
        rotated_psnr = psnr(turned_prompts(prompt, raw[..., KEYS.index("turn")], raw[..., KEYS.index("look")]), real)

    sweep, strips, per_window = {}, None, None
    for scale in sorted(set(config.guidance_sweep) | {config.sampling.guidance_scale}):
        generated, ms = dream(model, config, prompt, actions, scale)
        shuffled, _ = dream(model, config, prompt, other, scale)
        true_psnr, other_psnr = psnr(generated, real), psnr(shuffled, real)
        sweep[str(scale)] = rollouts(config, true_psnr, other_psnr, copy_psnr, rotated_psnr, generated, real, ms)
        if scale == config.sampling.guidance_scale:
            strips = (generated, shuffled)
            per_window = PerWindow(*({h: [float(v) for v in values[:, h - 1]] for h in HORIZONS if h <= config.horizon}
                                     for values in (true_psnr, copy_psnr, true_psnr - other_psnr)))
    still = standing_still(model, config, prompt, actions, reconstruction[:, 0])
    picks = long_prompt_windows(len(maps), config.windows_per_map, config.long_prompts)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    long = None
    if config.long_rollout:
        long, long_frames = long_rollout_stats(model, config, prompt[picks], real, ranges)
        long = replace(long, prompts=[maps[w // config.windows_per_map] for w in picks])
        save_long_strip(long_frames, out / "long_rollout.png")
    shown = long_prompt_windows(len(maps), config.windows_per_map, min(4, len(prompt)))    # one per map first
    described = model.describe(config)
    report = EvalReport(
        world=config.world, source=config.source, maps=maps, windows=len(frames), horizon=config.horizon,
        autoencoder=described.autoencoder, precision=described.precision, sampler=described.sampler,
        training=described.training, autoencoder_psnr=ceiling["psnr"],
        autoencoder_sharpness_ratio=ceiling["sharpness_ratio"], teacher_forced=teacher,
        copy_prompt_psnr=at_horizons(copy_psnr, config.horizon),
        rotated_prompt_psnr=None if rotated_psnr is None else at_horizons(rotated_psnr, config.horizon),
        per_window=per_window, guidance_sweep=sweep, autoregressive=sweep[str(config.sampling.guidance_scale)],
        standing_still=still, long_rollout=long,
        strips=Strips(shown, [maps[w // config.windows_per_map] for w in shown]))
    save_strips(prompt, real, *strips, out / "strips.png", shown)
    save_psnr_plot(report, out / "psnr_vs_horizon.png")
    write_report(out / "eval.json", report.to_json())
    return report
