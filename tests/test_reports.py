"""The typed reports read every report file the repository keeps (docs/results, the shipped world's metrics),
write the current ones back byte for byte, and put them into the same words for the command line, the
launcher and `dreamwalk info`."""

import json
from pathlib import Path

import pytest

from engine.reports import (BenchReport, BenchSetting, DepthReport, EvalReport, PairedComparison, PooledReport,
                            PromptReport, ReportError, RevisitReport, RoundsSetting, read_report)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"


def kind_of(data: object) -> type | None:
    """Which report a kept JSON file is, by its shape (docs/results also keeps other benchmarks' files)."""
    if isinstance(data, list):
        return BenchReport if data and "median_ms" in data[0] else None
    if "autoregressive" in data:
        return EvalReport
    if "protocols" in data:
        return RevisitReport
    if "median_reference" in data:
        return DepthReport
    if "results" in data and "pack" in data:
        return PromptReport
    if set(data) == {"psnr", "dtpsnr"}:
        return PairedComparison
    return None


def kept_reports() -> dict[type, list[tuple[Path, object]]]:
    found: dict[type, list[tuple[Path, object]]] = {}
    for path in sorted(RESULTS.rglob("*.json")):
        data = json.loads(path.read_text())
        kind = kind_of(data)
        if kind is not None:
            found.setdefault(kind, []).append((path, data))
    return found


def test_every_kept_report_reads_and_says_its_lines():
    found = kept_reports()
    counts = {kind: len(files) for kind, files in found.items()}
    assert counts[EvalReport] >= 80 and counts[RevisitReport] >= 7 and counts[DepthReport] >= 2
    assert counts[PromptReport] >= 13 and counts[BenchReport] >= 10 and counts[PairedComparison] >= 16
    for kind, files in found.items():
        for path, data in files:
            report = kind.from_json(data)
            assert report.lines(), path
            # Everything the file says survives reading it (nulls stand for what older reports did not measure),
            # but a sampler setting no version reads any more (sink_frames).
            if path.name != "eval-pack-shipped-sink1-int8-w64-h64.json":
                assert without_nulls(report.to_json()) == without_nulls(data), path
    for path, data in found[EvalReport]:
        report = EvalReport.from_json(data)
        assert len(report.horizon_rows()) == len(data["copy_prompt_psnr"]) == len(report.lines()) - 1 - (
            report.autoregressive.stderr is not None) - (report.long_rollout is not None), path


def without_nulls(data: object) -> object:
    if isinstance(data, dict):
        return {key: without_nulls(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [without_nulls(value) for value in data]
    return data


@pytest.mark.parametrize("name", ["default-world/eval-pack.json", "students/eval-pack-student-t15-int8.json",
                                  "teachers/eval-teacher-60min-g15-h16.json", "builder/revisits-160.json",
                                  "memory/depth.json", "default-world/bench.json",
                                  "default-world/prompt_rollouts.json", "long-rollouts/paired-sink1-vs-shipped.json"])
def test_reports_of_this_version_are_written_back_byte_for_byte(name):
    text = (RESULTS / name).read_text()
    data = json.loads(text)
    report = kind_of(data).from_json(data)
    assert json.dumps(report.to_json(), indent=1) == json.dumps(data, indent=1)


def test_the_shipped_worlds_metrics_read_as_an_evaluation_report():
    from engine.pack import read_pack_manifest
    from engine.pack.describe import manifest_lines

    metrics = read_pack_manifest(ROOT / "assets" / "worlds" / "doom.dwpack")["metrics"]
    report = EvalReport.from_json(metrics)
    assert report.to_json() == metrics
    assert report.windows == 64 and report.precision == "int8" and report.maps == ["MAP21", "MAP22", "MAP23", "MAP24"]
    lines = report.lines()
    assert lines[0] == ("autoencoder PSNR 28.30 dB, sharpness ratio 0.76; teacher-forced next frame PSNR 23.64 dB "
                        "SSIM 0.547")
    assert lines[3] == ("  horizon  4: PSNR 19.99 dB (copy prompt 19.42: +0.57 ± 0.24; turned prompt 20.11: "
                        "-0.12 ± 0.16), dTPSNR +0.56 ± 0.16 dB, sharpness ratio 0.78")
    assert report.summary() == ("16 frames ahead in unseen maps (64 windows): 17.8 dB PSNR (holding the prompt "
                                "still: 17.4 dB), actions change it by 0.52 ± 0.23 dB, sharpness 0.80 of real frames")
    shown = manifest_lines(read_pack_manifest(ROOT / "assets" / "worlds" / "doom.dwpack"))
    at = shown.index("evaluation (the pack as played, int8 dynamics) on MAP21, MAP22, MAP23, MAP24, 64 windows "
                     "(all of it: --json):")
    assert shown[at + 1: at + 1 + len(lines)] == lines


def test_the_launcher_shows_the_reports_summary():
    from app.launcher import metrics_summary

    metrics = json.loads((RESULTS / "miniworld" / "eval-student.json").read_text())
    assert metrics_summary(metrics) == EvalReport.from_json(metrics).summary()
    assert metrics_summary(metrics).startswith("16 frames ahead in unseen rooms (16 windows)")
    assert metrics_summary({}) == "not evaluated yet" and metrics_summary({"windows": "two"}) == "not evaluated yet"


def test_revisit_records_keep_each_protocols_numbers():
    report = RevisitReport.from_json(json.loads((RESULTS / "builder" / "revisits-160.json").read_text()))
    turn = report.protocols["full_turn"]
    assert list(turn.players) == ["real", "memory", "builder", "world"] and turn.players["real"].half is None
    assert turn.players["builder"].half.contrast.error is not None and turn.players["world"].vs_real_end is not None
    minute = report.protocols["minute"]
    assert minute.players["real"].contrast_blocks is None and len(minute.players["world"].contrast_blocks) == 7
    assert report.protocols["turn_response"].starts is None and report.protocols["walk_out_back"].starts >= 1
    castle = report.pictures["other-painted-castle.png"]
    assert set(castle.surround_seconds) == {"coarse", "coarse waited", "refined", "waited"} and castle.plain_synthesis_half is not None
    lines = report.lines()
    assert lines[0] == "revisits on MAP21-MAP24 at 160x120, upper three quarters (above the weapon):"
    real = turn.players["real"].vs_prompt
    assert lines[1].startswith(f"  full_turn ({turn.starts} starts): real_vs_prompt {real.mean:.2f} ± {real.error:.2f}")
    assert lines[5].startswith("  turn_response (- starts): real_first_4 1.00")


def test_bench_rows_of_every_version_read():
    rows = BenchReport.from_json(json.loads((RESULTS / "cpu-85min" / "bench.json").read_text())).rows
    assert all(isinstance(row, BenchSetting) and row.precision is None and row.size is None for row in rows)
    assert rows[0].lines()[0].startswith(f"{rows[0].provider:<22} fp32 host  - ")
    rounds = BenchReport.from_json([{"setting": "cpu fp32 bound steps pack", "rounds": 2, "frames": 5,
                                     "median_ms": 10.0, "p99_ms": 12.5, "round_medians_ms": [9.0, 11.0], "fps": 100.0}])
    assert isinstance(rounds.rows[0], RoundsSetting)
    assert rounds.lines() == ["cpu fp32 bound steps pack: median 10.0 ms (100.0 frames/s), p99 12.5 ms; round medians "
                              "9.0, 11.0"]


def test_a_file_that_is_not_the_report_is_one_error(tmp_path):
    (tmp_path / "bench.json").write_text(json.dumps([{"provider": "CPUExecutionProvider"}]))
    with pytest.raises(ReportError, match="is not a `dreamwalk eval world` report"):
        read_report(tmp_path / "bench.json", EvalReport.from_json, "`dreamwalk eval world`")
    with pytest.raises(ReportError, match="not a readable"):
        read_report(tmp_path / "missing.json", PooledReport.from_json, "pooled")
    pooled = json.loads((RESULTS / "evaluation" / "pooled-shipped-vs-t15.json").read_text())
    assert PooledReport.from_json(pooled["t15"]).windows == 32
