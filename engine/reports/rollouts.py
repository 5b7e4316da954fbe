"""The parts of a `dreamwalk eval world` report (engine.reports.evaluation): the sampler and training it was
measured with, teacher-forced and autoregressive rollouts at horizons (frames after the prompt; each metric the
mean over the windows, ``stderr`` its standard error), long rollouts, standing still and per-window values.
Parts an older version did not measure are None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.reports.common import Estimate, horizons_from_json, horizons_to_json, optional

Horizons = dict[int, float]


@dataclass
class SamplerUsed:
    """The sampler the world was measured with (a pack's own, or a checkpoint's resolved one)."""

    name: str
    steps: int
    sigma_max: float | None = None
    prior_sigma: float | None = None
    context_sigma: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "steps": self.steps, "sigma_max": self.sigma_max,
                "prior_sigma": self.prior_sigma, "context_sigma": self.context_sigma}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SamplerUsed:
        return cls(data["name"], data["steps"], data.get("sigma_max"), data.get("prior_sigma"),
                   data.get("context_sigma"))


@dataclass
class Training:
    step: int
    samples: int
    trained_minutes: float

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "samples": self.samples, "trained_minutes": self.trained_minutes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Training:
        return cls(data["step"], data["samples"], data["trained_minutes"])


@dataclass
class TeacherForced:
    """Next-frame prediction with the true previous frames as context."""

    psnr: float
    ssim: float

    def to_json(self) -> dict[str, Any]:
        return {"psnr": self.psnr, "ssim": self.ssim}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TeacherForced:
        return cls(data["psnr"], data["ssim"])


@dataclass
class RolloutErrors:
    """Standard errors over the windows of a rollout's means."""

    psnr: Horizons
    vs_copy: Horizons
    dtpsnr: Horizons
    vs_rotated: Horizons | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"psnr": horizons_to_json(self.psnr), "vs_copy": horizons_to_json(self.vs_copy),
                "dtpsnr": horizons_to_json(self.dtpsnr)}
        if self.vs_rotated is not None:
            data["vs_rotated"] = horizons_to_json(self.vs_rotated)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RolloutErrors:
        return cls(horizons_from_json(data.get("psnr", {})), horizons_from_json(data["vs_copy"]),
                   horizons_from_json(data["dtpsnr"]), optional(data, "vs_rotated", horizons_from_json))


@dataclass
class Rollouts:
    """Autoregressive rollouts from the prompts at one guidance scale, with the true actions: PSNR against the
    real frames, against the copied prompt (``vs_copy``) and the turned prompt (``vs_rotated``), dTPSNR (true
    actions against another window's) and the sharpness ratio (generated over real)."""

    psnr: Horizons
    dtpsnr: Horizons
    sharpness_ratio: Horizons
    ssim_16: float | None
    ms_per_frame: float
    vs_copy: Horizons | None = None
    stderr: RolloutErrors | None = None
    vs_rotated: Horizons | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"psnr": horizons_to_json(self.psnr), "dtpsnr": horizons_to_json(self.dtpsnr)}
        if self.vs_copy is not None:
            data["vs_copy"] = horizons_to_json(self.vs_copy)
        if self.stderr is not None:
            data["stderr"] = self.stderr.to_json()
        data.update({"sharpness_ratio": horizons_to_json(self.sharpness_ratio), "ssim_16": self.ssim_16,
                     "ms_per_frame": self.ms_per_frame})
        if self.vs_rotated is not None:
            data["vs_rotated"] = horizons_to_json(self.vs_rotated)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rollouts:
        return cls(horizons_from_json(data["psnr"]), horizons_from_json(data["dtpsnr"]),
                   horizons_from_json(data["sharpness_ratio"]), data.get("ssim_16"), data.get("ms_per_frame", 0.0),
                   optional(data, "vs_copy", horizons_from_json), optional(data, "stderr", RolloutErrors.from_json),
                   optional(data, "vs_rotated", horizons_from_json))

    def error(self, metric: str, horizon: int) -> float | None:
        """The standard error of ``metric`` (psnr, vs_copy, dtpsnr or vs_rotated) at ``horizon``, if measured."""
        errors = getattr(self.stderr, metric, None) if self.stderr is not None else None
        return errors.get(horizon) if errors is not None else None


@dataclass
class LongRollout:
    """Long rollouts of the probe's actions: contrast and sharpness against real frames over 50-frame blocks,
    and frames gone flat or blurred (under 0.3 of real)."""

    frames: int
    ms_per_frame: float
    contrast_ratio_last_100: float
    sharpness_ratio_last_100: float
    contrast_ratio_range: list[float]
    sharpness_ratio_range: list[float]
    flat_frames: int
    blurred_frames: int | None = None
    prompts: list[str] | None = None        # the places the rollouts started from

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "frames": self.frames, "ms_per_frame": self.ms_per_frame,
            "contrast_ratio_last_100": self.contrast_ratio_last_100,
            "sharpness_ratio_last_100": self.sharpness_ratio_last_100,
            "contrast_ratio_range": self.contrast_ratio_range, "sharpness_ratio_range": self.sharpness_ratio_range,
            "flat_frames": self.flat_frames}
        if self.blurred_frames is not None:
            data["blurred_frames"] = self.blurred_frames
        if self.prompts is not None:
            data["prompts"] = self.prompts
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LongRollout:
        return cls(data["frames"], data["ms_per_frame"], data["contrast_ratio_last_100"],
                   data["sharpness_ratio_last_100"], list(data["contrast_ratio_range"]),
                   list(data["sharpness_ratio_range"]), data["flat_frames"], data.get("blurred_frames"),
                   data.get("prompts"))

    def line(self) -> str:
        low, high = self.contrast_ratio_range
        sharp_low, sharp_high = self.sharpness_ratio_range
        places = f" from {', '.join(self.prompts)}" if self.prompts else ""
        blurred = "-" if self.blurred_frames is None else self.blurred_frames
        return (f"{self.frames}-frame rollouts{places}: contrast ratio {low:.2f}-{high:.2f}, sharpness ratio "
                f"{sharp_low:.2f}-{sharp_high:.2f}, flat frames {self.flat_frames}, blurred frames {blurred}, "
                f"{self.ms_per_frame:.1f} ms/frame")


@dataclass
class StandingStill:
    """No action from the prompt on: PSNR of the dreamed frames against the prompt, beside the decoder's copy."""

    psnr: Horizons
    ceiling: float

    def to_json(self) -> dict[str, Any]:
        return {"psnr": horizons_to_json(self.psnr), "ceiling": self.ceiling}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StandingStill:
        return cls(horizons_from_json(data["psnr"]), data["ceiling"])


@dataclass
class Strips:
    """The windows strips.png shows, and the places they are from."""

    windows: list[int]
    places: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"windows": self.windows, "places": self.places}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Strips:
        return cls(list(data["windows"]), list(data["places"]))


@dataclass
class PerWindow:
    """Each window's PSNR, copy-prompt PSNR and dTPSNR at each horizon: two worlds measured on the same windows
    compare window by window."""

    psnr: dict[int, list[float]]
    copy: dict[int, list[float]]
    dtpsnr: dict[int, list[float]]

    def to_json(self) -> dict[str, Any]:
        return {"psnr": horizons_to_json(self.psnr), "copy": horizons_to_json(self.copy),
                "dtpsnr": horizons_to_json(self.dtpsnr)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PerWindow:
        return cls(horizons_from_json(data["psnr"]), horizons_from_json(data["copy"]),
                   horizons_from_json(data["dtpsnr"]))


@dataclass(frozen=True)
class HorizonRow:
    """One horizon of the report, as the command's lines and the model card's table show it."""

    horizon: int
    psnr: float
    copy: float
    vs_copy: Estimate
    turned: float | None
    vs_turned: Estimate | None
    dtpsnr: Estimate
    sharpness_ratio: float
