"""`dreamwalk bench`: how fast a world plays on this machine (``run``), and the runtime checked on a device
(``check``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli.options import display_size, print_lines
from engine.errors import DreamwalkError

if TYPE_CHECKING:
    from engine.runtime.bench import BenchConfig

IO_BINDINGS = {"auto": None, "on": True, "off": False}


def bench_config(args: argparse.Namespace) -> "BenchConfig":
    from engine.runtime.bench import BenchConfig

    unknown = [x for x in args.io_binding.split(",") if x not in IO_BINDINGS]
    if unknown:
        raise DreamwalkError(f"--io-binding takes a comma list of auto, on and off, not {unknown[0]!r}")
    try:
        steps = [int(x) for x in args.steps.split(",")] if args.steps else [None]
    except ValueError:
        raise DreamwalkError(f"--steps takes a comma list of step counts, not {args.steps!r}") from None
    return BenchConfig(args.pack, args.device.split(","), steps, args.frames, args.precision.split(","),
                       [IO_BINDINGS[x] for x in args.io_binding.split(",")], args.rounds, display_size(args.size),
                       args.prompt)


def run(args: argparse.Namespace) -> int:
    from engine.reports import write_report
    from engine.runtime.bench import run_bench

    report = run_bench(bench_config(args))
    print_lines(report.lines())
    if args.json:
        write_report(Path(args.json), report.to_json())
    return 0


def check(args: argparse.Namespace) -> int:
    from engine.runtime.check import check_device
    from engine.runtime.session import DEFAULT_WORLD, DEFAULT_WORLDS

    return check_device(args.pack or str(DEFAULT_WORLDS / DEFAULT_WORLD), Path(args.json), args.device, args.frames)


def add_bench(commands: Any) -> None:
    benches = commands.add_parser("bench", help="how fast a world pack plays on this machine (run); the runtime "
                                  "checked on a device (check)").add_subparsers(dest="bench_command", metavar="ACTION",
                                                                               required=True)
    timing = benches.add_parser("run", help="frame time and frames/s of a world pack on this machine")
    timing.add_argument("pack", nargs="?", help="world pack (default: the bundled world)")
    timing.add_argument("--device", default="auto", help="comma list: auto, cpu, cuda, ...")
    timing.add_argument("--steps", default="", help="comma list of sampler step counts (default: the pack's)")
    timing.add_argument("--frames", type=int, default=300)
    timing.add_argument("--precision", default="auto", help="comma list: auto, fp32, fp16, int8 (default: "
                        "auto, what play picks: int8 on CPUs and fp16 on GPUs where the pack has them)")
    timing.add_argument("--io-binding", default="auto", help="comma list: auto, on, off (the key/value cache "
                        "kept in device memory; auto: on CUDA)")
    timing.add_argument("--size", help="frames shown at WIDTHxHEIGHT (default: the world's own size)")
    timing.add_argument("--prompt", help="start from this picture (default: a noise picture; a world that "
                        "builds what the picture never showed is best benched from a real one)")
    timing.add_argument("--rounds", type=int, default=1, help="above 1: the settings take turns, round after "
                        "round, so the CPU's drift falls on all of them (each round opens the world anew)")
    timing.add_argument("--json", help="also write the results here")
    timing.set_defaults(run=run)
    checking = benches.add_parser("check", help="check the runtime on a device: latents against the CPU's, "
                                  "replay after restore, flat memory, frame times")
    checking.add_argument("pack", nargs="?", help="world pack (default: the bundled world)")
    checking.add_argument("--device", default="cuda", help="cuda (or cpu, to try the check where no GPU is)")
    checking.add_argument("--frames", type=int, default=300, help="frames each timing runs")
    checking.add_argument("--json", required=True, help="the report, written as it goes")
    checking.set_defaults(run=check)
