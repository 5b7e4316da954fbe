"""The report of `dreamwalk eval world` (eval.json, and a pack's manifest metrics): a world model against the
simulator on held-out maps, read and written by one type and put into words once (``lines`` for the command
and `dreamwalk info`, ``summary`` for the launcher, ``horizon_rows`` for the model card's table).

Reports of older versions lack some parts (no source before MiniWorld worlds: ViZDoom; no standard errors,
per-window values, standing still or turned prompt): those parts are None and the lines leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.reports.common import Estimate, horizons_from_json, horizons_to_json, optional
from engine.reports.rollouts import (Horizons, HorizonRow, LongRollout, PerWindow, Rollouts, SamplerUsed,
                                     StandingStill, Strips, TeacherForced, Training)

SUMMARY_HORIZON = 16                   # the launcher's line: quality this many frames ahead


@dataclass
class EvalReport:
    world: str
    maps: list[str]
    windows: int
    horizon: int
    sampler: SamplerUsed
    training: Training
    autoencoder_psnr: float                 # the decoder's copy of real frames: the ceiling
    autoencoder_sharpness_ratio: float
    teacher_forced: TeacherForced
    copy_prompt_psnr: Horizons              # the prompt held still against the real frames
    guidance_sweep: dict[str, Rollouts]     # guidance scale -> rollouts
    autoregressive: Rollouts                # the sweep's entry at the world's own guidance scale
    source: str | None = None               # vizdoom or miniworld (None: an older ViZDoom report)
    autoencoder: str | None = None
    precision: str | None = None            # a pack's dynamics as played (None: a PyTorch checkpoint)
    rotated_prompt_psnr: Horizons | None = None   # the prompt turned by the probe's turns (ViZDoom)
    per_window: PerWindow | None = None
    standing_still: StandingStill | None = None
    long_rollout: LongRollout | None = None
    strips: Strips | None = None

    @property
    def simulator(self) -> str:
        return self.source or "vizdoom"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"world": self.world}
        if self.source is not None:
            data["source"] = self.source
        data.update({"maps": self.maps, "windows": self.windows, "horizon": self.horizon})
        if self.autoencoder is not None:
            data["autoencoder"] = self.autoencoder
        if self.precision is not None:
            data["precision"] = self.precision
        data.update({"sampler": self.sampler.to_json(), "training": self.training.to_json(),
                     "autoencoder_psnr": self.autoencoder_psnr,
                     "autoencoder_sharpness_ratio": self.autoencoder_sharpness_ratio,
                     "teacher_forced": self.teacher_forced.to_json(),
                     "copy_prompt_psnr": horizons_to_json(self.copy_prompt_psnr)})
        if self.rotated_prompt_psnr is not None:
            data["rotated_prompt_psnr"] = horizons_to_json(self.rotated_prompt_psnr)
        if self.per_window is not None:
            data["per_window"] = self.per_window.to_json()
        data["guidance_sweep"] = {scale: rollouts.to_json() for scale, rollouts in self.guidance_sweep.items()}
        data["autoregressive"] = self.autoregressive.to_json()
        for key, part in (("standing_still", self.standing_still), ("long_rollout", self.long_rollout),
                          ("strips", self.strips)):
            if part is not None:
                data[key] = part.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalReport:
        return cls(
            world=data["world"], maps=list(data["maps"]), windows=data["windows"], horizon=data["horizon"],
            sampler=SamplerUsed.from_json(data["sampler"]), training=Training.from_json(data["training"]),
            autoencoder_psnr=data["autoencoder_psnr"], autoencoder_sharpness_ratio=data["autoencoder_sharpness_ratio"],
            teacher_forced=TeacherForced.from_json(data["teacher_forced"]),
            copy_prompt_psnr=horizons_from_json(data["copy_prompt_psnr"]),
            guidance_sweep={scale: Rollouts.from_json(rollouts)
                            for scale, rollouts in data.get("guidance_sweep", {}).items()},
            autoregressive=Rollouts.from_json(data["autoregressive"]), source=data.get("source"),
            autoencoder=data.get("autoencoder"), precision=data.get("precision"),
            rotated_prompt_psnr=optional(data, "rotated_prompt_psnr", horizons_from_json),
            per_window=optional(data, "per_window", PerWindow.from_json),
            standing_still=optional(data, "standing_still", StandingStill.from_json),
            long_rollout=optional(data, "long_rollout", LongRollout.from_json),
            strips=optional(data, "strips", Strips.from_json))

    def horizon_rows(self) -> list[HorizonRow]:
        """Each horizon: PSNR against the copied and (ViZDoom) the turned prompt, dTPSNR and sharpness, with
        standard errors where the report has them."""
        auto, rows = self.autoregressive, []
        for h, copy in self.copy_prompt_psnr.items():
            psnr = auto.psnr[h]
            vs_copy = auto.vs_copy[h] if auto.vs_copy is not None else psnr - copy
            turned = self.rotated_prompt_psnr[h] if self.rotated_prompt_psnr is not None else None
            vs_turned = None
            if turned is not None:
                difference = auto.vs_rotated[h] if auto.vs_rotated is not None else psnr - turned
                vs_turned = Estimate(difference, auto.error("vs_rotated", h))
            rows.append(HorizonRow(h, psnr, copy, Estimate(vs_copy, auto.error("vs_copy", h)), turned, vs_turned,
                                   Estimate(auto.dtpsnr[h], auto.error("dtpsnr", h)), auto.sharpness_ratio[h]))
        return rows

    def lines(self) -> list[str]:
        """The report for people: ceilings, each horizon against the copy-prompt baseline and, where the report
        has it, the turned-prompt one (with standard errors over the windows where the report has them), and
        the long rollouts."""
        forced = self.teacher_forced
        lines = [f"autoencoder PSNR {self.autoencoder_psnr:.2f} dB, sharpness ratio "
                 f"{self.autoencoder_sharpness_ratio:.2f}; teacher-forced next frame PSNR {forced.psnr:.2f} dB "
                 f"SSIM {forced.ssim:.3f}"]
        if self.autoregressive.stderr is not None:
            lines.append(f"  (± standard errors over the {self.windows} windows)")
        for row in self.horizon_rows():
            turned = (f"; turned prompt {row.turned:.2f}: {row.vs_turned.signed()}"
                      if row.turned is not None and row.vs_turned is not None else "")
            lines.append(f"  horizon {row.horizon:>2}: PSNR {row.psnr:.2f} dB (copy prompt {row.copy:.2f}: "
                         f"{row.vs_copy.signed()}{turned}), dTPSNR {row.dtpsnr.signed()} dB, sharpness ratio "
                         f"{row.sharpness_ratio:.2f}")
        if self.long_rollout is not None:
            lines.append("  " + self.long_rollout.line())
        return lines

    def summary(self) -> str | None:
        """One line for the launcher: quality 16 frames ahead on maps (or rooms) the world never saw; None
        where the report did not look that far."""
        auto, h = self.autoregressive, SUMMARY_HORIZON
        if h not in auto.psnr or h not in self.copy_prompt_psnr:
            return None
        unseen = "rooms" if self.simulator == "miniworld" else "maps"
        dtpsnr = Estimate(auto.dtpsnr[h], auto.error("dtpsnr", h))
        spread = f" ± {dtpsnr.error:.2f}" if dtpsnr.error is not None else ""
        return (f"{h} frames ahead in unseen {unseen} ({self.windows} windows): {auto.psnr[h]:.1f} dB PSNR "
                f"(holding the prompt still: {self.copy_prompt_psnr[h]:.1f} dB), actions change it by "
                f"{dtpsnr.mean:.2f}{spread} dB, sharpness {auto.sharpness_ratio[h]:.2f} of real frames")

    def how_measured(self) -> str:
        """'the pack as played, int8 dynamics', or 'the PyTorch model before export'."""
        return (f"the pack as played, {self.precision} dynamics" if self.precision is not None
                else "the PyTorch model before export")
