"""Pool several `dreamwalk eval` reports of one world (other window seeds, other noise) into one set of
numbers, each metric the window-weighted mean of the reports', and print them beside each other: a
16-window evaluation carries about 0.3 dB of sampling noise in dTPSNR (docs/world-model.md, "How noisy a
16-window evaluation is"), so worlds are compared on pools. Where every report has standard errors over its
windows (`dreamwalk eval` since the twelfth session), the pooled mean's are printed too (the ± rows).

    python benchmarks/pooled_eval.py --world shipped A/eval.json B/eval.json --world new C/eval.json D/eval.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

METRICS = {                                     # name -> path into eval.json
    "PSNR@16": ("autoregressive", "psnr", "16"), "copy@16": ("copy_prompt_psnr", "16"),
    "dTPSNR@16": ("autoregressive", "dtpsnr", "16"), "sharpness@16": ("autoregressive", "sharpness_ratio", "16"),
    "PSNR@64": ("autoregressive", "psnr", "64"), "copy@64": ("copy_prompt_psnr", "64"),
    "dTPSNR@64": ("autoregressive", "dtpsnr", "64"), "still@16": ("standing_still", "psnr", "16"),
    "teacher-forced": ("teacher_forced", "psnr"),
}
ERRORS = {                                      # standard errors over windows (reports since the twelfth session)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", nargs="+", action="append", required=True, metavar=("NAME", "EVAL_JSON"),
                        help="a name, then that world's eval.json files")
    parser.add_argument("--json", type=Path, help="write the pooled numbers here too")
    args = parser.parse_args()
    results = {}
    for name, *files in args.world:
        if not files:
            parser.error(f"--world {name}: give at least one eval.json")
        results[name] = pool([json.loads(Path(f).read_text()) for f in files])
    print(f"{'':>16}" + "".join(f"{name:>12}" for name in results))
    for metric in [*METRICS, "vs copy@16", "vs copy@64", *ERRORS, "windows"]:
        cells = [results[name][metric] for name in results]
        print(f"{metric:>16}" + "".join(f"{'-':>12}" if v is None else f"{v:>12.2f}" for v in cells))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
