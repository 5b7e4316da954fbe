"""The ``dreamwalk`` command: the engine's stages, one module each (data, training, evaluation, export, play,
bench). Each handler builds its stage's config, calls the engine, and prints the report's lines."""

from __future__ import annotations

import argparse
import os
import sys

from engine.cli.bench import add_bench
from engine.cli.data import add_collect, add_data
from engine.cli.evaluation import add_eval
from engine.cli.export import add_export, add_pack
from engine.cli.play import add_render
from engine.cli.training import add_training
from engine.errors import DreamwalkError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dreamwalk", description="Dreamwalk engine: record gameplay, "
                                     "train, distill, export and evaluate world models.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (add_collect, add_training, add_eval, add_export, add_pack, add_bench, add_data, add_render):
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DreamwalkError as error:
        print(f"dreamwalk: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dreamwalk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                      # `dreamwalk info PACK | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
