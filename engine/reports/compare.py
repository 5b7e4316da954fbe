"""The reports of `dreamwalk eval compare`: two worlds on the same windows compared window by window
(``PairedComparison``), or one world's reports pooled into one estimate (``PooledReport``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.reports.common import Estimate, horizons_from_json, horizons_to_json


@dataclass
class PairedComparison:
    """Second minus first at each horizon: the mean difference over the windows and its standard error."""

    psnr: dict[int, Estimate]
    dtpsnr: dict[int, Estimate]
    windows: int | None = None            # how many windows were paired (not in the JSON)

    def to_json(self) -> dict[str, Any]:
        return {metric: horizons_to_json({h: [value.mean, value.error] for h, value in values.items()})
                for metric, values in (("psnr", self.psnr), ("dtpsnr", self.dtpsnr))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PairedComparison:
        def estimates(values: dict[str, list[float]]) -> dict[int, Estimate]:
            return {h: Estimate(mean, error) for h, (mean, error) in horizons_from_json(values).items()}

        return cls(estimates(data["psnr"]), estimates(data["dtpsnr"]))

    def lines(self) -> list[str]:
        over = f"the same {self.windows} windows" if self.windows is not None else "the same windows"
        lines = [f"second minus first over {over} (± standard error of the mean difference):"]
        for values, label in ((self.psnr, "PSNR (and so PSNR over copy)"), (self.dtpsnr, "dTPSNR")):
            cells = ", ".join(f"{h}: {value.signed()}" for h, value in values.items())
            lines.append(f"  {label}: {cells} dB")
        return lines


@dataclass
class PooledReport:
    """Window-weighted means of one world's reports (None where no report has the metric) and their pooled
    standard errors; ``metrics`` in the order they are shown, named as they are shown."""

    metrics: dict[str, float | None] = field(default_factory=dict)
    windows: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**self.metrics, "windows": self.windows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PooledReport:
        return cls({name: value for name, value in data.items() if name != "windows"}, data["windows"])

    def lines(self) -> list[str]:
        rows = [*self.metrics.items(), ("windows", float(self.windows))]
        return [f"{name:>16} " + ("-" if value is None else f"{value:.2f}") for name, value in rows]
