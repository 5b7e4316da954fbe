"""How good a start for the next frame is the world memory's view of it? (the question behind a dynamics
network that reads the memory's render.)

For every frame of recorded episodes with depth and poses, the memory holding the frames up to ``delay``
frames before it (lifted by the simulator's depth or by the pack's depth network, as in play), drawn at the
frame's pose (optionally shaken by pose noise, as the dreamed pose is not the simulator's), the last frame
where it holds nothing: its PSNR to the frame at the networks' 64x48, against the previous frame's (what a
world without a memory starts from). Medians over frames, with the share of pixels the memory covers.

    python benchmarks/memory_view.py --data data/doom-depth-heldout --depth runs/depth/depth.safetensors
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from engine.data.episodes import read_episodes
from engine.images import area_resize
from engine.evaluation.metrics import psnr
from engine.models.checkpoint import load_depth_model
from engine.training.memory_anchors import estimated_depth, memory_views

NETWORK_SIZE = (64, 48)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/doom-depth-heldout")
    parser.add_argument("--depth", default="runs/depth/depth.safetensors")
    parser.add_argument("--frames", type=int, default=600, help="frames of each episode (from its start)")
    parser.add_argument("--out", type=Path, default=Path("docs/results/memory/memory-view.json"))
    args = parser.parse_args()
    network, _ = load_depth_model(args.depth)
    rows = []
    for episode in read_episodes(args.data):
        frames = episode.frames[: args.frames]
        true = episode.depth[: args.frames].astype(np.float32)
        estimated = estimated_depth(network, frames)
        poses = episode.poses[: args.frames]
        target = area_resize(frames[1:], NETWORK_SIZE)
        previous = float(np.median(psnr(area_resize(frames[:-1], NETWORK_SIZE), target)))
        for depth_name, depth in (("simulator", true), ("network", estimated)):
            for delay in (1, 8, 30):
                for noise in ((0.0, 0.0), (1.0, 0.5)):
                    views, covers = memory_views(frames, depth, poses, delay, noise, np.random.default_rng(0))
                    value = float(np.median(psnr(area_resize(views[1:], NETWORK_SIZE), target)))
                    rows.append({"episode": episode.path.name, "depth": depth_name, "delay": delay,
                                 "pose_noise": list(noise), "memory_view_db": round(value, 2),
                                 "previous_frame_db": round(previous, 2), "covered": round(float(np.median(covers[1:])), 3)})
                    print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
