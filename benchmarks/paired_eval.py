"""Compare two worlds measured by `dreamwalk eval` on the same windows (same maps, windows per map,
horizon and --seed), window by window: the mean difference (second minus first) of PSNR, of PSNR over
the copy-prompt baseline and of dTPSNR at each horizon, with the standard error of that mean. Most of
the spread between windows is how hard a window is (a held turn into an unseen room against a corridor
walk), the same for both worlds, so a paired difference is several times surer than two separate means.

    python benchmarks/paired_eval.py FIRST/eval.json SECOND/eval.json [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def paired(first: dict, second: dict) -> dict[str, dict[str, list[float]]]:
    """{metric: {horizon: [mean difference, standard error]}} of second minus first, per window."""
    if "per_window" not in first or "per_window" not in second:
        raise ValueError("both reports need per-window values ('dreamwalk eval' since the twelfth session)")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--json", type=Path, help="write the differences here too")
    args = parser.parse_args()
    try:
        result = paired(json.loads(args.first.read_text()), json.loads(args.second.read_text()))
    except (OSError, ValueError, KeyError) as error:
        print(f"paired_eval: {error}", file=sys.stderr)
        return 1
    windows = len(next(iter(json.loads(args.first.read_text())["per_window"]["copy"].values())))
    print(f"second minus first over the same {windows} windows (± standard error of the mean difference):")
    for metric, label in (("psnr", "PSNR (and so PSNR over copy)"), ("dtpsnr", "dTPSNR")):
        cells = ", ".join(f"{h}: {mean:+.2f} ± {error:.2f}" for h, (mean, error) in result[metric].items())
        print(f"  {label}: {cells} dB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
