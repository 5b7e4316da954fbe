"""`dreamwalk eval`: a world model measured against the simulator (``world``), what a player notices
(``revisits``), the depth network (``depth``), a pack rolled out from pictures (``prompts``), and reports
compared (``compare``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engine.cli.options import add_sampler_flags, count, display_size, print_lines, sampler_config
from engine.errors import DreamwalkError


def world(args: argparse.Namespace) -> int:
    from engine.evaluation.evaluate import EvalConfig, evaluate, prepare

    # The pack's graphs and sampler, as the player runs them on a CPU; a checkpoint in PyTorch.
    config = prepare(EvalConfig(
        world=args.world, source=args.source or "", maps=args.maps or "", windows_per_map=args.windows_per_map,
        horizon=args.horizon, sampling=sampler_config(args), long_rollout=args.long, long_prompts=args.long_prompts,
        guidance_sweep=[float(x) for x in args.sweep.split(",") if x], autoencoder=args.autoencoder or "",
        precision=args.precision, seed=args.seed, out=args.out), embed=args.embed)
    report = evaluate(config)
    print_lines(report.lines())
    print(f"wrote {config.out}/eval.json, strips.png, psnr_vs_horizon.png")
    if args.embed:
        from engine.pack import embed_metrics

        embed_metrics(args.world, report.to_json())
        print(f"the report is now {args.world}'s metrics")
    return 0


def revisits(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.evaluation.revisits import RevisitConfig, evaluate_revisits
    from engine.reports import write_report

    if args.world and not Path(args.world).exists():
        raise DreamwalkError(f"no world pack at {args.world}")
    config = RevisitConfig(world=args.world, maps=args.maps, starts_per_map=args.starts_per_map, seed=args.seed,
                           out=args.out, display_size=display_size(args.size), prompts=args.prompts)
    with tqdm(total=0, unit="start", desc="revisits", dynamic_ncols=True) as bar:
        def progress(protocol: str, done: int, starts: int) -> None:
            if done == 0:                          # a new protocol: its own count of starts
                bar.reset(total=starts)
                bar.set_description(f"revisits {protocol}")
            bar.n = done
            bar.refresh()

        report = evaluate_revisits(config, progress)
    print_lines(report.lines())
    write_report(Path(config.out) / "revisits.json", report.to_json())
    print(f"wrote {config.out}/revisits.json, full_turn.png")
    return 0


def depth(args: argparse.Namespace) -> int:
    from engine.evaluation.depth import evaluate_depth

    report = evaluate_depth(args.checkpoint, args.data, args.out, args.prompts)
    print_lines(report.lines())
    print(f"wrote {args.out}/depth.json" + (", depth_prompts.png" if args.prompts else ""))
    return 0


def prompts(args: argparse.Namespace) -> int:
    from engine.evaluation.prompts import prompt_rollouts

    prompt_rollouts(args.world, Path(args.folder), Path(args.out), frames=args.frames, precision=args.precision,
                    progress=lambda name, rollout: print(rollout.line(name), flush=True))
    print(f"wrote {args.out}/prompt_rollouts.json, prompt_rollouts.png, prompt_rollouts_still.png")
    return 0


def compare(args: argparse.Namespace) -> int:
    from engine.evaluation.compare import compare_reports

    result = compare_reports(args.pooled or args.paired, pooled=bool(args.pooled), out=args.json)
    print_lines(result.lines())
    return 0


def add_world(evaluations: Any) -> None:
    parser = evaluations.add_parser("world", help="a world model against the simulator on held-out maps",
                                    description="Record probe windows live on held-out maps and measure the "
                                    "world's frames against the real ones: eval.json, strips.png, "
                                    "psnr_vs_horizon.png.")
    parser.add_argument("world", help="dynamics checkpoint (dynamics.safetensors), or a world pack to measure its "
                        "ONNX graphs as the player runs them on a CPU")
    parser.add_argument("--source", help="vizdoom or miniworld (default: the one the model was trained on)")
    parser.add_argument("--maps", help="held-out maps or environments (default: MAP21-MAP24 for vizdoom; "
                        "Maze,FourRooms,ThreeRooms,TMaze for miniworld, on seeds no collection uses)")
    parser.add_argument("--windows-per-map", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=64)
    add_sampler_flags(parser)
    parser.add_argument("--sweep", default="1,1.5,2,3", help="guidance scales to compare ('' for none)")
    parser.add_argument("--long", type=int, default=1000, help="frames of the long rollouts (0 to skip)")
    parser.add_argument("--long-prompts", type=count, default=0,
                        help="long rollouts, from each map's first window in turn (default: one per map)")
    parser.add_argument("--autoencoder", help="a sharpened decoder of the same encoder ('dreamwalk train decoder')")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"],
                        help="a world pack's graphs (default auto: int8 dynamics where the pack has it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/eval", help="folder for eval.json and the plots")
    parser.add_argument("--embed", action="store_true", help="make the report a zip world pack's metrics "
                        "(what the launcher and 'dreamwalk info' show)")
    parser.set_defaults(run=world)


def add_revisits(evaluations: Any) -> None:
    parser = evaluations.add_parser("revisits", help="turn, turn back, walk out and back in live ViZDoom and in "
                                    "the world: does the world remember what it showed",
                                    description="Play each protocol from starts on held-out maps in ViZDoom, in "
                                    "the references (the memory alone, the builder alone) and in the world: "
                                    "revisits.json, full_turn.png.")
    parser.add_argument("world", nargs="?", help="world pack (default: none, the references alone)")
    parser.add_argument("--maps", default="MAP21-MAP24", help="held-out ViZDoom maps")
    parser.add_argument("--starts-per-map", type=int, default=4, help="starts on each map (a minute of play: one)")
    parser.add_argument("--size", metavar="WxH", help="the world shown at this size (a world with a memory draws "
                        "what it remembers at it)")
    parser.add_argument("--prompts", metavar="FOLDER", help="also turn and walk out and back from each picture "
                        "in FOLDER that is not a Doom frame")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/eval", help="folder for revisits.json and the strips")
    parser.set_defaults(run=revisits)


def add_depth(evaluations: Any) -> None:
    parser = evaluations.add_parser("depth", help="a depth network on held-out frames recorded with depth")
    parser.add_argument("checkpoint", help="depth network checkpoint ('dreamwalk train depth')")
    parser.add_argument("--data", required=True, help="held-out frames recorded with depth (e.g. dreamwalk collect "
                        "--maps MAP21-MAP24 --depth --hide-weapon --out DIR)")
    parser.add_argument("--prompts", metavar="FOLDER", help="also a sheet of the network's depth of each picture "
                        "in FOLDER (captions.json names them)")
    parser.add_argument("--out", default="runs/eval", help="folder for depth.json")
    parser.set_defaults(run=depth)


def add_prompts(evaluations: Any) -> None:
    parser = evaluations.add_parser("prompts", help="roll a world pack out from every picture of a folder",
                                    description="Roll the pack out from every picture captions.json names with a "
                                    "fixed action script: prompt_rollouts.json and sheets.")
    parser.add_argument("world", help="world pack")
    parser.add_argument("folder", nargs="?", default="assets/prompts", help="pictures and their captions.json "
                        "(default: assets/prompts)")
    parser.add_argument("--frames", type=int, default=300, help="frames per rollout")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"],
                        help="the pack's dynamics graph (default auto: int8 where the pack has it)")
    parser.add_argument("--out", default="runs/eval", help="folder for prompt_rollouts.json and the sheets")
    parser.set_defaults(run=prompts)


def add_compare(evaluations: Any) -> None:
    parser = evaluations.add_parser("compare", help="compare `dreamwalk eval world` reports: two worlds window by "
                                    "window, or one world's reports pooled")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--paired", nargs=2, metavar=("FIRST", "SECOND"), help="two reports of the same windows "
                     "compared window by window (second minus first, ± standard error)")
    how.add_argument("--pooled", nargs="+", metavar="REPORT", help="one world's reports pooled")
    parser.add_argument("--json", help="also write the result here")
    parser.set_defaults(run=compare)


def add_eval(commands: Any) -> None:
    evaluations = commands.add_parser("eval", help="measure worlds: against the simulator (world), what a player "
                                      "notices (revisits), depth, from pictures (prompts); compare reports"
                                      ).add_subparsers(dest="eval_command", metavar="MEASURE", required=True)
    for add in (add_world, add_revisits, add_depth, add_prompts, add_compare):
        add(evaluations)
