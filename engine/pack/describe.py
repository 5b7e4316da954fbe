"""A world pack's manifest for people: what `dreamwalk info` shows (its evaluation through the report's own
lines, engine.reports.EvalReport)."""

from __future__ import annotations

from typing import Any

from engine.pack.format import VARIANTS
from engine.reports.evaluation import EvalReport


def manifest_lines(manifest: dict[str, Any]) -> list[str]:
    frame, sampler, training = manifest["frame"], manifest["sampler"], manifest["training"]
    actions = manifest["actions"]
    lines = [f"{manifest['name']}: {manifest['description']}",
             f"frames {frame['width']}x{frame['height']} at {frame['fps']} fps, {manifest['context_frames']} frames "
             f"of context; sampler {sampler['name']} x{sampler['steps']}, guidance {sampler['guidance_scale']}",
             f"actions: {', '.join(actions['keys'])} (turn ±{actions['turn_range']}°, look "
             f"±{actions['look_range']}° per frame)",
             f"trained on {training['data']}: {training['steps']} steps, {training['samples']:,} windows, "
             f"{training['hours']} h on {training['hardware']}; license: {manifest['license'] or 'not given'}",
             "graphs: " + ", ".join(name + "".join(f" +{variant}" for variant in VARIANTS if graph.get(variant))
                                    for name, graph in manifest["graphs"].items())]
    if manifest.get("metrics"):
        lines += evaluation_lines(manifest["metrics"])
    if manifest.get("model_card"):
        lines.append("model card: dreamwalk info PACK --card")
    return lines


def evaluation_lines(metrics: dict[str, Any]) -> list[str]:
    """The pack's evaluation: where and how it was measured, then the report's lines."""
    try:
        report = EvalReport.from_json(metrics)
    except (KeyError, TypeError, ValueError, AttributeError):
        return ["evaluation: an older report this version cannot summarise (all of it: --json)"]
    return [f"evaluation ({report.how_measured()}) on {', '.join(report.maps)}, {report.windows} windows "
            "(all of it: --json):", *report.lines()]
