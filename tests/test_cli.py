"""The dreamwalk commands, run as a person runs them: separate processes, real ViZDoom and MiniWorld."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.data import read_episodes
from engine.data.shards import read_meta

ROOT = Path(__file__).resolve().parents[1]


def dreamwalk(*args, check=False, **options):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=300, **options)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def collect(out, frames=60, episode_frames=30, maps="MAP01-MAP02", source="vizdoom", **extra):
    args = ["collect", "--source", source, "--maps", maps, "--frames", frames, "--episode-frames",
            episode_frames, "--seed", 7, "--out", out, "--quiet"]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return dreamwalk(*args)


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "doom"
    result = collect(out)
    assert result.returncode == 0, result.stderr
    return out


def test_collect_writes_one_shard_per_episode(recorded):
    shards = sorted(recorded.glob("*.npz"))
    assert [p.name for p in shards] == ["vizdoom-explore-s7-e00000-MAP01.npz", "vizdoom-explore-s7-e00001-MAP02.npz"]
    episodes = list(read_episodes(recorded))
    assert [e.meta["map"] for e in episodes] == ["MAP01", "MAP02"]
    first = episodes[0]
    assert first.frames.shape == (30, 120, 160, 3) and len(first.actions) == 30 and first.poses.shape == (30, 5)
    assert first.meta["fps"] == 17.5 and first.meta["tics_per_frame"] == 2 and first.meta["policy"] == "explore"
    assert not list(recorded.glob(".*"))


def test_collect_is_reproducible_and_resumes(recorded, tmp_path):
    again = tmp_path / "again"
    assert collect(again, frames=30).returncode == 0                  # only the first episode
    first = recorded / "vizdoom-explore-s7-e00000-MAP01.npz"
    np.testing.assert_array_equal(next(read_episodes(again)).frames, next(read_episodes(first)).frames)
    stamp = (again / first.name).stat().st_mtime_ns
    result = collect(again, frames=60)                                # the same command, grown: continues
    assert result.returncode == 0 and "recorded 1 episodes, kept 1" in result.stdout
    assert (again / first.name).stat().st_mtime_ns == stamp           # finished shards are not rewritten
    result = collect(again, frames=60)
    assert "recorded 0 episodes, kept 2" in result.stdout


def test_ctrl_c_keeps_finished_shards_and_the_same_command_continues(tmp_path):
    out = tmp_path / "interrupted"
    args = [sys.executable, "-m", "engine.cli", "collect", "--source", "vizdoom", "--maps", "MAP01",
            "--frames", "4000", "--episode-frames", "400", "--seed", "1", "--out", str(out), "--quiet"]
    process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while len(list(out.glob("*.npz"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "run the same command to continue" in stderr
    kept = sorted(out.glob("*.npz"))
    assert 2 <= len(kept) < 10
    assert not list(out.glob(".*partial"))
    for shard in kept:
        assert len(next(read_episodes(shard))) == 400                 # whole shards only
    result = subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and f"kept {len(kept)}" in result.stdout
    assert len(list(out.glob("*.npz"))) == 10


def test_collect_miniworld_maze_and_rooms(tmp_path):
    out = tmp_path / "mini"
    result = collect(out, frames=120, episode_frames=60, maps="Maze,FourRooms", source="miniworld")
    assert result.returncode == 0, result.stderr
    episodes = list(read_episodes(out))
    assert [e.meta["map"] for e in episodes] == ["Maze", "FourRooms"]
    assert episodes[0].meta["fps"] == 15.0 and episodes[0].frames.shape == (60, 120, 160, 3)
    for episode in episodes:
        walked = np.linalg.norm(np.diff(episode.poses[:, :2], axis=0), axis=1).sum()
        assert walked > 0.5                                              # metres
        # MiniWorld has no buttons such as attack or jump: they are never recorded as pressed.
        assert not any(a["attack"] or a["jump"] or a["use"] for a in episode.actions)


@pytest.mark.parametrize("args, message", [
    (["--source", "quake", "--maps", "MAP01"], "unknown source 'quake'"),
    (["--source", "vizdoom", "--maps", "MAP99"], "unknown Freedoom 2 map 'MAP99'"),
    (["--source", "vizdoom", "--maps", "MAP09-MAP03"], "MAP03 comes before MAP09"),
    (["--source", "vizdoom", "--maps", "hello"], "bad map or range 'hello'"),
    (["--source", "miniworld", "--maps", "Castle"], "unknown MiniWorld environment 'Castle'"),
])
def test_bad_collect_arguments(tmp_path, args, message):
    result = dreamwalk("collect", *args, "--frames", 10, "--out", tmp_path / "x")
    assert message in one_error_line(result)
    assert not (tmp_path / "x").exists()


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = collect(blocker / "data")
    assert "cannot write to" in one_error_line(result)


def test_other_settings_refuse_to_mix_into_a_folder(recorded):
    result = collect(recorded, policy="random")
    assert "holds a collection with other settings (policy)" in one_error_line(result)


@pytest.fixture
def small_disk(tmp_path):
    """A real 400 kB file system: room for one 30-frame shard, not two."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount_point)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_full_disk_during_collect_keeps_finished_shards(small_disk):
    out = small_disk / "data"
    assert collect(out, frames=30).returncode == 0
    kept = sorted(out.glob("*.npz"))
    before = [p.read_bytes() for p in kept]
    result = collect(out, frames=90)
    assert "out of disk space" in one_error_line(result) and result.returncode == 1
    assert sorted(out.glob("*.npz")) == kept and [p.read_bytes() for p in kept] == before
    assert not list(out.glob(".*partial"))
    assert len(next(read_episodes(kept[0]))) == 30


def test_data_info_reports_frames_maps_and_actions(recorded):
    result = dreamwalk("data", "info", recorded, check=True)
    assert "60 frames in 2 episodes" in result.stdout
    assert "vizdoom:MAP01 30, vizdoom:MAP02 30" in result.stdout
    assert "turn histogram" in result.stdout
    info = json.loads(dreamwalk("data", "info", recorded, "--json", check=True).stdout)
    assert info["frames"] == 60 and info["fps"] == 17.5
    assert 0.0 < info["actions"]["pressed"]["forward"] <= 1.0
    assert sum(info["actions"]["turn_histogram"].values()) == pytest.approx(1.0, abs=1e-3)


def test_data_info_on_an_empty_folder_and_a_corrupt_shard(tmp_path, recorded):
    assert "no episode shards" in one_error_line(dreamwalk("data", "info", tmp_path))
    broken = tmp_path / "broken"
    broken.mkdir()
    source = recorded / "vizdoom-explore-s7-e00000-MAP01.npz"
    data = source.read_bytes()
    (broken / source.name).write_bytes(data[: len(data) // 3])
    assert "corrupt or truncated shard" in one_error_line(dreamwalk("data", "info", broken))
    damaged = bytearray(data)
    damaged[len(data) // 2: len(data) // 2 + 64] = bytes(64)           # inside the frames
    (broken / source.name).write_bytes(bytes(damaged))
    assert dreamwalk("data", "info", broken).returncode == 0           # the quick look reads no frames
    assert "corrupt" in one_error_line(dreamwalk("data", "info", broken, "--verify"))


def test_preview_sheet_and_clip(recorded, tmp_path):
    dreamwalk("data", "preview", recorded, "--out", tmp_path / "sheet.png", "--frames", 16, check=True)
    sheet = np.asarray(Image.open(tmp_path / "sheet.png"))
    assert sheet.shape == (2 * (240 + 12), 8 * 320, 3) and sheet.std() > 10
    dreamwalk("data", "preview", recorded, "--out", tmp_path / "clip.mp4", "--episode", 1, check=True)
    with av.open(str(tmp_path / "clip.mp4")) as container:
        stream = container.streams.video[0]
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        assert stream.codec_context.name == "h264"
    assert len(decoded) == 30 and decoded[0].shape == (480, 640, 3)
    assert "must end in .png" in one_error_line(dreamwalk("data", "preview", recorded, "--out", tmp_path / "x.gif"))


def test_shard_metadata_is_complete(recorded):
    meta = read_meta(recorded / "vizdoom-explore-s7-e00001-MAP02.npz")
    for key in ("source", "map", "seed", "fps", "tics_per_frame", "policy", "keys", "turn_range", "look_range",
                "pose_units", "planned_frames", "width", "height", "format_version"):
        assert key in meta


def test_each_measurement_and_the_runtime_check_are_subcommands(capsys):
    """eval world | revisits | depth | prompts | compare and bench run | check parse to their handlers, with the
    options of that measurement only; the earlier flag spellings and options of another mode are refused."""
    from engine.cli import bench, build_parser, evaluation

    parser = build_parser()
    handlers = {("eval", "world", "w.safetensors", "--horizon", "16"): evaluation.world,
                ("eval", "revisits", "p.dwpack", "--starts-per-map", "1", "--size", "160x120"): evaluation.revisits,
                ("eval", "revisits"): evaluation.revisits,
                ("eval", "depth", "d.safetensors", "--data", "held-out"): evaluation.depth,
                ("eval", "prompts", "p.dwpack", "pictures"): evaluation.prompts,
                ("eval", "compare", "--paired", "a.json", "b.json"): evaluation.compare,
                ("eval", "compare", "--pooled", "a.json", "b.json", "c.json"): evaluation.compare,
                ("bench", "run", "p.dwpack", "--rounds", "2"): bench.run,
                ("bench", "run"): bench.run,
                ("bench", "check", "--json", "gpu.json"): bench.check}
    for argv, handler in handlers.items():
        assert parser.parse_args(argv).run is handler, argv
    alone = parser.parse_args(["eval", "revisits"])                  # no world: the references alone
    assert alone.world is None and alone.maps == "MAP21-MAP24" and alone.starts_per_map == 4
    assert parser.parse_args(["eval", "prompts", "p.dwpack"]).folder == "assets/prompts"
    world = parser.parse_args(["eval", "world", "w.safetensors", "--sweep", "", "--steps", "2"])
    assert world.sweep == "" and world.steps == 2 and world.guidance_scale is None and world.out == "runs/eval"
    assert parser.parse_args(["eval", "compare", "--pooled", "a.json", "b.json"]).pooled == ["a.json", "b.json"]
    check = parser.parse_args(["bench", "check", "--json", "gpu.json"])
    assert check.pack is None and check.device == "cuda" and check.frames == 300
    refused = [["eval", "w.safetensors"], ["eval", "world", "w.safetensors", "--revisits"],
               ["eval", "world", "w.safetensors", "--frames", "3"], ["eval", "world"],
               ["eval", "compare"], ["eval", "compare", "--paired", "a.json"],
               ["eval", "compare", "--paired", "a.json", "b.json", "--pooled", "c.json"],
               ["eval", "depth", "d.safetensors"], ["eval", "revisits", "--windows-per-map", "1"],
               ["bench", "p.dwpack"], ["bench", "run", "--check"], ["bench", "check"]]
    for argv in refused:
        with pytest.raises(SystemExit) as exit:
            parser.parse_args(argv)
        assert exit.value.code == 2, argv
    assert "the following arguments are required: --data" in capsys.readouterr().err


def test_the_sampler_flags_of_eval_and_export_build_one_sampler_config(capsys, monkeypatch):
    """--sampler --steps --guidance --sigma-max --prior-sigma --context-sigma, declared and explained by the
    command line, are the SamplerConfig eval and export take; the flags not given are the checkpoint's."""
    from engine.cli import build_parser
    from engine.cli.options import sampler_config
    from engine.models.sampling import SamplerConfig

    monkeypatch.setenv("COLUMNS", "300")                    # one help line per flag
    parser = build_parser()
    flags = ["--sampler", "euler", "--steps", "2", "--guidance", "1.5", "--sigma-max", "1", "--prior-sigma", "4",
             "--context-sigma", "0.07"]
    for command in (["eval", "world", "w.safetensors"], ["export", "w.safetensors", "--out", "w.dwpack"]):
        given = sampler_config(parser.parse_args([*command, *flags]))
        assert given == SamplerConfig(name="euler", steps=2, guidance_scale=1.5, sigma_max=1.0, prior_sigma=4.0,
                                      context_sigma=0.07)
        assert given.given() == flags[::2]
        assert sampler_config(parser.parse_args(command)) == SamplerConfig()
        with pytest.raises(SystemExit):
            parser.parse_args([*command, "--sampler", "dpm"])
        assert "invalid choice: 'dpm' (choose from 'heun', 'euler')" in capsys.readouterr().err
        with pytest.raises(SystemExit):
            parser.parse_args([*command[:2], "--help"])
        shown = capsys.readouterr().out
        assert "--steps STEPS" in shown and "sampler steps per frame; default 4 (teacher), 1 (student)" in shown


@pytest.mark.parametrize("command", [["eval", "world"], ["export"]])
def test_a_prior_start_must_be_a_positive_noise_level(command, tmp_path):
    result = dreamwalk(*command, tmp_path / "missing.safetensors", "--prior-sigma", "0", "--out", tmp_path / "x")
    assert result.returncode != 0 and "--prior-sigma: must be a positive noise level, got 0" in result.stderr
    assert not (tmp_path / "x").exists()


def test_export_names_the_world_apart_from_its_sampler(world_run, tmp_path):
    """--name is the world's name and --sampler the sampler's: they once shared one setting, and a named
    export failed with 'unknown sampler'."""
    from engine.pack import open_pack

    result = dreamwalk("export", world_run / "dynamics.safetensors", "--out", tmp_path / "w.dwpack", "--name",
                       "Doom (Freedoom 2)", "--sampler", "euler", "--steps", "1")
    assert result.returncode == 0, result.stderr
    opened = open_pack(tmp_path / "w.dwpack")
    assert opened.manifest["name"] == "Doom (Freedoom 2)" and opened.manifest["sampler"]["name"] == "euler"
    opened.close()


@pytest.mark.parametrize("option, value, message", [
    ("--prior-sigma", "50", "prior_sigma must lie in (0, 5], got 50.0"),
    ("--context-sigma", "-1", "context_sigma must lie in [0, 5], got -1.0")])
def test_eval_refuses_noise_levels_beyond_the_trained_ones_before_recording(world_run, tmp_path, option, value,
                                                                           message):
    result = dreamwalk("eval", "world", world_run / "dynamics.safetensors", option, value, "--out", tmp_path / "x")
    assert result.returncode == 1 and message in one_error_line(result)
    assert not (tmp_path / "x").exists()


def test_eval_of_a_world_pack_refuses_checkpoint_sampler_options(tiny_pack, tmp_path):
    result = dreamwalk("eval", "world", tiny_pack, "--steps", "2", "--context-sigma", "0.1", "--out", tmp_path / "x")
    assert result.returncode == 1
    assert ("--steps, --context-sigma: for checkpoints; a world pack is measured with its own sampler settings"
            in one_error_line(result))
    result = dreamwalk("eval", "world", tiny_pack, "--precision", "int8", "--out", tmp_path / "x")
    assert result.returncode == 1 and "no int8 graphs (export it with --int8)" in one_error_line(result)
    result = dreamwalk("eval", "world", tmp_path / "missing.safetensors", "--precision", "int8", "--out",
                       tmp_path / "x")
    assert result.returncode == 1 and "--precision: for world packs" in one_error_line(result)
    assert not (tmp_path / "x").exists()


def test_eval_embeds_its_report_as_a_packs_metrics(tiny_pack, world_run, tmp_path):
    import shutil

    from app.launcher import metrics_summary
    from engine.pack import open_pack

    pack = tmp_path / "tiny.dwpack"
    shutil.copyfile(tiny_pack, pack)
    result = dreamwalk("eval", "world", pack, "--maps", "MAP21", "--windows-per-map", "2", "--horizon", "16", "--long",
                       "0", "--sweep", "", "--embed", "--out", tmp_path / "eval", check=True)
    assert "± standard errors over the 2 windows" in result.stdout and "is now" in result.stdout
    saved = json.loads((tmp_path / "eval" / "eval.json").read_text())
    before, after = open_pack(tiny_pack), open_pack(pack)       # still verifies: graphs and checksums untouched
    try:
        metrics = after.manifest["metrics"]
        assert metrics == saved and metrics["windows"] == 2
        assert after.manifest == {**before.manifest, "metrics": saved}
    finally:
        before.close()
        after.close()
    info = dreamwalk("info", pack, check=True).stdout               # summarised, not dumped
    assert "evaluation (the pack as played, fp32 dynamics) on MAP21, 2 windows" in info
    assert "± standard errors over the 2 windows" in info and "per_window" not in info
    error = saved["autoregressive"]["stderr"]["dtpsnr"]["16"]      # the launcher's line: 16 frames ahead
    assert "(2 windows)" in metrics_summary(metrics) and f"± {error:.2f} dB" in metrics_summary(metrics)
    # A checkpoint's report goes in with export --metrics; a folder cannot be rewritten as a zip.
    result = dreamwalk("eval", "world", world_run / "dynamics.safetensors", "--embed", "--out", tmp_path / "x")
    assert result.returncode == 1 and "--embed: for world packs" in one_error_line(result)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    result = dreamwalk("eval", "world", folder, "--embed", "--out", tmp_path / "x")
    assert result.returncode == 1 and "is a pack folder" in one_error_line(result)
    assert not (tmp_path / "x").exists()


def test_eval_refuses_a_negative_number_of_long_rollouts(tmp_path):
    result = dreamwalk("eval", "world", tmp_path / "missing.safetensors", "--long-prompts", "-1", "--out",
                       tmp_path / "x")
    assert result.returncode != 0 and "--long-prompts: must be 0 or more, got -1" in result.stderr
    assert not (tmp_path / "x").exists()


def test_eval_names_the_sources_it_knows(world_run, tmp_path):
    result = dreamwalk("eval", "world", world_run / "dynamics.safetensors", "--source", "crafter", "--out",
                       tmp_path / "x")
    assert result.returncode == 1
    assert "unknown source 'crafter'; choose one of: vizdoom, miniworld" in one_error_line(result)
    assert not (tmp_path / "x").exists()


def test_pack_int8_adds_a_checked_int8_graph_to_an_old_pack(tiny_pack, tmp_path):
    """dreamwalk pack int8: the new pack has the int8 dynamics graph beside the fp32 one, checked against it
    and named in the manifest with its drift; everything else as it was. A missing pack is one line."""
    from engine.pack import open_pack

    result = dreamwalk("pack", "int8", tiny_pack, "--out", tmp_path / "int8.dwpack", check=True)
    assert "int8 dynamics beside fp32" in result.stdout
    old, new = open_pack(tiny_pack), open_pack(tmp_path / "int8.dwpack")
    try:
        assert not old.has_int8 and new.has_int8
        assert 0 < new.manifest["parity"]["int8_max_abs_latent_difference"] < 0.5
        assert {key: value for key, value in new.manifest.items() if key not in ("graphs", "parity")} == \
            {key: value for key, value in old.manifest.items() if key not in ("graphs", "parity")}
    finally:
        old.close()
        new.close()
    missing = dreamwalk("pack", "int8", tmp_path / "missing.dwpack", "--out", tmp_path / "x.dwpack")
    assert one_error_line(missing) == f"dreamwalk: error: no world pack at {tmp_path / 'missing.dwpack'}"
    assert not (tmp_path / "x.dwpack").exists()


def test_bench_alternates_settings_round_after_round(tiny_pack, tmp_path):
    """dreamwalk bench run --rounds: each setting timed in every round, medians over all of them."""
    import json

    timed = dreamwalk("bench", "run", tiny_pack, "--device", "cpu", "--precision", "fp32", "--io-binding", "on,off",
                      "--rounds", "2", "--frames", "5", "--json", tmp_path / "rounds.json", check=True)
    rows = json.loads((tmp_path / "rounds.json").read_text())
    assert [row["setting"] for row in rows] == ["cpu fp32 bound steps pack", "cpu fp32 host steps pack"]
    assert all(len(row["round_medians_ms"]) == 2 and row["median_ms"] > 0 for row in rows)
    assert [line.split(":")[0].strip() for line in timed.stdout.splitlines()] == [row["setting"] for row in rows]
    dreamwalk("bench", "run", tiny_pack, "--device", "cpu", "--frames", "3", "--size", "48x36", "--json",
              tmp_path / "sized.json", check=True)
    [sized] = json.loads((tmp_path / "sized.json").read_text())
    assert sized["size"] == [48, 36] and sized["memory"] is False
    assert one_error_line(dreamwalk("bench", "run", tiny_pack, "--size", "big")).endswith("--size takes WIDTHxHEIGHT, "
                                                                                  "such as 160x120, not 'big'")
    bad = dreamwalk("bench", "run", tiny_pack, "--io-binding", "sometimes")
    assert one_error_line(bad).endswith("--io-binding takes a comma list of auto, on and off, not 'sometimes'")


def test_eval_rolls_a_pack_out_from_a_folder_of_pictures(tiny_pack, tmp_path):
    """dreamwalk eval prompts PACK FOLDER: every captioned picture rolled out, a line, a JSON row and sheet rows
    each."""
    import json
    import shutil

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for name in ("doom-map01.png", "other-pencil-sketch.png"):
        shutil.copyfile(ROOT / "assets" / "prompts" / name, prompts / name)
    (prompts / "captions.json").write_text(json.dumps({"doom-map01.png": "a", "other-pencil-sketch.png": "b"}))
    rolled = dreamwalk("eval", "prompts", tiny_pack, prompts, "--frames", "170", "--out", tmp_path / "out", check=True)
    assert [line.split()[0] for line in rolled.stdout.splitlines()[:2]] == ["doom-map01.png", "other-pencil-sketch.png"]
    summary = json.loads((tmp_path / "out" / "prompt_rollouts.json").read_text())
    assert sorted(summary["results"]) == ["doom-map01.png", "other-pencil-sketch.png"]
    assert all("turns_both_ways" in row and len(row["still_psnr"]) == 3 for row in summary["results"].values())
    assert (tmp_path / "out" / "prompt_rollouts.png").is_file()
    (prompts / "captions.json").unlink()
    assert "captions.json" in one_error_line(dreamwalk("eval", "prompts", tiny_pack, prompts, "--out", tmp_path / "y"))


def test_collect_records_depth_and_the_view_without_the_weapon(tmp_path):
    """dreamwalk collect --depth --hide-weapon: every frame's depth in map units beside it (read_episodes gives
    .depth), the view without the weapon; older shards (no depth) read with .depth None."""
    from engine.data import read_episodes

    for name, extra in (("plain", []), ("memory", ["--depth", "--hide-weapon"])):
        dreamwalk("collect", "--source", "vizdoom", "--maps", "MAP01", "--frames", "12", "--episode-frames", "12",
                  "--seed", "3", "--out", tmp_path / name, "--quiet", *extra, check=True)
    [plain] = read_episodes(tmp_path / "plain")
    [memory] = read_episodes(tmp_path / "memory")
    assert plain.depth is None and memory.meta["depth_units"] == "map units along the view axis"
    assert memory.depth.shape == memory.frames.shape[:3] and memory.depth.dtype == np.float32
    assert 0 < float(np.median(memory.depth)) < 2000 and float(memory.depth.min()) >= 0
    # Same seed, same start: the view above the weapon is the same, the weapon's place at the bottom is not.
    height, width = plain.frames.shape[1:3]
    assert np.array_equal(plain.frames[0, : height // 2], memory.frames[0, : height // 2])
    weapon = (slice(3 * height // 4, height), slice(width // 3, 2 * width // 3))
    changed = np.abs(plain.frames[0].astype(int) - memory.frames[0]).sum(axis=-1) > 30
    assert changed[weapon].mean() > 0.05 and changed.sum() == changed[weapon].sum()
    refused = dreamwalk("collect", "--source", "miniworld", "--maps", "Maze", "--frames", "4", "--hide-weapon",
                        "--out", tmp_path / "mini", "--quiet")
    assert one_error_line(refused) == "dreamwalk: error: --hide-weapon: miniworld draws no weapon"
