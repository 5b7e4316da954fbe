"""Comparing `dreamwalk eval world` reports: two worlds on the same windows, window by window (paired), or
several reports of one world pooled into one estimate.

Most of the spread between windows is how hard a window is (a held turn into an unseen room against a
corridor walk), the same for both worlds, so a paired difference is several times surer than two separate
means. A 16-window evaluation carries about 0.3 dB of sampling noise in dTPSNR, so one world's reports of
different windows (``--seed``) are compared on their pool.

    dreamwalk eval compare --paired FIRST/eval.json SECOND/eval.json
    dreamwalk eval compare --pooled A/eval.json B/eval.json ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from engine.errors import DreamwalkError
from engine.reports.common import Estimate, read_report, write_report
from engine.reports.compare import PairedComparison, PooledReport
from engine.reports.evaluation import EvalReport


def paired(first: EvalReport, second: EvalReport) -> PairedComparison:
    """Second minus first at each horizon both have: the mean difference over the windows and its standard
    error; ValueError where a report lacks per-window values or the two measured different windows."""
    if first.per_window is None or second.per_window is None:
        raise ValueError("both reports need per-window values (reports of `dreamwalk eval world` with per_window)")
    a, b = first.per_window, second.per_window
    for horizon, copies in a.copy.items():              # the real frames are the windows' fingerprint
        if horizon in b.copy and not np.allclose(copies, b.copy[horizon], atol=1e-6):
            raise ValueError("the reports measured different windows (maps, windows per map, horizon or seed)")

    def differences(mine: dict[int, list[float]], theirs: dict[int, list[float]]) -> dict[int, Estimate]:
        result = {}
        for horizon in mine:
            if horizon not in theirs:
                continue
            difference = np.asarray(theirs[horizon]) - np.asarray(mine[horizon])
            error = difference.std(ddof=1) / np.sqrt(len(difference)) if len(difference) > 1 else 0.0
            result[horizon] = Estimate(float(difference.mean()), float(error))
        return result

    windows = len(next(iter(a.copy.values()))) if a.copy else 0
    return PairedComparison(differences(a.psnr, b.psnr), differences(a.dtpsnr, b.dtpsnr), windows)


Metric = Callable[[EvalReport], float | None]


def at(values: dict[int, float] | None, horizon: int) -> float | None:
    return None if values is None else values.get(horizon)


METRICS: dict[str, Metric] = {
    "PSNR@16": lambda r: at(r.autoregressive.psnr, 16), "copy@16": lambda r: at(r.copy_prompt_psnr, 16),
    "dTPSNR@16": lambda r: at(r.autoregressive.dtpsnr, 16),
    "sharpness@16": lambda r: at(r.autoregressive.sharpness_ratio, 16),
    "PSNR@64": lambda r: at(r.autoregressive.psnr, 64), "copy@64": lambda r: at(r.copy_prompt_psnr, 64),
    "dTPSNR@64": lambda r: at(r.autoregressive.dtpsnr, 64),
    "still@16": lambda r: at(r.standing_still.psnr, 16) if r.standing_still is not None else None,
    "teacher-forced": lambda r: r.teacher_forced.psnr,
}
ERRORS: dict[str, Metric] = {                   # standard errors over windows, where a report has them
    "±vs copy@16": lambda r: r.autoregressive.error("vs_copy", 16),
    "±dTPSNR@16": lambda r: r.autoregressive.error("dtpsnr", 16),
    "±vs copy@64": lambda r: r.autoregressive.error("vs_copy", 64),
    "±dTPSNR@64": lambda r: r.autoregressive.error("dtpsnr", 64),
}


def pool(reports: list[EvalReport]) -> PooledReport:
    """Each metric's mean weighted by the reports' windows (over the reports that have it), and the pooled
    standard errors (where every report has them)."""
    pooled: dict[str, float | None] = {}
    for name, metric in METRICS.items():
        pairs = [(metric(r), r.windows) for r in reports]
        pairs = [(value, weight) for value, weight in pairs if value is not None]
        pooled[name] = (sum(v * w for v, w in pairs) / sum(w for _, w in pairs)) if pairs else None
    for horizon in (16, 64):
        psnr, copy = pooled[f"PSNR@{horizon}"], pooled[f"copy@{horizon}"]
        pooled[f"vs copy@{horizon}"] = None if psnr is None or copy is None else psnr - copy
    total = sum(r.windows for r in reports)
    for name, metric in ERRORS.items():              # of a window-weighted mean: sqrt(sum((n_i / N)^2 se_i^2))
        errors = [(metric(r), r.windows) for r in reports]
        known = all(e is not None for e, _ in errors)
        pooled[name] = sum((w / total * e) ** 2 for e, w in errors) ** 0.5 if known else None
    return PooledReport(pooled, total)


def compare_reports(paths: list[str], pooled: bool, out: str | None = None) -> PairedComparison | PooledReport:
    """`dreamwalk eval compare`: two reports paired (``pooled`` False) or any number pooled, read from
    ``paths``; the result also written to ``out`` where given."""
    reports = [read_report(path, EvalReport.from_json, "`dreamwalk eval world`") for path in paths]
    if pooled:
        result: PairedComparison | PooledReport = pool(reports)
    else:
        try:
            result = paired(*reports)
        except ValueError as error:
            raise DreamwalkError(str(error)) from error
    if out:
        write_report(Path(out), result.to_json())
    return result
