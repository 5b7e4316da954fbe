"""`dreamwalk export`, `recover`, `pack` and `info`: world packs made, rebuilt, extended and shown."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.cli.options import add_sampler_flags, print_lines, sampler_config


def export(args: argparse.Namespace) -> int:
    from engine.export.export import ExportConfig, export_world
    from engine.reports import EvalReport, read_report

    metrics = (read_report(args.metrics, EvalReport.from_json, "`dreamwalk eval world`").to_json()
               if args.metrics else {})
    config = ExportConfig(args.checkpoint, args.out, name=args.pack_name, description=args.description,
                          license=args.license, sampling=sampler_config(args), metrics=metrics,
                          autoencoder=args.autoencoder or "", fp16=args.fp16, int8=args.int8)
    result = export_world(config)
    print(f"wrote {result['out']} ({result['bytes'] / 2**20:.1f} MiB); ONNX vs PyTorch over a rollout: "
          f"max |latent difference| {result['parity_max_abs_difference']:.1e}"
          + "".join(f", {name} {result[f'{name}_max_abs_difference']:.1e}" for name in ("fp16", "int8")
                    if result[f"{name}_max_abs_difference"] is not None))
    return 0


def recover(args: argparse.Namespace) -> int:
    from engine.export.recover import recover_world

    result = recover_world(args.pack, args.out)
    print(f"wrote {result['dynamics']} and {result['autoencoder']}; re-exported, they reproduce the pack's "
          f"graphs to {max(result['dynamics_max_abs_difference'], result['autoencoder_max_abs_difference']):.1e}")
    return 0


def info(args: argparse.Namespace) -> int:
    from engine.pack import open_pack, read_model_card
    from engine.pack.describe import manifest_lines

    if args.card:
        card = read_model_card(args.pack)
        print(card if card else f"{args.pack} has no model card")
        return 0 if card else 1
    pack = open_pack(args.pack)                         # verified before it is shown
    manifest = pack.manifest
    pack.close()
    print(json.dumps(manifest, indent=1) if args.json else "\n".join(manifest_lines(manifest)))
    return 0


def pack_int8(args: argparse.Namespace) -> int:
    from engine.export.int8 import add_int8

    difference = add_int8(args.pack, args.out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 2**20:.1f} MiB): int8 dynamics beside fp32, "
          f"max |latent difference| over the rollout {difference:.1e}")
    return 0


def pack_memory(args: argparse.Namespace) -> int:
    from engine.export.memory import add_memory
    from engine.memory.builder import BuilderConfig

    result = add_memory(args.pack, args.depth, args.motion, args.out,
                        builder=None if args.no_builder else BuilderConfig(), name=args.name)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 2**20:.1f} MiB): a world memory, its depth graph within "
          f"{result['depth_difference']:.1e} of PyTorch, the camera's motion fitted on {result['motion_frames']:,} "
          "recorded frames")
    return 0


def pack_card(args: argparse.Namespace) -> int:
    from engine.export.card import CardConfig, write_model_card

    print_lines(write_model_card(CardConfig(Path(args.pack), Path(args.eval), Path(args.bench), Path(args.prompts),
                                            Path(args.notes), Path(args.out), args.figures, args.embed)))
    return 0


def add_export(commands: Any) -> None:
    parser = commands.add_parser("export", help="turn a dynamics checkpoint into a world pack (ONNX graphs)")
    parser.add_argument("checkpoint", help="dynamics.safetensors")
    parser.add_argument("--out", required=True, help="NAME.dwpack")
    parser.add_argument("--name", dest="pack_name", default="", help="the world's name (default: the file's)")
    parser.add_argument("--description", default="")
    parser.add_argument("--license", default="")
    add_sampler_flags(parser)
    parser.add_argument("--metrics", help="eval.json from 'dreamwalk eval world' to carry in the manifest")
    parser.add_argument("--fp16", action="store_true", help="also write fp16 graphs (used on GPU providers)")
    parser.add_argument("--int8", action="store_true", help="also write an int8 dynamics graph (used on CPUs: "
                        "faster where the CPU lacks AVX512)")
    parser.add_argument("--autoencoder", help="a sharpened decoder of the same encoder ('dreamwalk train decoder')")
    parser.set_defaults(run=export)

    rebuild = commands.add_parser("recover", help="rebuild a world pack's PyTorch checkpoints from its ONNX graphs "
                                  "(to evaluate, fine-tune or distil from a world whose run is gone)")
    rebuild.add_argument("pack", help="world pack (.dwpack file or folder)")
    rebuild.add_argument("--out", required=True, help="folder for dynamics.safetensors and autoencoder.safetensors")
    rebuild.set_defaults(run=recover)

    show = commands.add_parser("info", help="show a world pack's manifest (after verifying the pack)")
    show.add_argument("pack")
    show.add_argument("--json", action="store_true")
    show.add_argument("--card", action="store_true", help="print the pack's model card")
    show.set_defaults(run=info)


def add_pack(commands: Any) -> None:
    pack = commands.add_parser("pack", help="work on an existing world pack").add_subparsers(
        dest="pack_command", metavar="ACTION", required=True)
    int8 = pack.add_parser("int8", help="add an int8 dynamics graph (checked against the fp32 one) to a pack")
    int8.add_argument("pack")
    int8.add_argument("--out", required=True, help="the new pack file (NAME.dwpack)")
    int8.set_defaults(run=pack_int8)
    memory = pack.add_parser("memory", help="give a pack a world memory: a depth graph and the camera's motion")
    memory.add_argument("pack")
    memory.add_argument("--depth", required=True, help="depth network checkpoint ('dreamwalk train depth')")
    memory.add_argument("--motion", required=True, help="recordings with poses to fit the camera's motion on")
    memory.add_argument("--out", required=True, help="the new pack file (NAME.dwpack)")
    memory.add_argument("--no-builder", action="store_true", help="leave out the world builder: what the picture "
                        "never showed is dreamed, not continued from the picture's own pixels")
    memory.add_argument("--name", help="the new world's name (default: the pack's, \"with a memory\")")
    memory.set_defaults(run=pack_memory)
    card = pack.add_parser("card", help="write a pack's model card from its measured numbers")
    card.add_argument("pack")
    card.add_argument("--eval", required=True, help="the pack's 'dreamwalk eval world' report (eval.json)")
    card.add_argument("--bench", required=True, help="'dreamwalk bench run --json' of the pack")
    card.add_argument("--prompts", required=True, help="'dreamwalk eval prompts' report (prompt_rollouts.json)")
    card.add_argument("--notes", required=True, help="the card's prose (Markdown)")
    card.add_argument("--out", required=True, help="the card (Markdown)")
    card.add_argument("--figures", help="folder of strips.png, long_rollout.png, prompt_rollouts.png, relative to "
                      "--out")
    card.add_argument("--embed", action="store_true", help="also put the card into the (zip) pack")
    card.set_defaults(run=pack_card)
