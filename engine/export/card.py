"""A world's model card from what was measured: the pack's manifest, `dreamwalk eval`'s eval.json,
`dreamwalk bench`'s JSON and `dreamwalk eval PACK --prompts`'s JSON. Every number in the card comes from those
files; the prose around them (what it is, its limits) comes from --notes, a Markdown file.

    dreamwalk pack card PACK --eval EVAL.json --bench BENCH.json --prompts PROMPTS.json \
        --notes NOTES.md --out docs/default-world.md [--figures results/default-world] [--embed]

``--figures`` (a folder relative to the card) adds the frame strips section: strips.png, long_rollout.png
and prompt_rollouts.png from eval and the prompt rollouts, copied there. ``--embed`` also puts the card into
the pack (MODEL_CARD.md, checksummed in its manifest).
"""

from __future__ import annotations

import json
from typing import Any

from engine.pack import embed_model_card, open_pack


SIMULATORS = {"vizdoom": "ViZDoom", "miniworld": "MiniWorld, on seeds its collection never drew"}


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def context_noise(sampler: dict) -> str:
    """How noisy dreamed frames are as context, where a report or manifest says so."""
    level = sampler.get("context_sigma")
    return "" if level is None else f", dreamed frames entering the context at noise {level:g}"


def with_error(value: float, errors: dict, name: str, horizon: str) -> str:
    """'+0.37 ± 0.15' where the report has the standard error over its windows, else '+0.37'."""
    error = errors.get(name, {}).get(horizon)
    return f"{value:+.2f}" + (f" ± {error:.2f}" if error is not None else "")


def evaluation_section(report: dict) -> str:
    auto, copy = report["autoregressive"], report["copy_prompt_psnr"]
    errors = auto.get("stderr", {})
    rows = [[h, f"{auto['psnr'][h]:.2f}", f"{copy[h]:.2f}", with_error(auto['psnr'][h] - copy[h], errors, "vs_copy", h),
             with_error(auto['dtpsnr'][h], errors, "dtpsnr", h), f"{auto['sharpness_ratio'][h]:.2f}"] for h in copy]
    header = ["horizon (frames)", "PSNR (dB)", "copy-prompt (dB)", "vs copy", "dTPSNR (dB)", "sharpness ratio"]
    turned = report.get("rotated_prompt_psnr")          # ViZDoom reports
    if turned:
        header[4:4] = ["turned prompt (dB)", "vs turned"]
        for row, h in zip(rows, copy):
            row[4:4] = [f"{turned[h]:.2f}", with_error(auto["psnr"][h] - turned[h], errors, "vs_rotated", h)]
    sampler = report["sampler"]
    simulator = SIMULATORS[report.get("source", "vizdoom")]
    played = (f"; the pack's ONNX graphs as the player runs them on a CPU ({report['precision']} dynamics)"
              if "precision" in report else "")
    baseline = ("; the turned prompt is the prompt turned and tilted by the probe's own turn/look, no network "
                "(benchmarks/geometric_baseline.py)" if turned else "")
    spread = ("; ± is the standard error over the windows (another set of windows and another draw of the noise "
              "may move a number by about twice it)" if errors else "")
    parts = [
        f"`dreamwalk eval` on {', '.join(report['maps'])} (live {simulator}, the action probe), {report['windows']} "
        f"windows, sampler {sampler['name']} x{sampler['steps']} from sigma {sampler.get('sigma_max', 'max')}"
        f"{context_noise(sampler)}{played}{spread}{baseline}:",
        "",
        table(header, rows),
        "",
        f"- autoencoder ceiling: PSNR {report['autoencoder_psnr']:.2f} dB, sharpness ratio "
        f"{report['autoencoder_sharpness_ratio']:.2f} (no dynamics model on these latents can be sharper)",
        f"- teacher-forced next frame: PSNR {report['teacher_forced']['psnr']:.2f} dB, "
        f"SSIM {report['teacher_forced']['ssim']:.3f}",
    ]
    sweep = report.get("guidance_sweep", {})
    if len(sweep) > 1:
        parts.append("- action guidance sweep (PSNR / dTPSNR / sharpness at the longest horizon): " + "; ".join(
            f"{scale}: {v['psnr'][max(v['psnr'], key=int)]:.2f} / {v['dtpsnr'][max(v['dtpsnr'], key=int)]:+.2f} / "
            f"{v['sharpness_ratio'][max(v['sharpness_ratio'], key=int)]:.2f}" for scale, v in sweep.items()))
    long = report.get("long_rollout")
    if long:
        parts.append(
            f"- {long_rollouts(long)}: contrast ratio {long['contrast_ratio_range'][0]:.2f}-"
            f"{long['contrast_ratio_range'][1]:.2f} and sharpness ratio {long['sharpness_ratio_range'][0]:.2f}-"
            f"{long['sharpness_ratio_range'][1]:.2f} of real frames over 50-frame blocks "
            f"(last 100 frames: {long['contrast_ratio_last_100']:.2f} / {long['sharpness_ratio_last_100']:.2f}); "
            f"{long['flat_frames']} flat frames (contrast under 0.3 of real), "
            f"{long.get('blurred_frames', 'uncounted')} blurred ones (sharpness under 0.3 of real)")
    still = report.get("standing_still")
    if still:
        parts.append("- standing still from the prompt (no action: the view should hold): PSNR against the prompt "
                     + " / ".join(f"{v:.2f}" for v in still["psnr"].values()) + f" dB at {' / '.join(still['psnr'])}"
                     f" frames (a world that holds still: {still['ceiling']:.2f} dB, the decoder's copy of the prompt)")
    return "\n".join(parts)


def long_rollouts(long: dict) -> str:
    """'four 1,000-frame rollouts (from MAP21, ...)'; evaluations that did not record their prompts ran two."""
    prompts = long.get("prompts")
    count = len(prompts) if prompts else 2
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    text = f"{words.get(count, count)} {long['frames']:,}-frame rollout{'s' if count > 1 else ''}"
    return f"{text} (from {', '.join(prompts)})" if prompts else text


def bench_section(bench: dict) -> str:
    rows = []
    for result in bench if isinstance(bench, list) else bench.get("results", []):
        rows.append([result["provider"].replace("ExecutionProvider", ""), result.get("precision", "fp32"),
                     f"{result['sampler']} x{result['steps']} ({result['network_evaluations_per_frame']} pass"
                     f"{'' if result['network_evaluations_per_frame'] == 1 else 'es'})",
                     f"{result['median_ms']:.1f}", f"{result['p99_ms']:.1f}", f"{result['fps']:.1f}",
                     f"{result['first_frame_s']:.2f}"])
    return table(["provider", "graphs", "sampler (network passes per frame)", "median ms/frame", "p99 ms",
                  "frames/s", "open to first frame (s)"], rows)


def prompts_section(prompts: dict) -> str:
    rows = []
    for name, r in prompts["results"].items():
        rows.append([name, f"{r['contrast_ratio_last_100']:.2f}", f"{r['sharpness_ratio_last_100']:.2f}",
                     f"{r['mean_motion_last_100']:.1f}", f"{r['shift_turning_left']:+.2f} / {r['shift_turning_right']:+.2f}",
                     f"{r['branch_shift_left']:+.2f} / {r['branch_shift_right']:+.2f}",
                     "yes" if r["turns_both_ways"] else "no",
                     " / ".join(f"{v:.1f}" for v in r["still_psnr"].values()) if "still_psnr" in r else "-"])
    still = next((r["still_psnr"] for r in prompts["results"].values() if "still_psnr" in r), None)
    return table(["prompt", "contrast (last 100)", "sharpness (last 100)", "motion (last 100)",
                  "view shift turning L / R (px/frame)", "branch L / R", "turns both ways",
                  f"standing still: PSNR to the first frame at {' / '.join(still) if still else '-'} frames (dB)"],
                 rows)


def strip_places(report: dict) -> list[str]:
    """Where the strips' windows are from: named by the report, or (older reports) its first four windows,
    stored map by map."""
    if "strips" in report:
        return report["strips"]["places"]
    per_map = report["windows"] // len(report["maps"])
    return [report["maps"][w // per_map] for w in range(min(4, report["windows"]))]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def figures_section(folder: str, places: str, long: dict | None, still: bool) -> list[str]:
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
        f"{upper_first(long_rollouts(long or {'frames': 1000}))}, every 100th frame, then every 30th frame",
        "of the 300-frame prompt rollouts (one row per bundled prompt, in the order of the table above):",
        "",
        f"![long rollout]({folder}/long_rollout.png)",
        "",
        f"![prompt rollouts]({folder}/prompt_rollouts.png)",
        "",
        *(still_strip if still else []),
    ]


def write_model_card(args: Any) -> None:
    """``args``: pack, eval, bench, prompts, notes, out (paths), figures (a folder relative to out, or None),
    embed (bool): the fields of `dreamwalk pack card`."""
    opened = open_pack(args.pack)
    manifest = opened.manifest
    opened.close()
    frame, training, sampler = manifest["frame"], manifest["training"], manifest["sampler"]
    notes = args.notes.read_text()
    report, prompts = json.loads(args.eval.read_text()), json.loads(args.prompts.read_text())
    source = report.get("source", "vizdoom")
    size = args.pack.stat().st_size / 2 ** 20
    card = "\n".join([
        f"# {manifest['name']}",
        "",
        manifest["description"],
        "",
        f"- frames {frame['width']}x{frame['height']} at {frame['fps']} fps, {manifest['context_frames']} frames of "
        f"context; sampler {sampler['name']} x{sampler['steps']} from sigma {sampler['sigma_max']:g}, "
        f"guidance {sampler['guidance_scale']}{context_noise(sampler)}",
        f"- pack: `{args.pack.name}`, {size:.1f} MiB; license: {manifest['license']}",
        f"- the network in this pack{' (the distilled student)' if manifest.get('distilled') else ''} trained on "
        f"`{training['data']}`: {training['steps']} steps, {training['samples']:,} windows, "
        f"{training['hours']} h on a {training['hardware']}",
        "",
        notes.strip(),
        "",
        f"## Evaluation (held-out {'maps' if source == 'vizdoom' else 'seeds'})",
        "",
        evaluation_section(report),
        "",
        "## Speed (`dreamwalk bench`)",
        "",
        bench_section(json.loads(args.bench.read_text())),
        "",
        "## From the bundled prompts, of every kind (`dreamwalk eval PACK --prompts assets/prompts`)",
        "",
        prompts_section(prompts),
        "",
        *(figures_section(args.figures, ", ".join(strip_places(report)), report.get("long_rollout"),
                          any("still_psnr" in r for r in prompts["results"].values())) if args.figures else []),
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(card)
    print(f"wrote {args.out}")
    if args.embed:
        embed_model_card(args.pack, args.out)
        print(f"embedded into {args.pack}")

