"""The pictures `dreamwalk eval world` writes beside eval.json: frame strips, the long rollouts and PSNR
against the horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.reports.evaluation import EvalReport

STRIP_FRAMES = (0, 1, 3, 7, 15, 31, 63)     # frames after the prompt a strip shows


def grid(rows: list[np.ndarray], scale: int = 3) -> np.ndarray:
    image = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def save_strips(prompt: np.ndarray, real: np.ndarray, generated: np.ndarray, shuffled: np.ndarray, out: Path,
                windows: list[int]) -> None:
    """Per window shown: real frames, dreamed with the true actions, dreamed with another window's actions."""
    from PIL import Image

    picks = [t for t in STRIP_FRAMES if t < real.shape[1]]
    rows = []
    for w in windows:
        for series in (real, generated, shuffled):
            rows.append(np.stack([prompt[w]] + [series[w, t] for t in picks]))
    Image.fromarray(grid(rows)).save(out)


def save_long_strip(frames: np.ndarray, out: Path) -> None:
    from PIL import Image

    picks = np.linspace(0, frames.shape[1] - 1, 10).astype(int)
    Image.fromarray(grid([frames[w, picks] for w in range(len(frames))], scale=2)).save(out)


def save_psnr_plot(report: EvalReport, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    horizons = list(report.copy_prompt_psnr)
    auto = report.autoregressive
    other = [auto.psnr[h] - auto.dtpsnr[h] for h in horizons]
    axis.plot(horizons, [auto.psnr[h] for h in horizons], "o-", label="model, true actions")
    axis.plot(horizons, other, "s--", label="model, another window's actions")
    axis.plot(horizons, [report.copy_prompt_psnr[h] for h in horizons], "^:", label="copy the prompt")
    axis.axhline(report.autoencoder_psnr, color="gray", lw=0.8, label="autoencoder ceiling")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("frames after the prompt")
    axis.set_ylabel("PSNR (dB)")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=90)
    plt.close(figure)
