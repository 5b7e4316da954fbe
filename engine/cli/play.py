"""`dreamwalk render`: a clip's action log played again through a world, offline, into a video."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli.options import display_size, print_lines
from engine.interrupts import stop_on_signals


def render(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.runtime.render import VIDEO_SIZE, RenderConfig, render_clip

    out = Path(args.out)
    config = RenderConfig(Path(args.log), out, scene=args.scene, prompt=args.prompt, world=args.world,
                          size=display_size(args.size) or VIDEO_SIZE, fps=args.fps, seed=args.seed,
                          device=args.device, sheet=args.sheet)
    bars: list[tqdm] = []                     # made when the first frame is written: an error before it stays one line

    def advance(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="frame", desc=f"render {out.name}", dynamic_ncols=True))
        bars[0].total = total
        bars[0].update(done - bars[0].n)

    stop_on_signals()
    try:
        rendered = render_clip(config, advance)
    except KeyboardInterrupt:
        written = bars[0].n if bars else 0
        for bar in bars:
            bar.close()
        print(f"interrupted: {out} keeps the {written} frames written and plays as it is", file=sys.stderr)
        return 130
    finally:
        for bar in bars:
            bar.close()                        # closing twice is harmless
    print_lines(rendered.lines(out))
    return 0


def add_render(commands: Any) -> None:
    parser = commands.add_parser("render", help="play a clip's action log through a world again, offline, into "
                                 "an MP4 at any size and frame rate",
                                 description="Replay a recorded clip's actions (CLIP.actions.jsonl) from the same "
                                 "start, writing H.264 MP4. Ctrl-C keeps a playable file of the frames written.")
    parser.add_argument("log", help="the clip's action log (CLIP.actions.jsonl)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--scene", help="start from this scene (NAME.dwscene; default: the log's scene, if any)")
    start.add_argument("--prompt", metavar="IMAGE", help="start from this picture (default: the log's prompt)")
    parser.add_argument("--world", metavar="PACK", help="world pack (default: the world the log names)")
    parser.add_argument("--size", default="640x480", help="frames at WIDTHxHEIGHT, both even (default 640x480)")
    parser.add_argument("--fps", type=float, help="frames per second of the video (default: the world's; "
                        "other rates show the same path over the same seconds)")
    parser.add_argument("--seed", type=int, help="sampling seed (default: the log's)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--out", required=True, help="the video (walk.mp4); a world with a memory also writes "
                        "walk.poses.json, the camera's path")
    parser.add_argument("--sheet", metavar="IMAGE", help="also a contact sheet (PNG or JPEG by its name): 12 "
                        "frames spread over the walk")
    parser.set_defaults(run=render)
