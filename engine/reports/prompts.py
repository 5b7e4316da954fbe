"""The report of `dreamwalk eval prompts` (prompt_rollouts.json): a world pack rolled out from each picture of a
folder with a fixed action script (engine.evaluation.prompts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.reports.common import horizons_from_json, horizons_to_json


@dataclass
class PromptRollout:
    """One picture's rollout: contrast, sharpness and motion over the last 100 frames (against the first frame),
    frames gone flat, blurred or still, the view's shift turning left and right (px/frame; content moves right
    as the view turns left), the same from one moment branched left and right, and standing still from the
    picture (PSNR against it at 1/16/60 frames)."""

    frames: int
    contrast_ratio_last_100: float
    sharpness_ratio_last_100: float
    flat_frames: int
    still_frames: int
    mean_motion_last_100: float
    shift_turning_left: float
    shift_turning_right: float
    branch_shift_left: float
    branch_shift_right: float
    turns_both_ways: bool
    blurred_frames: int | None = None
    still_psnr: dict[int, float] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"frames": self.frames, "contrast_ratio_last_100": self.contrast_ratio_last_100,
                                "sharpness_ratio_last_100": self.sharpness_ratio_last_100,
                                "flat_frames": self.flat_frames}
        if self.blurred_frames is not None:
            data["blurred_frames"] = self.blurred_frames
        data.update({"still_frames": self.still_frames, "mean_motion_last_100": self.mean_motion_last_100,
                     "shift_turning_left": self.shift_turning_left, "shift_turning_right": self.shift_turning_right,
                     "branch_shift_left": self.branch_shift_left, "branch_shift_right": self.branch_shift_right,
                     "turns_both_ways": self.turns_both_ways})
        if self.still_psnr is not None:
            data["still_psnr"] = horizons_to_json(self.still_psnr)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PromptRollout:
        still = data.get("still_psnr")
        return cls(data["frames"], data["contrast_ratio_last_100"], data["sharpness_ratio_last_100"],
                   data["flat_frames"], data["still_frames"], data["mean_motion_last_100"], data["shift_turning_left"],
                   data["shift_turning_right"], data["branch_shift_left"], data["branch_shift_right"],
                   data["turns_both_ways"], data.get("blurred_frames"),
                   None if still is None else horizons_from_json(still))

    def line(self, name: str) -> str:
        still = "/".join(f"{value:.1f}" for value in self.still_psnr.values()) if self.still_psnr else "-"
        return (f"{name:28s} contrast {self.contrast_ratio_last_100:.2f} sharpness "
                f"{self.sharpness_ratio_last_100:.2f} motion {self.mean_motion_last_100:.1f} turn L/R "
                f"{self.shift_turning_left:+.2f}/{self.shift_turning_right:+.2f} px/frame, branch L/R "
                f"{self.branch_shift_left:+.2f}/{self.branch_shift_right:+.2f}, still {still} dB")


@dataclass
class PromptReport:
    pack: str
    results: dict[str, PromptRollout]       # picture name -> its rollout
    precision: str | None = None            # the dynamics as played (None: an older report)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"pack": self.pack}
        if self.precision is not None:
            data["precision"] = self.precision
        data["results"] = {name: rollout.to_json() for name, rollout in self.results.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PromptReport:
        return cls(data["pack"], {name: PromptRollout.from_json(rollout) for name, rollout in data["results"].items()},
                   data.get("precision"))

    def lines(self) -> list[str]:
        return [rollout.line(name) for name, rollout in self.results.items()]
