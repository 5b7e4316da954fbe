"""How much of the evaluation's targets the camera's own motion explains, with no model, on the
evaluation's own probe windows, next to copying the prompt:

- rotation: the prompt turned and tilted by the probe's summed turn/look (engine.geometry.rotate_view),
  what the actions alone say; its dTPSNR (the prompt turned by another window's actions) is the control
  a world gets from rotation alone;
- reprojection (an oracle): the prompt's pixels placed, with its depth buffer, where the simulator's true
  camera poses put them (engine.geometry.reproject; gaps filled from their neighbours): a world that knew
  exactly where the player went and drew nothing new. Its dTPSNR uses the poses the simulator reaches
  from the same start with another window's actions;
- dead reckoning: the same reprojection from where the actions alone say the camera went
  (engine.geometry.MotionModel, fitted on ``--motion-data`` recordings of the training maps), with and
  without the walls the prompt's depth shows stopping the player, and (a partial oracle) also told the
  momentum the window starts with (solved from the simulator's first step): what a world that knew the
  prompt's depth exactly but not the simulator's poses (momentum carried in, collisions, lifts) could get
  from geometry.

    python benchmarks/geometric_baseline.py [--windows-per-map 16] [--horizon 64] [--cache runs/probe-64.npz]
        [--pack assets/worlds/doom.dwpack] [--motion-data data/doom-explore-100k,data/doom-random]

With ``--pack``, the same rotation as a world on that pack's latents would have to draw it: through its
autoencoder once (the frame rotated, encoded, decoded), frame by frame (each frame decoded, rotated by that
frame's action and encoded again: what an autoregressive world pays), and on the latent grid itself (the
latent rotated frame by frame at its own coarse resolution, a turn of 8 degrees being about half a token).

The windows are those of `dreamwalk eval world --windows-per-map 16 --horizon 64` (seed 0, MAP21-MAP24, 64x48);
``--cache`` keeps them so a second run skips the simulator.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.actions import KEYS
from engine.data.sources import parse_places
from engine.evaluation.evaluate import HORIZONS, at_horizons, record_probe_windows, standard_errors
from engine.evaluation.metrics import psnr, sharpness
from engine.images import area_resize
from engine.evaluation.motion import dead_reckoned, motion_model, starting_momentum
from engine.geometry import fill_gaps, reproject, rotate_latents, rotate_view, turned_prompts

TURN, LOOK = KEYS.index("turn"), KEYS.index("look")          # columns of the raw action rows
SIMULATOR_SIZE, FRAME_SIZE = (160, 120), (64, 48)           # as recorded, as the evaluation sees them


def probe_windows(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """The probe windows at the simulator's 160x120 with their poses and first depth, and the poses another
    window's actions reach from each start (``other_poses``)."""
    cache = Path(args.cache) if args.cache else None
    if cache and cache.exists():
        return dict(np.load(cache))
    maps = parse_places("vizdoom", args.maps)
    extras: dict[str, list] = {}
    frames, raw, _ = record_probe_windows("vizdoom", maps, args.windows_per_map, args.horizon, SIMULATOR_SIZE,
                                          args.seed, extras=extras)
    other: dict[str, list] = {}
    record_probe_windows("vizdoom", maps, args.windows_per_map, args.horizon, SIMULATOR_SIZE, args.seed,
                         replay=np.roll(raw, 1, axis=0), extras=other)
    windows = {"frames": frames, "actions": raw, "poses": np.stack(extras["poses"]),
               "depth": np.stack(extras["depth"]), "other_poses": np.stack(other["poses"])}
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, **windows)
    return windows


def reprojected(frames: np.ndarray, depth: np.ndarray, poses: np.ndarray,
                size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(W, T, h, w, 3): each window's first frame drawn from its poses after the first, gaps filled,
    resized to ``size`` as the evaluation resizes frames; and (W, T) the share of each view no pixel of the
    first frame landed on (what it did not show)."""
    out, unseen = [], []
    for frame, window_depth, window_poses in zip(frames, depth, poses):
        drawn, empty = reproject(frame, window_depth, window_poses[0], window_poses[1:])
        out.append(area_resize(fill_gaps(drawn, empty), size))
        unseen.append(empty.mean(axis=(1, 2)))
    return np.stack(out), np.stack(unseen)


def rotated(prompt: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """(W, T, h, w, 3): each prompt turned/tilted by its window's actions summed up to each frame."""
    return turned_prompts(prompt, raw[..., TURN], raw[..., LOOK])


def rotated_step_by_step(prompt: np.ndarray, raw: np.ndarray, move) -> np.ndarray:
    """(W, T, ...): ``move(current, turn, look)`` applied frame after frame from the prompts."""
    current, out = prompt, []
    for t in range(raw.shape[1]):
        current = move(current, raw[:, t, TURN], raw[:, t, LOOK])
        out.append(current)
    return np.stack(out, axis=1)


def through_pack(pack: str, prompt: np.ndarray, raw: np.ndarray) -> dict[str, np.ndarray]:
    """The rotation drawn by a pack's autoencoder: once, frame by frame, and on the latent grid."""
    from engine.runtime.session import WorldSession

    session = WorldSession.open(pack, device="cpu")
    try:
        def encode(frames: np.ndarray) -> np.ndarray:
            return np.concatenate([session.encode(frame) for frame in frames])          # (N, C, h, w)

        def decode(latents: np.ndarray) -> np.ndarray:
            return np.stack([session.decode(latent[None]) for latent in latents])

        def each_frame(frames: np.ndarray, turn: np.ndarray, look: np.ndarray) -> np.ndarray:
            return decode(encode(rotate_view(frames, turn, look)))

        once = rotated(prompt, raw)
        shape = once.shape
        grid = rotated_step_by_step(encode(prompt), raw, rotate_latents)
        return {"once": decode(encode(once.reshape(-1, *shape[2:]))).reshape(shape),
                "frame_by_frame": rotated_step_by_step(decode(encode(prompt)), raw, each_frame),
                "latent_grid": decode(grid.reshape(-1, *grid.shape[2:])).reshape(shape)}
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", default="MAP21-MAP24")
    parser.add_argument("--windows-per-map", type=int, default=16)
    parser.add_argument("--horizon", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", help="an .npz to keep the recorded windows in (and read them from)")
    parser.add_argument("--pack", help="also draw the rotation through this world pack's autoencoder")
    parser.add_argument("--motion-data", default="data/doom-explore-100k,data/doom-random",
                        help="recordings of the training maps to fit the dead reckoning on (comma-separated)")
    parser.add_argument("--motion-shards", type=int, default=20, help="recordings used from each folder")
    parser.add_argument("--json", help="write the numbers here")
    args = parser.parse_args()
    windows = probe_windows(args)
    raw, frames = windows["actions"], area_resize(windows["frames"], FRAME_SIZE)
    real, prompt = frames[:, 1:], frames[:, 0]
    copy = psnr(np.broadcast_to(prompt[:, None], real.shape), real)
    report = {"windows": len(frames), "copy_prompt_psnr": at_horizons(copy, args.horizon)}
    first = windows["frames"][:, 0]
    true_view, unseen = reprojected(first, windows["depth"], windows["poses"], FRAME_SIZE)
    predictors = {
        "rotation": (rotated(prompt, raw), rotated(prompt, np.roll(raw, 1, axis=0)),
                     "the prompt turned by the probe's own turn/look"),
        "reprojection": (true_view, reprojected(first, windows["depth"], windows["other_poses"], FRAME_SIZE)[0],
                         "the prompt's pixels placed by its depth where the true camera went (an oracle)")}
    model = motion_model(args.motion_data, args.motion_shards)
    other_actions = np.roll(raw, 1, axis=0)
    momentum = starting_momentum(model, windows["poses"], raw)
    for name, walls, start, what in (
            ("dead_reckoning", False, None, ""),
            ("dead_reckoning_walls", True, None, ", stopped by the walls its depth shows"),
            ("dead_reckoning_momentum", True, momentum, ", stopped by walls, told the momentum it starts with")):
        mine, other = (reprojected(first, windows["depth"], dead_reckoned(model, windows["poses"], windows["depth"],
                                                                           actions, walls, start), FRAME_SIZE)[0]
                       for actions in (raw, other_actions))
        predictors[name] = (mine, other, "the prompt reprojected to where the actions alone say the camera went"
                            + what)
    print(f"{len(frames)} windows, no model; copying the prompt: " + ", ".join(
        f"{h}: {report['copy_prompt_psnr'][h]:.2f} dB" for h in HORIZONS if h <= args.horizon))
    for name, (drawn, drawn_other, what) in predictors.items():
        mine, other = psnr(drawn, real), psnr(drawn_other, real)
        report[name] = {"psnr": at_horizons(mine, args.horizon), "vs_copy": at_horizons(mine - copy, args.horizon),
                        "dtpsnr": at_horizons(mine - other, args.horizon),
                        "stderr": {"vs_copy": standard_errors(mine - copy, args.horizon),
                                   "dtpsnr": standard_errors(mine - other, args.horizon)},
                        "sharpness_ratio": at_horizons(sharpness(drawn) / sharpness(real), args.horizon)}
        print(f"{name}: {what}")
        for h in (h for h in HORIZONS if h <= args.horizon):
            key, row = h, report[name]
            print(f"  {h:>2} frames: PSNR {row['psnr'][key]:.2f} dB, {row['vs_copy'][key]:+.2f} ± "
                  f"{row['stderr']['vs_copy'][key]:.2f} over copy; dTPSNR {row['dtpsnr'][key]:+.2f} ± "
                  f"{row['stderr']['dtpsnr'][key]:.2f}; sharpness {row['sharpness_ratio'][key]:.2f}")
    report["reprojection"]["unseen"] = at_horizons(unseen, args.horizon)
    print("  share of the view no pixel of the prompt landed on: " + ", ".join(
        f"{h}: {report['reprojection']['unseen'][h]:.2f}" for h in HORIZONS if h <= args.horizon))
    if args.pack:
        report["through_pack"] = {}
        for name, drawn in through_pack(args.pack, prompt, raw).items():
            gain = psnr(drawn, real) - copy
            report["through_pack"][name] = {"vs_copy": at_horizons(gain, args.horizon),
                                            "stderr": standard_errors(gain, args.horizon)}
            print(f"  through the pack's autoencoder, {name.replace('_', ' ')}: vs copy " + ", ".join(
                f"{h}: {report['through_pack'][name]['vs_copy'][h]:+.2f}" for h in HORIZONS if h <= args.horizon))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
