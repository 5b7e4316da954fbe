"""What every report shares: a mean with its standard error, horizons as JSON keys, and reading a report
file into its type (one error line for a file that is not one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

from engine.errors import DreamwalkError
from engine.files import write_json

Report = TypeVar("Report")


class ReportError(DreamwalkError):
    """A file that is not the report a command reads."""


@dataclass(frozen=True)
class Estimate:
    """A mean and, where it was measured, its standard error (over windows or starts)."""

    mean: float
    error: float | None = None

    def signed(self) -> str:
        """'+0.37 ± 0.15', or '+0.37' without an error."""
        return f"{self.mean:+.2f}" + (f" ± {self.error:.2f}" if self.error is not None else "")

    def unsigned(self) -> str:
        """'43.24 ± 0.30', or '43.24' without an error."""
        return f"{self.mean:.2f}" + (f" ± {self.error:.2f}" if self.error is not None else "")


def horizons_from_json(values: dict[str, Any]) -> dict[int, Any]:
    """{"1": x, "16": y} -> {1: x, 16: y}: frames after the prompt as numbers, in the report's order."""
    return {int(horizon): value for horizon, value in values.items()}


def horizons_to_json(values: dict[int, Any]) -> dict[str, Any]:
    return {str(horizon): value for horizon, value in values.items()}


def optional(values: dict[str, Any], key: str, parse: Callable[[Any], Any]) -> Any:
    """``parse(values[key])``, or None where the report has no such key (written by an older version)."""
    return parse(values[key]) if values.get(key) is not None else None


def read_report(path: str | Path, parse: Callable[[Any], Report], kind: str) -> Report:
    """A report file read into its type by ``parse`` (a ``from_json``); ``kind`` names the command that
    writes such files, for the one error line a file that is not one gets."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError(f"{path} is not a readable {kind} report: {error}") from error
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ReportError(f"{path} is not a {kind} report (it lacks or mistypes {error})") from error


def write_report(path: str | Path, data: Any) -> None:
    """A report's JSON (``to_json()``), indented as every report has been, replacing the file whole."""
    write_json(path, data)
