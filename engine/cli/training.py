"""`dreamwalk train`, `dreamwalk distill` and `dreamwalk average`: the networks' training stages."""

from __future__ import annotations

import argparse
from typing import Any

from engine.errors import DreamwalkError


def train(args: argparse.Namespace) -> int:
    from engine.training.stages import train_stage

    quick = {"data": getattr(args, "data", None), "teacher": getattr(args, "teacher", None), "train.out": args.out}
    summary, out = train_stage(args.stage, args.preset, {key: value for key, value in quick.items()
                                                         if value is not None}, args.set, quiet=args.quiet)
    state = "interrupted: saved" if summary["interrupted"] else "finished"
    print(f"{state} at step {summary['step']} ({summary['samples']:,} samples, "
          f"{summary['trained_minutes']:.1f} min) in {out}")
    return 130 if summary["interrupted"] else 0


def average(args: argparse.Namespace) -> int:
    from engine.training.average import average_checkpoints

    try:
        weights = [float(w) for w in args.weights.split(",")]
    except ValueError:
        raise DreamwalkError(f"--weights takes a comma list of numbers in [0, 1], not {args.weights!r}") from None
    for path in average_checkpoints(args.first, args.second, weights, args.out):
        print(f"wrote {path}")
    return 0


def add_training(commands: Any) -> None:
    stage = commands.add_parser("train", help="train the autoencoder or the dynamics model (resumes from --out)",
                                description="Train a stage from a preset; --set overrides any config field "
                                "(e.g. --set train.steps=2000). Ctrl-C saves; the same command resumes.")
    stage.add_argument("stage", choices=["autoencoder", "dynamics", "decoder", "depth"],
                       help="decoder: sharpen an autoencoder's decoder (GAN), its encoder frozen; depth: the "
                       "monocular depth network (frames recorded with --depth)")
    stage.add_argument("--data", help="folder of episode shards (same as --set data=...)")
    distill = commands.add_parser("distill", help="distil a trained world model into a one-step student",
                                  description="Train a one-step student from a dynamics checkpoint, guidance "
                                  "folded in. Ctrl-C saves; the same command resumes.")
    distill.set_defaults(stage="distill")
    distill.add_argument("teacher", help="the teacher's dynamics.safetensors")
    for parser in (stage, distill):
        parser.add_argument("--preset", default="default", help="tiny (seconds, for tests), default (2-core CPU) "
                            "or gpu")
        parser.add_argument("--out", help="run folder (same as --set train.out=...)")
        parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.set_defaults(run=train)
    blend = commands.add_parser("average", help="blend two checkpoints of one network in weight space "
                                "(two decoders of one autoencoder, or two students)")
    blend.add_argument("first", help="the checkpoint at weight 0")
    blend.add_argument("second", help="one of the same network at weight 1 (its metadata is kept)")
    blend.add_argument("--weights", default="0.5", help="weights of the second, comma-separated, each in [0, 1]")
    blend.add_argument("--out", required=True, help="folder for soup-NNN/<the second's file name>")
    blend.set_defaults(run=average)
