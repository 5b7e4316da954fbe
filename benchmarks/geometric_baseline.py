"""How much of the evaluation's targets the camera's own motion explains, with no model: the prompt frame
turned and tilted by the probe's summed turn/look (engine.geometry.rotate_view) against the real frames,
on the evaluation's own probe windows, next to copying the prompt. Its dTPSNR (the same prompt turned by
another window's actions) is the control a world gets from rotation alone.

    python benchmarks/geometric_baseline.py [--windows-per-map 16] [--horizon 64] [--cache runs/probe-64.npz]
        [--pack assets/worlds/doom.dwpack]

With ``--pack``, the same rotation as a world on that pack's latents would have to draw it: through its
autoencoder once (the frame rotated, encoded, decoded), frame by frame (each frame decoded, rotated by that
frame's action and encoded again: what an autoregressive world pays), and on the latent grid itself (the
latent rotated frame by frame at its own coarse resolution, a turn of 8 degrees being about half a token).

The windows are those of `dreamwalk eval --windows-per-map 16 --horizon 64` (seed 0, MAP21-MAP24, 64x48);
``--cache`` keeps them so a second run skips the simulator.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.actions import KEYS  # noqa: E402
from engine.data.sources import parse_places  # noqa: E402
from engine.evaluation.evaluate import HORIZONS, at_horizons, record_probe_windows, standard_errors  # noqa: E402
from engine.evaluation.metrics import psnr, sharpness  # noqa: E402
from engine.geometry import rotate_view  # noqa: E402

TURN, LOOK = KEYS.index("turn"), KEYS.index("look")          # columns of the raw action rows


def probe_windows(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    cache = Path(args.cache) if args.cache else None
    if cache and cache.exists():
        stored = np.load(cache)
        return stored["frames"], stored["actions"]
    maps = parse_places("vizdoom", args.maps)
    frames, raw, _ = record_probe_windows("vizdoom", maps, args.windows_per_map, args.horizon, (64, 48), args.seed)
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, frames=frames, actions=raw)
    return frames, raw


def rotated(prompt: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """(W, T, h, w, 3): each prompt turned/tilted by its window's actions summed up to each frame."""
    turn, look = np.cumsum(raw[..., TURN], axis=1), np.cumsum(raw[..., LOOK], axis=1)
    return np.stack([rotate_view(prompt, turn[:, t], look[:, t])
                     for t in range(raw.shape[1])], axis=1)


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

        def on_grid(latents: np.ndarray, turn: np.ndarray, look: np.ndarray) -> np.ndarray:
            return rotate_view(latents.transpose(0, 2, 3, 1), turn, look).transpose(0, 3, 1, 2)

        once = rotated(prompt, raw)
        shape = once.shape
        grid = rotated_step_by_step(encode(prompt), raw, on_grid)
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
    parser.add_argument("--json", help="write the numbers here")
    args = parser.parse_args()
    frames, raw = probe_windows(args)
    real, prompt = frames[:, 1:], frames[:, 0]
    copy = psnr(np.broadcast_to(prompt[:, None], real.shape), real)
    turned = rotated(prompt, raw)
    turned_other = rotated(prompt, np.roll(raw, 1, axis=0))
    mine, other = psnr(turned, real), psnr(turned_other, real)
    report = {"windows": len(frames), "copy_prompt_psnr": at_horizons(copy, args.horizon),
              "psnr": at_horizons(mine, args.horizon), "vs_copy": at_horizons(mine - copy, args.horizon),
              "dtpsnr": at_horizons(mine - other, args.horizon),
              "stderr": {"vs_copy": standard_errors(mine - copy, args.horizon),
                         "dtpsnr": standard_errors(mine - other, args.horizon)},
              "sharpness_ratio": at_horizons(sharpness(turned) / sharpness(real), args.horizon)}
    print(f"{len(frames)} windows; the prompt turned by the probe's own turn/look, no model:")
    for h in (h for h in HORIZONS if h <= args.horizon):
        key = str(h)
        print(f"  {h:>2} frames: PSNR {report['psnr'][key]:.2f} dB, copy {report['copy_prompt_psnr'][key]:.2f}: "
              f"{report['vs_copy'][key]:+.2f} ± {report['stderr']['vs_copy'][key]:.2f}; "
              f"dTPSNR {report['dtpsnr'][key]:+.2f} ± {report['stderr']['dtpsnr'][key]:.2f}; "
              f"sharpness {report['sharpness_ratio'][key]:.2f}")
    if args.pack:
        report["through_pack"] = {}
        for name, drawn in through_pack(args.pack, prompt, raw).items():
            gain = psnr(drawn, real) - copy
            report["through_pack"][name] = {"vs_copy": at_horizons(gain, args.horizon),
                                            "stderr": standard_errors(gain, args.horizon)}
            print(f"  through the pack's autoencoder, {name.replace('_', ' ')}: vs copy " + ", ".join(
                f"{h}: {report['through_pack'][name]['vs_copy'][str(h)]:+.2f}" for h in HORIZONS if h <= args.horizon))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
