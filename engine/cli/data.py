"""`dreamwalk collect` and `dreamwalk data`: recording gameplay, and looking at what was recorded."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.interrupts import stop_on_signals


def collect(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.data.collect import CollectPlan, collect as record
    from engine.data.sources import parse_places

    plan = CollectPlan(source=args.source, maps=tuple(parse_places(args.source, args.maps)), frames=args.frames,
                       policy=args.policy, seed=args.seed, episode_frames=args.episode_frames, depth=args.depth,
                       weapon=not args.hide_weapon)
    bar = tqdm(total=plan.frames, unit="frame", desc=f"collect {plan.source}", dynamic_ncols=True,
               disable=args.quiet)

    def advance(index: int, frames: int) -> None:
        bar.update(frames)
        bar.set_postfix_str(f"episode {index + 1}/{plan.episodes}")

    stop_on_signals()
    try:
        result = record(plan, Path(args.out), advance)
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted: every finished shard is kept in {args.out}; run the same command to continue",
              file=sys.stderr)
        return 130
    bar.close()
    print(f"{args.out}: recorded {result['recorded']} episodes, kept {result['skipped']} finished earlier "
          f"({result['episodes']} planned, {plan.frames:,} frames)")
    return 0


def data_info(args: argparse.Namespace) -> int:
    from engine.data.inspect import dataset_info, format_info

    info = dataset_info(Path(args.folder), verify=args.verify)
    print(json.dumps(info, indent=1) if args.json else format_info(info))
    return 0


def data_preview(args: argparse.Namespace) -> int:
    from engine.data.inspect import preview_clip, preview_sheet
    from engine.errors import DataError

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix == ".png":
        preview_sheet(Path(args.folder), out, count=args.frames or 48)
    elif suffix == ".mp4":
        preview_clip(Path(args.folder), out, frames=args.frames or 600, episode=args.episode)
    else:
        raise DataError(f"--out must end in .png (a contact sheet) or .mp4 (a clip), got {out.name!r}")
    print(f"wrote {out}")
    return 0


def data_prompts(args: argparse.Namespace) -> int:
    from engine.data.prompts import render_prompts

    captions = render_prompts(Path(args.out), frames=args.frames)
    print(f"wrote {len(captions)} prompts and captions.json into {args.out}")
    return 0


def add_collect(commands: Any) -> None:
    parser = commands.add_parser("collect", help="record a policy playing a simulator into episode shards",
                                 description="Record gameplay into episode shards. Ctrl-C keeps every "
                                 "finished shard; the same command continues.")
    parser.add_argument("--source", required=True, help="vizdoom or miniworld")
    parser.add_argument("--maps", required=True,
                        help="vizdoom: MAP01-MAP20, MAP25,MAP27 or a mix; miniworld: Maze,FourRooms,...")
    parser.add_argument("--frames", type=int, required=True, help="frames to record in all")
    parser.add_argument("--policy", default="explore", choices=["explore", "random"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episode-frames", type=int, default=2000, help="frames per episode (one shard each)")
    parser.add_argument("--depth", action="store_true", help="also record each frame's depth (map units along "
                        "the view axis), for the world memory")
    parser.add_argument("--hide-weapon", action="store_true", help="vizdoom: record the view without the "
                        "player's weapon (drawn fixed on the screen, it is not part of the world)")
    parser.add_argument("--out", required=True, help="folder of shards (created; resumed when it exists)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=collect)


def add_data(commands: Any) -> None:
    data = commands.add_parser("data", help="inspect recorded data; render the bundled prompts").add_subparsers(
        dest="data_command", metavar="ACTION", required=True)
    info = data.add_parser("info", help="frames, episodes, maps and action statistics of a folder")
    info.add_argument("folder")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--verify", action="store_true", help="also check every frame's checksum (reads all data)")
    info.set_defaults(run=data_info)
    preview = data.add_parser("preview", help="a contact sheet (.png) or clip (.mp4) of what was recorded")
    preview.add_argument("folder")
    preview.add_argument("--out", required=True, help="sheet.png or clip.mp4")
    preview.add_argument("--frames", type=int, help="frames on the sheet (48) or in the clip (600)")
    preview.add_argument("--episode", type=int, default=0, help="which episode the clip shows")
    preview.set_defaults(run=data_preview)
    prompts = data.add_parser("prompts", help="render the bundled prompt pictures (training maps only) and "
                              "their captions.json")
    prompts.add_argument("--out", default="assets/prompts")
    prompts.add_argument("--frames", type=int, default=240, help="frames each walk explores before a view is chosen")
    prompts.set_defaults(run=data_prompts)
