"""The report of `dreamwalk eval depth` (depth.json): the depth network on held-out frames recorded with their
true depth, beside the per-pixel median depth of those frames (no network)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class DepthErrors:
    """The standard monocular depth errors (Eigen et al. 2014) over pixels with a true depth."""

    abs_rel: float                  # mean |predicted - true| / true
    rmse_log: float                 # RMSE of log depth
    delta_1_25: float               # share of pixels within a factor 1.25

    def to_json(self) -> dict[str, float]:
        return {"abs_rel": self.abs_rel, "rmse_log": self.rmse_log, "delta_1_25": self.delta_1_25}

    @classmethod
    def from_json(cls, data: dict[str, float]) -> DepthErrors:
        return cls(data["abs_rel"], data["rmse_log"], data["delta_1_25"])


@dataclass
class DepthTraining:
    """What the checkpoint says of its training (None where it does not say)."""

    step: int | None = None
    samples: int | None = None
    trained_minutes: float | None = None
    hardware: str | None = None
    frames: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "samples": self.samples, "trained_minutes": self.trained_minutes,
                "hardware": self.hardware, "frames": self.frames}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DepthTraining:
        return cls(data.get("step"), data.get("samples"), data.get("trained_minutes"), data.get("hardware"),
                   data.get("frames"))


@dataclass
class DepthReport:
    checkpoint: str
    data: str                       # the held-out recordings
    frames: int
    size: list[int]                 # (width, height) the network reads
    trained: DepthTraining
    errors: DepthErrors
    median_reference: DepthErrors
    prompts: list[str] | None = None    # the pictures depth_prompts.png shows, in order

    def to_json(self) -> dict[str, Any]:
        data = {"checkpoint": self.checkpoint, "data": self.data, "frames": self.frames, "size": self.size,
                "trained": self.trained.to_json(), "errors": self.errors.to_json(),
                "median_reference": self.median_reference.to_json()}
        if self.prompts is not None:
            data["prompts"] = self.prompts
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DepthReport:
        return cls(data["checkpoint"], data["data"], data["frames"], list(data["size"]),
                   DepthTraining.from_json(data["trained"]), DepthErrors.from_json(data["errors"]),
                   DepthErrors.from_json(data["median_reference"]), data.get("prompts"))

    def lines(self) -> list[str]:
        errors, reference = self.errors, self.median_reference
        return [f"{self.frames} held-out frames at {self.size[0]}x{self.size[1]}: AbsRel {errors.abs_rel:.3f}, "
                f"delta<1.25 {errors.delta_1_25:.3f}, RMSE log {errors.rmse_log:.3f} (per-pixel median depth, no "
                f"network: {reference.abs_rel:.3f} / {reference.delta_1_25:.3f} / {reference.rmse_log:.3f})"]
