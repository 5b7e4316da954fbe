"""Comparing `dreamwalk eval` reports: two worlds on the same windows, window by window (paired), or
several reports of one world pooled into one estimate.

Most of the spread between windows is how hard a window is (a held turn into an unseen room against a
corridor walk), the same for both worlds, so a paired difference is several times surer than two separate
means. A 16-window evaluation carries about 0.3 dB of sampling noise in dTPSNR, so one world's reports of
different windows (``--seed``) are compared on their pool.

    dreamwalk eval --paired FIRST/eval.json SECOND/eval.json
    dreamwalk eval --pooled A/eval.json B/eval.json ...
"""

from __future__ import annotations

import numpy as np


def paired(first: dict, second: dict) -> dict[str, dict[str, list[float]]]:
    """{metric: {horizon: [mean difference, standard error]}} of second minus first, per window."""
    if "per_window" not in first or "per_window" not in second:
        raise ValueError("both reports need per-window values (reports of `dreamwalk eval` with per_window)")
    a, b = first["per_window"], second["per_window"]
    for horizon, copies in a["copy"].items():              # the real frames are the windows' fingerprint
        if horizon in b["copy"] and not np.allclose(copies, b["copy"][horizon], atol=1e-6):
            raise ValueError("the reports measured different windows (maps, windows per map, horizon or seed)")
    result: dict[str, dict[str, list[float]]] = {}
    for metric in ("psnr", "dtpsnr"):
        result[metric] = {}
        for horizon in a[metric]:
            if horizon not in b[metric]:
                continue
            differences = np.asarray(b[metric][horizon]) - np.asarray(a[metric][horizon])
            error = differences.std(ddof=1) / np.sqrt(len(differences)) if len(differences) > 1 else 0.0
            result[metric][horizon] = [float(differences.mean()), float(error)]
    return result


def paired_lines(first: dict, result: dict[str, dict[str, list[float]]]) -> list[str]:
    windows = len(next(iter(first["per_window"]["copy"].values())))
    lines = [f"second minus first over the same {windows} windows (± standard error of the mean difference):"]
    for metric, label in (("psnr", "PSNR (and so PSNR over copy)"), ("dtpsnr", "dTPSNR")):
        cells = ", ".join(f"{h}: {mean:+.2f} ± {error:.2f}" for h, (mean, error) in result[metric].items())
        lines.append(f"  {label}: {cells} dB")
    return lines


METRICS = {                                     # name -> path into eval.json
    "PSNR@16": ("autoregressive", "psnr", "16"), "copy@16": ("copy_prompt_psnr", "16"),
    "dTPSNR@16": ("autoregressive", "dtpsnr", "16"), "sharpness@16": ("autoregressive", "sharpness_ratio", "16"),
    "PSNR@64": ("autoregressive", "psnr", "64"), "copy@64": ("copy_prompt_psnr", "64"),
    "dTPSNR@64": ("autoregressive", "dtpsnr", "64"), "still@16": ("standing_still", "psnr", "16"),
    "teacher-forced": ("teacher_forced", "psnr"),
}
ERRORS = {                                      # standard errors over windows, where a report has them
    "±vs copy@16": ("autoregressive", "stderr", "vs_copy", "16"),
    "±dTPSNR@16": ("autoregressive", "stderr", "dtpsnr", "16"),
    "±vs copy@64": ("autoregressive", "stderr", "vs_copy", "64"),
    "±dTPSNR@64": ("autoregressive", "stderr", "dtpsnr", "64"),
}


def lookup(report: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        if not isinstance(report, dict) or key not in report:
            return None
        report = report[key]
    return float(report)


def pool(reports: list[dict]) -> dict[str, float | None]:
    pooled: dict[str, float | None] = {}
    for name, path in METRICS.items():
        pairs = [(lookup(r, path), r["windows"]) for r in reports]
        pairs = [(value, weight) for value, weight in pairs if value is not None]
        pooled[name] = (sum(v * w for v, w in pairs) / sum(w for _, w in pairs)) if pairs else None
    for horizon in ("16", "64"):
        psnr, copy = pooled[f"PSNR@{horizon}"], pooled[f"copy@{horizon}"]
        pooled[f"vs copy@{horizon}"] = None if psnr is None or copy is None else psnr - copy
    total = sum(r["windows"] for r in reports)
    for name, path in ERRORS.items():              # of a window-weighted mean: sqrt(sum((n_i / N)^2 se_i^2))
        errors = [(lookup(r, path), r["windows"]) for r in reports]
        known = all(e is not None for e, _ in errors)
        pooled[name] = sum((w / total * e) ** 2 for e, w in errors) ** 0.5 if known else None
    pooled["windows"] = total
    return pooled


def pooled_lines(pooled: dict[str, float | None]) -> list[str]:
    return [f"{metric:>16} " + ("-" if value is None else f"{value:.2f}")
            for metric, value in pooled.items()]
