"""Let an agent play inside a world and save what it sees as an H.264 clip.

    python examples/agent_in_world.py WORLD.dwpack --prompt image.png --agent random --frames 300 --out clip.mp4

``random`` samples the gymnasium action space; ``explore`` is the recorder's person-like policy, which
here sees only the frames (no pose, no depth).
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.actions import BUTTON_KEYS
from engine.env import DreamwalkEnv
from engine.policies import make_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world")
    parser.add_argument("--prompt", help="prompt image (default: a grey frame)")
    parser.add_argument("--agent", choices=["random", "explore"], default="random")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--scale", type=int, default=4, help="upscale factor of the clip")
    parser.add_argument("--out", default="agent.mp4")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    env = DreamwalkEnv(args.world, prompt=args.prompt, max_steps=args.frames)
    frame, info = env.reset(seed=args.seed)
    env.action_space.seed(args.seed)
    explorer = make_policy("explore", args.seed)
    height, width = frame.shape[0] * args.scale, frame.shape[1] * args.scale
    with av.open(args.out, mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(info["fps"]).limit_denominator(100))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(args.frames):
            big = np.repeat(np.repeat(frame, args.scale, axis=0), args.scale, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")):
                container.mux(packet)
            if args.agent == "random":
                action = env.action_space.sample()
            else:
                chosen = explorer.act(frame).to_dict()
                action = {**{k: int(chosen[k]) for k in BUTTON_KEYS}, "turn": [chosen["turn"]], "look": [chosen["look"]]}
            frame, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
        for packet in stream.encode():
            container.mux(packet)
    env.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
