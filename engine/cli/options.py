"""Argument types and flags shared by several commands."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from engine.errors import DreamwalkError

if TYPE_CHECKING:
    from engine.models.sampling import SamplerConfig


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive noise level, got {text}")
    return value


def count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def display_size(text: str | None) -> tuple[int, int] | None:
    """'640x480' -> (640, 480); None stays None; anything else is one error line."""
    if not text:
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise DreamwalkError(f"--size takes WIDTHxHEIGHT, such as 160x120, not {text!r}") from None
    return width, height


# The sampler's settings one may choose, as the command line takes them: SamplerConfig's field -> the
# argument's type and help (its flag is the field's ``flag``). Eval and export share them.
SAMPLER_ARGUMENTS: dict[str, dict[str, Any]] = {
    "name": {"help": "default: heun (teacher), euler (student)"},
    "steps": {"type": int, "help": "sampler steps per frame; default 4 (teacher), 1 (student)"},
    "guidance_scale": {"type": float, "help": "action guidance scale (default 1: a student has it built in)"},
    "sigma_max": {"type": float, "help": "noise level sampling starts from (default: trained, or distilled at)"},
    "prior_sigma": {"type": positive_float, "help": "a teacher starts sampling from its own guess at this level, "
                    "so the action moves the view (truncated sampling alone keeps the last frame)"},
    "context_sigma": {"type": float, "help": "noise level dreamed frames enter the context at (default: trained, "
                      "or distilled at; higher trusts them less)"},
}


def add_sampler_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per sampler setting one may choose (``SAMPLER_ARGUMENTS``), left None when not given."""
    from engine.models.sampling import SAMPLERS, SamplerConfig

    flags = {item.name: item.metadata["flag"] for item in fields(SamplerConfig) if "flag" in item.metadata}
    for name, argument in SAMPLER_ARGUMENTS.items():
        choices = tuple(SAMPLERS) if name == "name" else None
        parser.add_argument(flags[name], dest=name, choices=choices, **argument)


def sampler_config(args: argparse.Namespace) -> "SamplerConfig":
    """The sampler flags (declared by ``add_sampler_flags``) as a SamplerConfig, the settings not given None."""
    from engine.models.sampling import SamplerConfig

    return SamplerConfig(**{name: getattr(args, name) for name in SAMPLER_ARGUMENTS})


def print_lines(lines: list[str]) -> None:
    print("\n".join(lines))
