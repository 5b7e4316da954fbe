"""Argument types and flags shared by several commands."""

from __future__ import annotations

import argparse
import typing
from dataclasses import fields
from typing import TYPE_CHECKING

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


def add_sampler_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per SamplerConfig field, its help and type from the dataclass (eval and export share them)."""
    from engine.models.sampling import SamplerConfig

    hints = typing.get_type_hints(SamplerConfig)
    for item in fields(SamplerConfig):
        kind = next(k for k in typing.get_args(hints[item.name]) if k is not type(None))
        parser.add_argument(item.metadata["flag"], dest=item.name, choices=item.metadata.get("choices"),
                            type=positive_float if item.metadata.get("positive") else kind, help=item.metadata["help"])


def sampler_config(args: argparse.Namespace) -> "SamplerConfig":
    """The sampler flags (declared from SamplerConfig's fields by ``add_sampler_flags``) as a SamplerConfig."""
    from engine.models.sampling import SamplerConfig

    return SamplerConfig(**{item.name: getattr(args, item.name) for item in fields(SamplerConfig)})


def print_lines(lines: list[str]) -> None:
    print("\n".join(lines))
