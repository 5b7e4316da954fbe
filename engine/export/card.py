"""A world's model card from what was measured: the pack's manifest, `dreamwalk eval world`'s eval.json,
`dreamwalk bench run`'s JSON and `dreamwalk eval prompts`'s JSON. Every number in the card comes from those
files; the prose around them (what it is, its limits) comes from --notes, a Markdown file.

    dreamwalk pack card PACK --eval EVAL.json --bench BENCH.json --prompts PROMPTS.json \
        --notes NOTES.md --out docs/default-world.md [--figures results/default-world] [--embed]

``--figures`` (a folder relative to the card) adds the frame strips section: strips.png, long_rollout.png
and prompt_rollouts.png from eval and the prompt rollouts, copied there. ``--embed`` also puts the card into
the pack (MODEL_CARD.md, checksummed in its manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import DreamwalkError
from engine.pack import embed_model_card, open_pack
from engine.reports import BenchReport, BenchSetting, EvalReport, PromptReport, read_report
from engine.reports.rollouts import LongRollout


SIMULATORS = {"vizdoom": "ViZDoom", "miniworld": "MiniWorld, on seeds its collection never drew"}


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def context_noise(context_sigma: float | None) -> str:
    """How noisy dreamed frames are as context, where a report or manifest says so."""
    return "" if context_sigma is None else f", dreamed frames entering the context at noise {context_sigma:g}"


def evaluation_section(report: EvalReport) -> str:
    rows = [[str(row.horizon), f"{row.psnr:.2f}", f"{row.copy:.2f}", row.vs_copy.signed(), row.dtpsnr.signed(),
             f"{row.sharpness_ratio:.2f}"] for row in report.horizon_rows()]
    header = ["horizon (frames)", "PSNR (dB)", "copy-prompt (dB)", "vs copy", "dTPSNR (dB)", "sharpness ratio"]
    turned = report.rotated_prompt_psnr is not None          # ViZDoom reports
    if turned:
        header[4:4] = ["turned prompt (dB)", "vs turned"]
        for cells, row in zip(rows, report.horizon_rows()):
            cells[4:4] = [f"{row.turned:.2f}", row.vs_turned.signed()]
    sampler = report.sampler
    simulator = SIMULATORS[report.simulator]
    played = (f"; the pack's ONNX graphs as the player runs them on a CPU ({report.precision} dynamics)"
              if report.precision is not None else "")
    baseline = ("; the turned prompt is the prompt turned and tilted by the probe's own turn/look, no network "
                "(benchmarks/geometric_baseline.py)" if turned else "")
    spread = ("; ± is the standard error over the windows (another set of windows and another draw of the noise "
              "may move a number by about twice it)" if report.autoregressive.stderr is not None else "")
    start = "max" if sampler.sigma_max is None else sampler.sigma_max
    parts = [
        f"`dreamwalk eval world` on {', '.join(report.maps)} (live {simulator}, the action probe), {report.windows} "
        f"windows, sampler {sampler.name} x{sampler.steps} from sigma {start}"
        f"{context_noise(sampler.context_sigma)}{played}{spread}{baseline}:",
        "",
        table(header, rows),
        "",
        f"- autoencoder ceiling: PSNR {report.autoencoder_psnr:.2f} dB, sharpness ratio "
        f"{report.autoencoder_sharpness_ratio:.2f} (no dynamics model on these latents can be sharper)",
        f"- teacher-forced next frame: PSNR {report.teacher_forced.psnr:.2f} dB, "
        f"SSIM {report.teacher_forced.ssim:.3f}",
    ]
    sweep = report.guidance_sweep
    if len(sweep) > 1:
        parts.append("- action guidance sweep (PSNR / dTPSNR / sharpness at the longest horizon): " + "; ".join(
            f"{scale}: {v.psnr[max(v.psnr)]:.2f} / {v.dtpsnr[max(v.dtpsnr)]:+.2f} / "
            f"{v.sharpness_ratio[max(v.sharpness_ratio)]:.2f}" for scale, v in sweep.items()))
    long = report.long_rollout
    if long is not None:
        blurred = "uncounted" if long.blurred_frames is None else long.blurred_frames
        parts.append(
            f"- {long_rollouts(long)}: contrast ratio {long.contrast_ratio_range[0]:.2f}-"
            f"{long.contrast_ratio_range[1]:.2f} and sharpness ratio {long.sharpness_ratio_range[0]:.2f}-"
            f"{long.sharpness_ratio_range[1]:.2f} of real frames over 50-frame blocks "
            f"(last 100 frames: {long.contrast_ratio_last_100:.2f} / {long.sharpness_ratio_last_100:.2f}); "
            f"{long.flat_frames} flat frames (contrast under 0.3 of real), "
            f"{blurred} blurred ones (sharpness under 0.3 of real)")
    still = report.standing_still
    if still is not None:
        parts.append("- standing still from the prompt (no action: the view should hold): PSNR against the prompt "
                     + " / ".join(f"{v:.2f}" for v in still.psnr.values())
                     + f" dB at {' / '.join(str(h) for h in still.psnr)}"
                     f" frames (a world that holds still: {still.ceiling:.2f} dB, the decoder's copy of the prompt)")
    return "\n".join(parts)


def long_rollouts(long: LongRollout | None) -> str:
    """'four 1,000-frame rollouts (from MAP21, ...)'; evaluations that did not record their prompts ran two."""
    prompts = long.prompts if long is not None else None
    frames = long.frames if long is not None else 1000
    count = len(prompts) if prompts else 2
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    text = f"{words.get(count, count)} {frames:,}-frame rollout{'s' if count > 1 else ''}"
    return f"{text} (from {', '.join(prompts)})" if prompts else text


def bench_section(bench: BenchReport) -> str:
    rows = []
    for result in (row for row in bench.rows if isinstance(row, BenchSetting)):
        passes = result.network_evaluations_per_frame
        rows.append([result.provider.replace("ExecutionProvider", ""), result.precision or "fp32",
                     f"{result.sampler} x{result.steps} ({passes} pass{'' if passes == 1 else 'es'})",
                     f"{result.median_ms:.1f}", f"{result.p99_ms:.1f}", f"{result.fps:.1f}",
                     f"{result.first_frame_s:.2f}"])
    return table(["provider", "graphs", "sampler (network passes per frame)", "median ms/frame", "p99 ms",
                  "frames/s", "open to first frame (s)"], rows)


def prompts_section(prompts: PromptReport) -> str:
    rows = []
    for name, r in prompts.results.items():
        rows.append([name, f"{r.contrast_ratio_last_100:.2f}", f"{r.sharpness_ratio_last_100:.2f}",
                     f"{r.mean_motion_last_100:.1f}", f"{r.shift_turning_left:+.2f} / {r.shift_turning_right:+.2f}",
                     f"{r.branch_shift_left:+.2f} / {r.branch_shift_right:+.2f}", "yes" if r.turns_both_ways else "no",
                     " / ".join(f"{v:.1f}" for v in r.still_psnr.values()) if r.still_psnr is not None else "-"])
    still = next((r.still_psnr for r in prompts.results.values() if r.still_psnr is not None), None)
    horizons = " / ".join(str(h) for h in still) if still else "-"
    return table(["prompt", "contrast (last 100)", "sharpness (last 100)", "motion (last 100)",
                  "view shift turning L / R (px/frame)", "branch L / R", "turns both ways",
                  f"standing still: PSNR to the first frame at {horizons} frames (dB)"], rows)


def strip_places(report: EvalReport) -> list[str]:
    """Where the strips' windows are from: named by the report, or (older reports) its first four windows,
    stored map by map."""
    if report.strips is not None:
        return report.strips.places
    per_map = report.windows // len(report.maps)
    return [report.maps[w // per_map] for w in range(min(4, report.windows))]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def figures_section(folder: str, places: str, long: LongRollout | None, still: bool) -> list[str]:
    still_strip = [
        "Standing still from each prompt (no action), every 6th frame of 60:",
        "",
        f"![standing still]({folder}/prompt_rollouts_still.png)",
        "",
    ]
    return [
        f"## Frame strips (in the repository's docs/{folder}/)",
        "",
        "Per window: the real frames, the frames dreamed with the true actions, and with another window's",
        f"actions ({places}):",
        "",
        f"![strips]({folder}/strips.png)",
        "",
        f"{upper_first(long_rollouts(long))}, every 100th frame, then every 30th frame",
        "of the 300-frame prompt rollouts (one row per bundled prompt, in the order of the table above):",
        "",
        f"![long rollout]({folder}/long_rollout.png)",
        "",
        f"![prompt rollouts]({folder}/prompt_rollouts.png)",
        "",
        *(still_strip if still else []),
    ]


@dataclass
class CardConfig:
    """The files of `dreamwalk pack card`: the pack, its measured reports, the prose, and where the card goes."""

    pack: Path
    eval: Path                   # `dreamwalk eval world` of the pack (eval.json)
    bench: Path                  # `dreamwalk bench run --json` of the pack
    prompts: Path                # `dreamwalk eval prompts` of the pack (prompt_rollouts.json)
    notes: Path                  # the card's prose (Markdown)
    out: Path                    # the card (Markdown)
    figures: str | None = None   # a folder of the strips, relative to ``out``
    embed: bool = False          # also put the card into the (zip) pack


def write_model_card(config: CardConfig) -> list[str]:
    """The card written (and embedded where asked); the lines saying what was written."""
    for path in (config.pack, config.eval, config.bench, config.prompts, config.notes):
        if not Path(path).is_file():
            raise DreamwalkError(f"no file at {path}")
    opened = open_pack(config.pack)
    manifest = opened.manifest
    opened.close()
    frame, training, sampler = manifest["frame"], manifest["training"], manifest["sampler"]
    notes = config.notes.read_text()
    report = read_report(config.eval, EvalReport.from_json, "`dreamwalk eval world`")
    prompts = read_report(config.prompts, PromptReport.from_json, "`dreamwalk eval prompts`")
    bench = read_report(config.bench, BenchReport.from_json, "`dreamwalk bench run`")
    size = config.pack.stat().st_size / 2 ** 20
    card = "\n".join([
        f"# {manifest['name']}",
        "",
        manifest["description"],
        "",
        f"- frames {frame['width']}x{frame['height']} at {frame['fps']} fps, {manifest['context_frames']} frames of "
        f"context; sampler {sampler['name']} x{sampler['steps']} from sigma {sampler['sigma_max']:g}, "
        f"guidance {sampler['guidance_scale']}{context_noise(sampler.get('context_sigma'))}",
        f"- pack: `{config.pack.name}`, {size:.1f} MiB; license: {manifest['license']}",
        f"- the network in this pack{' (the distilled student)' if manifest.get('distilled') else ''} trained on "
        f"`{training['data']}`: {training['steps']} steps, {training['samples']:,} windows, "
        f"{training['hours']} h on a {training['hardware']}",
        "",
        notes.strip(),
        "",
        f"## Evaluation (held-out {'maps' if report.simulator == 'vizdoom' else 'seeds'})",
        "",
        evaluation_section(report),
        "",
        "## Speed (`dreamwalk bench run`)",
        "",
        bench_section(bench),
        "",
        "## From the bundled prompts, of every kind (`dreamwalk eval prompts PACK assets/prompts`)",
        "",
        prompts_section(prompts),
        "",
        *(figures_section(config.figures, ", ".join(strip_places(report)), report.long_rollout,
                          any(r.still_psnr is not None for r in prompts.results.values()))
          if config.figures else []),
    ])
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(card)
    written = [f"wrote {config.out}"]
    if config.embed:
        embed_model_card(config.pack, config.out)
        written.append(f"embedded into {config.pack}")
    return written
