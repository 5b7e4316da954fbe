"""The report of `dreamwalk bench run` (--json): how fast a world plays here, one row per setting; with rounds, one
row per setting timed in alternating rounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BenchSetting:
    """One setting timed once: frame times over a scripted walk-and-turn, from opening the world to its first
    frame, and (a world with the builder) when its surround was ready. Rows of older versions lack the
    precision, cache binding, size, memory and surround."""

    provider: str
    sampler: str
    steps: int
    network_evaluations_per_frame: int
    first_frame_s: float
    median_ms: float
    p99_ms: float
    fps: float
    frames: int
    precision: str | None = None
    io_binding: bool | None = None
    cache_pass_folded: bool | None = None
    size: list[int] | None = None
    memory: bool | None = None
    surround_s: dict[str, float] | None = None     # coarse, refined, waited (seconds); empty without a builder

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"provider": self.provider}
        data.update({key: value for key, value in (("precision", self.precision), ("io_binding", self.io_binding))
                     if value is not None})
        data.update({"sampler": self.sampler, "steps": self.steps})
        if self.cache_pass_folded is not None:
            data["cache_pass_folded"] = self.cache_pass_folded
        data.update({"network_evaluations_per_frame": self.network_evaluations_per_frame,
                     "first_frame_s": self.first_frame_s, "median_ms": self.median_ms, "p99_ms": self.p99_ms,
                     "fps": self.fps, "frames": self.frames})
        data.update({key: value for key, value in (("size", self.size), ("memory", self.memory),
                                                   ("surround_s", self.surround_s)) if value is not None})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchSetting:
        return cls(data["provider"], data["sampler"], data["steps"], data["network_evaluations_per_frame"],
                   data["first_frame_s"], data["median_ms"], data["p99_ms"], data["fps"], data["frames"],
                   data.get("precision"), data.get("io_binding"), data.get("cache_pass_folded"), data.get("size"),
                   data.get("memory"), data.get("surround_s"))

    def lines(self) -> list[str]:
        size = f"{self.size[0]}x{self.size[1]}" if self.size else "-"
        lines = [f"{self.provider:<22} {self.precision or 'fp32':<4} {'bound' if self.io_binding else 'host ':<5} "
                 f"{size}{' +memory' if self.memory else ''} {self.sampler} x{self.steps:<2} "
                 f"({self.network_evaluations_per_frame:>2} evaluations/frame): median {self.median_ms:6.1f} ms, "
                 f"p99 {self.p99_ms:6.1f} ms, {self.fps:6.1f} frames/s; first frame {self.first_frame_s:.2f} s "
                 "after open"]
        if self.surround_s:
            timings = self.surround_s
            lines.append(f"  surround: coarse in {timings['coarse']:.2f} s while the first frame was made (the first "
                         f"step waited {timings.get('coarse waited', 0):.2f} s), refined in "
                         f"{timings.get('refined', 0):.2f} s beside play (waited for {timings.get('waited', 0):.2f} s)")
        return lines


@dataclass
class RoundsSetting:
    """One setting timed in every round of alternating rounds: medians over every frame of every round."""

    setting: str
    rounds: int
    frames: int
    median_ms: float
    p99_ms: float
    round_medians_ms: list[float]
    fps: float

    def to_json(self) -> dict[str, Any]:
        return {"setting": self.setting, "rounds": self.rounds, "frames": self.frames, "median_ms": self.median_ms,
                "p99_ms": self.p99_ms, "round_medians_ms": self.round_medians_ms, "fps": self.fps}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoundsSetting:
        return cls(data["setting"], data["rounds"], data["frames"], data["median_ms"], data["p99_ms"],
                   list(data["round_medians_ms"]), data["fps"])

    def line(self, width: int) -> str:
        return (f"{self.setting:>{width}}: median {self.median_ms:.1f} ms ({self.fps:.1f} frames/s), "
                f"p99 {self.p99_ms:.1f} ms; round medians " + ", ".join(f"{m:.1f}" for m in self.round_medians_ms))


@dataclass
class BenchReport:
    rows: list[BenchSetting | RoundsSetting] = field(default_factory=list)

    def to_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.rows]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]] | dict[str, Any]) -> BenchReport:
        """A list of rows; a dict holds them under "results"."""
        rows = data if isinstance(data, list) else data["results"]
        return cls([RoundsSetting.from_json(row) if "setting" in row else BenchSetting.from_json(row) for row in rows])

    def lines(self) -> list[str]:
        width = max((len(row.setting) for row in self.rows if isinstance(row, RoundsSetting)), default=0)
        return [line for row in self.rows
                for line in (row.lines() if isinstance(row, BenchSetting) else [row.line(width)])]
