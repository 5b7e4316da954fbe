"""Monocular depth: the network, its errors, the drawing-like augmentations, and the stage on real ViZDoom depth."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.models.depth import DepthConfig, DepthNet, depth_errors
from engine.reports import DepthReport
from engine.training.depth import drawing_like, resize_depth

ROOT = Path(__file__).resolve().parents[1]


def test_depth_errors_are_the_standard_ones():
    true = torch.tensor([100.0, 200.0, 400.0, 0.0])             # the last pixel has no depth: left out
    predicted = torch.tensor([110.0, 200.0, 200.0, 5.0])
    errors = depth_errors(predicted, true)
    assert errors["abs_rel"] == pytest.approx((0.1 + 0.0 + 0.5) / 3)
    assert errors["delta_1_25"] == pytest.approx(2 / 3)
    assert errors["rmse_log"] == pytest.approx(float(np.sqrt((np.log(1.1) ** 2 + np.log(2) ** 2) / 3)))


def test_the_network_predicts_depth_within_its_bounds_at_any_size():
    torch.manual_seed(0)
    network = DepthNet(DepthConfig(channels=[8, 16, 32]))
    for height, width in ((60, 80), (48, 64)):
        with torch.no_grad():
            depth = network(torch.rand(2, 3, height, width) * 2 - 1)
        assert depth.shape == (2, 1, height, width)
        assert float(depth.min()) >= 1.0 and float(depth.max()) <= 2000.0


def test_drawing_like_looks_keep_pictures_in_range_and_change_them():
    generator = torch.Generator().manual_seed(0)
    pictures = torch.rand(64, 3, 24, 32, generator=generator)
    styled = drawing_like(pictures, generator)
    assert styled.shape == pictures.shape and float(styled.min()) >= 0 and float(styled.max()) <= 1
    changed = (styled - pictures).abs().flatten(1).mean(1) > 0.02
    assert changed.float().mean() > 0.8


def test_resizing_depth_averages_only_where_there_is_depth():
    depth = np.array([[100.0, 300.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(resize_depth(depth, (1, 1)), [[200.0]])      # half the area has depth: its mean
    assert resize_depth(np.zeros((2, 2), np.float32), (1, 1))[0, 0] == 0.0


def test_depth_stage_trains_on_recorded_depth(tmp_path):
    """collect --depth, then train depth --preset tiny: a checkpoint of kind depth that loads; data without
    depth is one error line."""
    from engine.models.checkpoint import load_checkpoint

    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def dreamwalk(*arguments):
        return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, arguments)], capture_output=True,
                              text=True, cwd=ROOT, env=env, timeout=300)

    for name, extra in (("depth", ["--depth", "--hide-weapon"]), ("plain", [])):
        assert dreamwalk("collect", "--source", "vizdoom", "--maps", "MAP01", "--frames", "16", "--episode-frames",
                         "16", "--out", tmp_path / name, "--quiet", *extra).returncode == 0
    result = dreamwalk("train", "depth", "--preset", "tiny", "--data", tmp_path / "depth", "--out", tmp_path / "run",
                       "--quiet", "--set", "train.bf16=false")
    assert result.returncode == 0, result.stderr
    tensors, meta = load_checkpoint(tmp_path / "run" / "depth.safetensors")
    assert meta["kind"] == "depth" and meta["frames"] == 16 and meta["step"] == 3
    network = DepthNet(DepthConfig(**{**meta["config"]["model"]}))
    network.load_state_dict(tensors)
    refused = dreamwalk("train", "depth", "--preset", "tiny", "--data", tmp_path / "plain", "--out", tmp_path / "no")
    assert refused.returncode == 1 and "was recorded with depth" in refused.stderr.strip().splitlines()[-1]

    import json
    import shutil

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for name in ("doom-map01.png", "other-painted-castle.png"):
        shutil.copyfile(ROOT / "assets" / "prompts" / name, prompts / name)
    (prompts / "captions.json").write_text(json.dumps({"doom-map01.png": "a", "other-painted-castle.png": "b"}))
    measured = dreamwalk("eval", "depth", tmp_path / "run" / "depth.safetensors", "--data", tmp_path / "depth",
                         "--prompts", prompts, "--out", tmp_path / "eval")
    assert measured.returncode == 0, measured.stderr
    report = json.loads((tmp_path / "eval" / "depth.json").read_text())
    assert measured.stdout.splitlines()[0] == DepthReport.from_json(report).lines()[0]
    assert report["frames"] == 16 and report["prompts"] == ["doom-map01.png", "other-painted-castle.png"]
    assert 0 <= report["errors"]["delta_1_25"] <= 1 and report["median_reference"]["abs_rel"] >= 0
    assert (tmp_path / "eval" / "depth_prompts.png").is_file()
    no_data = dreamwalk("eval", "depth", tmp_path / "run" / "depth.safetensors", "--out", tmp_path / "eval")
    assert no_data.returncode == 2 and "the following arguments are required: --data" in no_data.stderr
    not_depth = dreamwalk("eval", "depth", tmp_path / "missing.safetensors", "--data", tmp_path / "depth")
    assert not_depth.returncode == 1 and "is not a depth network's checkpoint" in not_depth.stderr


def test_a_pack_with_a_memory_remembers_what_it_showed(memory_pack):
    """Playing a pack with a memory, the pose follows the actions (a whole turn comes back to the start
    heading), the view after a whole turn is the prompt where the memory holds it, and a branch restores the
    memory too."""
    from engine.evaluation.metrics import psnr
    from engine.pack import open_pack
    from engine.runtime import WorldSession

    opened = open_pack(memory_pack)
    assert "depth" in opened.manifest["graphs"] and opened.manifest["memory"]["motion_frames"] == 40
    opened.close()
    with WorldSession.open(memory_pack, device="cpu", seed=1) as world:
        prompt = world.reset(ROOT / "assets" / "prompts" / "doom-map01.png")
        assert np.array_equal(world.pose, np.zeros(5))
        frames = [world.step({"turn": 9.0}) for _ in range(40)]
        assert world.pose[3] == pytest.approx(0.0, abs=1e-6) and np.allclose(world.pose[:2], 0.0, atol=1e-6)
        assert float(psnr(frames[-1][None], prompt[None])[0]) > 30      # back where it started: remembered
        moment = world.snapshot()
        left = [world.step({"turn": -9.0, "forward": True}) for _ in range(5)]
        pose = world.pose
        world.restore(moment)
        assert np.allclose(world.pose, 0.0, atol=1e-6)
        again = [world.step({"turn": -9.0, "forward": True}) for _ in range(5)]
        assert np.allclose(world.pose, pose) and all(np.array_equal(a, b) for a, b in zip(left, again))
    # Shown at Doom's own 160x120: the prompt lifted at full detail comes back after a whole turn.
    with WorldSession.open(memory_pack, device="cpu", seed=1, display_size=(160, 120)) as world:
        prompt = world.reset(ROOT / "assets" / "prompts" / "doom-map01.png")
        frames = [world.step({"turn": 9.0}) for _ in range(40)]
        assert prompt.shape == frames[-1].shape == (120, 160, 3) and world.frame_size == (160, 120)
        assert world.model_size == (32, 24) and float(psnr(frames[-1][None], prompt[None])[0]) > 30


def test_the_picture_is_shown_at_its_own_resolution(memory_pack):
    """At 640x480 the picture's own pixels are drawn for the camera (OpenGL canvas), the memory and the
    dream upscaled where it does not reach: after a whole turn the view is the picture again, as sharp."""
    from engine.evaluation.metrics import psnr, sharpness
    from engine.memory.canvas import Canvas
    from engine.runtime import WorldSession

    canvas, why = Canvas.create()
    if canvas is None:
        pytest.skip(f"no OpenGL canvas here: {why}")
    canvas.close()
    with WorldSession.open(memory_pack, device="cpu", seed=1, display_size=(640, 480)) as world:
        picture = world.reset(ROOT / "assets" / "prompts" / "doom-map01.png")
        assert world.memory.canvas is not None and world.memory.lift_size == (160, 120)
        frames = [world.step({"turn": 9.0}) for _ in range(40)]
        assert frames[0].shape == (480, 640, 3)
        assert float(psnr(frames[-1][None], picture[None])[0]) > 30
        assert float(sharpness(frames[-1][None])[0]) > 0.9 * float(sharpness(picture[None])[0])
        # A turn's first frame keeps the picture's detail where the picture still is (turning right, the left).
        assert float(sharpness(frames[0][None, :, :480])[0]) > 0.9 * float(sharpness(picture[None, :, 160:])[0])


def test_a_kept_scene_plays_the_same_frames_again(memory_pack, tmp_path):
    """A scene kept after exploring (its memory, pose, picture, depth, settings and seed), saved and opened
    again, plays the same frames for the same actions, twice; it holds what was explored (the view there is
    the one left); a scene of another world is refused in one line."""
    from engine.errors import DreamwalkError
    from engine.evaluation.metrics import psnr
    from engine.runtime import WorldSession
    from engine.runtime.scene import open_scene, save_scene

    walk = [{"turn": -9.0, "forward": True}] * 6 + [{"turn": 9.0}] * 4
    with WorldSession.open(memory_pack, device="cpu", seed=3, display_size=(160, 120)) as world:
        world.reset(ROOT / "assets" / "prompts" / "doom-map01.png")
        left = [world.step(action) for action in walk][-1]
        save_scene(tmp_path / "room.dwscene", world.scene())
        kept_pose, name = world.pose, world.manifest["name"]
    scene = open_scene(tmp_path / "room.dwscene")
    assert scene.world == name
    assert scene.source == "doom-map01.png" and scene.seed == 3 and scene.memory is not None
    assert np.allclose(scene.pose, kept_pose)
    runs = []
    for _ in range(2):
        with WorldSession.open(memory_pack, device="cpu", seed=0, display_size=(160, 120)) as world:
            first = world.start_scene(open_scene(tmp_path / "room.dwscene"))
            assert np.allclose(world.pose, kept_pose)
            runs.append([first] + [world.step(action) for action in walk])
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
    assert float(psnr(runs[0][0][None], left[None])[0]) > 25          # the view it was kept at
    scene.world, scene.world_digest = "another world", "0" * 64
    with WorldSession.open(memory_pack, device="cpu") as world:
        with pytest.raises(DreamwalkError, match="this scene was made in the world 'another world'"):
            world.start_scene(scene)


@pytest.mark.slow                     # a minute or more on a CPU
def test_revisits_measure_a_world_at_its_display_size_and_from_pictures(memory_pack, tmp_path, monkeypatch):
    """eval revisits --size --prompts: the world shown at 160x120 against ViZDoom at that size, blocks of a
    long varied walk against the real frames, and a whole turn and a walk out and back from a picture that is
    not a Doom frame (Doom frames are left out)."""
    import shutil

    from engine.evaluation import protocols
    from engine.evaluation.revisits import RevisitConfig, evaluate_revisits

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for name in ("other-painted-castle.png", "doom-map01.png"):
        shutil.copy(ROOT / "assets" / "prompts" / name, pictures / name)
    monkeypatch.setattr(protocols, "MINUTE", 300)             # two blocks of 150 frames, not seven
    report = evaluate_revisits(RevisitConfig(world=str(memory_pack), maps="MAP21", starts_per_map=1,
                                             names=["full_turn", "minute"], display_size=(160, 120),
                                             prompts=str(pictures), out=str(tmp_path / "out"))).to_json()
    minute = report["protocols"]["minute"]
    assert len(minute["world_contrast_blocks"]) == len(minute["world_sharpness_blocks"]) == 2
    assert all(value > 0 for value in minute["world_contrast_blocks"]) and minute["host_mib"][0] > 0
    assert report["size"] == [160, 120] and report["protocols"]["full_turn"]["starts"] == 1
    assert list(report["pictures"]) == ["other-painted-castle.png"]
    castle = report["pictures"]["other-painted-castle.png"]
    assert castle["turn_back_vs_picture"] > 30                    # the memory holds the picture: it comes back
    assert 0.8 < castle["sharpness_back"] < 1.2
    # Half a turn away, never seen: the world builder's surround keeps the picture's palette and contrast, as
    # near the picture as a plain PatchMatch fill; built coarse at once and refined by the worker.
    for stage in ("first_half", "half"):
        assert castle[f"{stage}_colour_distance"] < 0.5 and 0.6 < castle[f"{stage}_contrast"] < 1.5
    assert castle["half_colour_distance"] < castle["plain_synthesis_half_colour_distance"] + 0.15
    assert 0 < castle["surround_coarse_seconds"] < 5 and castle["surround_refined_seconds"] > 0
    turn = report["protocols"]["full_turn"]                       # and from a Doom frame, the builder alone
    assert 0.3 < turn["builder_half_contrast"] < 3 and 0 <= turn["builder_half_colour_distance"] < 1
    assert (tmp_path / "out" / "pictures.png").exists() and (tmp_path / "out" / "full_turn.png").exists()
