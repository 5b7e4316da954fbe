"""A CSV metrics log that survives restarts (appends) and a loss-curve PNG drawn from it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


class MetricsLog:
    def __init__(self, path: Path, resume_step: int) -> None:
        self.path = Path(path)
        rows = self.read(self.path) if self.path.exists() else []
        kept = [row for row in rows if int(float(row["step"])) <= resume_step]   # drop steps lost in a crash
        self.fields: list[str] = list(rows[0].keys()) if rows else []
        if len(kept) != len(rows):
            self._rewrite(kept)

    @staticmethod
    def read(path: Path) -> list[dict[str, str]]:
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))

    def _rewrite(self, rows: list[dict[str, Any]]) -> None:
        with open(self.path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.fields)
            writer.writeheader()
            writer.writerows(rows)

    def log(self, row: dict[str, Any]) -> None:
        new = not self.path.exists() or not self.fields
        if new:
            self.fields = list(row.keys())
        with open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)

    def plot(self, out: Path, keys: tuple[str, ...] = ("loss",)) -> None:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = self.read(self.path) if self.path.exists() else []
        if not rows:
            return
        figure, axis = plt.subplots(figsize=(7, 4))
        steps = [float(row["step"]) for row in rows]
        for key in keys:
            if key in rows[0]:
                axis.plot(steps, [float(row[key]) for row in rows], label=key)
        axis.set_xlabel("step")
        axis.set_yscale("log")
        axis.grid(alpha=0.3)
        axis.legend()
        figure.tight_layout()
        figure.savefig(out, dpi=90)
        plt.close(figure)
