import json

import numpy as np
import pytest
import torch

from engine.evaluation.evaluate import (EvalConfig, WorldModel, dream, evaluate, long_prompt_windows,
                                        record_probe_windows, standard_errors)
from engine.evaluation.metrics import contrast, psnr, sharpness, ssim
from engine.reports import Estimate, EvalReport, PooledReport, RevisitReport
from engine.reports.rollouts import (PerWindow, RolloutErrors, Rollouts, SamplerUsed, StandingStill, Strips,
                                     TeacherForced, Training)
from engine.models.sampling import SamplerConfig
from engine.evaluation.probe import ProbePolicy
from engine.actions import actions_to_array


def test_psnr_and_ssim_on_known_images():
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (2, 24, 32, 3), dtype=np.uint8)
    assert np.all(psnr(real, real) > 99) and np.allclose(ssim(real, real), 1.0)
    shifted = np.clip(real.astype(int) + 10, 0, 255).astype(np.uint8)
    mse = ((shifted.astype(float) - real) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(psnr(shifted, real), 10 * np.log10(255 ** 2 / mse))
    assert np.all(ssim(rng.integers(0, 256, real.shape, dtype=np.uint8), real) < 0.2)


def test_sharpness_and_contrast_tell_blur_and_flat_frames_apart():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (1, 24, 32, 3), dtype=np.uint8)
    blurred = frames.reshape(1, 12, 2, 16, 2, 3).mean(axis=(2, 4)).repeat(2, 1).repeat(2, 2).astype(np.uint8)
    assert sharpness(blurred)[0] < 0.7 * sharpness(frames)[0]
    flat = np.full_like(frames, 90)
    assert contrast(flat)[0] == 0 and sharpness(flat)[0] == 0


def test_probe_is_strong_and_varied():
    probe = ProbePolicy(3)
    raw = actions_to_array([probe.act() for _ in range(600)])
    turn = raw[:, -2]
    assert (np.abs(turn) >= 4).mean() > 0.3 and (turn <= -4).any() and (turn >= 4).any()
    for key in (0, 1, 2, 3):                           # forward, backward, left, right all occur
        assert raw[:, key].mean() > 0.03
    assert (raw[:, -1] != 0).any()


@pytest.mark.slow                     # a minute or more on a CPU
def test_eval_end_to_end_on_a_tiny_world(world_run, tmp_path):
    config = EvalConfig(world=str(world_run / "dynamics.safetensors"), maps="MAP21", windows_per_map=2, horizon=16,
                        sampling=SamplerConfig(name="heun", steps=2, guidance_scale=1.0), guidance_sweep=[1.0, 2.0],
                        long_rollout=100, long_prompts=2, out=str(tmp_path / "eval"))
    report = evaluate(config)
    saved = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert saved == report.to_json() and EvalReport.from_json(saved) == report
    assert saved["windows"] == 2 and set(saved["guidance_sweep"]) == {"1.0", "2.0"}
    assert set(report.copy_prompt_psnr) == {1, 4, 16}
    # Real frames from the simulator: the prompt resembles the next frame far better than a bad model does.
    assert report.copy_prompt_psnr[1] > 15.0
    assert report.copy_prompt_psnr[1] >= report.copy_prompt_psnr[16] - 1.0
    auto = report.autoregressive
    for h in (1, 4, 16):                         # per window against the copy, averaged; spreads over 2 windows
        assert auto.vs_copy[h] == pytest.approx(auto.psnr[h] - report.copy_prompt_psnr[h], abs=1e-9)
        assert auto.stderr.psnr[h] > 0 and auto.stderr.dtpsnr[h] >= 0     # (tiny: action-blind)
        windows = report.per_window                    # kept for paired comparisons: they average to the means
        assert np.mean(windows.psnr[h]) == pytest.approx(auto.psnr[h])
        assert np.mean(windows.copy[h]) == pytest.approx(report.copy_prompt_psnr[h])
        # The turned-prompt baseline (ViZDoom): per window against the model too.
        assert auto.vs_rotated[h] == pytest.approx(auto.psnr[h] - report.rotated_prompt_psnr[h], abs=1e-9)
        assert auto.stderr.vs_rotated[h] > 0
        assert np.mean(windows.dtpsnr[h]) == pytest.approx(auto.dtpsnr[h]) and len(windows.psnr[h]) == 2
    assert report.strips == Strips([0, 1], ["MAP21", "MAP21"])       # one map: both windows
    long = report.long_rollout
    assert long.frames == 100 and len(long.contrast_ratio_range) == 2
    assert 0 <= long.flat_frames <= 200 and 0 <= long.blurred_frames <= 200      # 2 rollouts of 100
    assert long.prompts == ["MAP21", "MAP21"]                   # one map: its first and second window
    for name in ("strips.png", "psnr_vs_horizon.png", "long_rollout.png"):
        assert (tmp_path / "eval" / name).stat().st_size > 1000
    # Standing still: the frames dreamed with no action against the prompt, and the decoder's copy of it.
    model = WorldModel(config.world)
    frames, _, _ = record_probe_windows("vizdoom", ["MAP21"], 2, 16, model.size, 0)
    prompt = frames[:, 0]
    still = report.standing_still
    assert still.ceiling == pytest.approx(float(psnr(model.decode(model.encode(prompt)), prompt).mean()), abs=1e-4)
    dreamed, _ = dream(model, config, prompt, torch.zeros(2, 16, 12), config.sampling.guidance_scale)
    assert set(still.psnr) == {1, 4, 16}
    assert still.psnr[16] == pytest.approx(float(psnr(dreamed[:, 15], prompt).mean()), abs=1e-4)


def test_eval_measures_a_world_pack_as_the_player_runs_it(tiny_pack, tmp_path):
    from engine.runtime.session import WorldSession

    config = EvalConfig(world=str(tiny_pack), maps="MAP21", windows_per_map=2, horizon=4, guidance_sweep=[],
                        long_rollout=0, out=str(tmp_path / "eval"))
    report = evaluate(config)
    with WorldSession.open(tiny_pack, device="cpu") as session:
        sampler = session.manifest["sampler"]
        assert report.precision == "fp32" and report.autoencoder == "the pack's"
        assert report.sampler.to_json() == {key: sampler[key] for key in report.sampler.to_json()}
        frames, _, _ = record_probe_windows("vizdoom", ["MAP21"], 2, 4, session.frame_size, 0)
        # Standing still, replayed by a session of the pack as a player would: same frames, same numbers.
        prompt = frames[:, 0]
        dreamed = []
        for window, image in enumerate(prompt):
            session.reset(image, seed=window)
            dreamed.append([session.step({}) for _ in range(4)])
        still = psnr(np.stack(dreamed), np.broadcast_to(prompt[:, None], (2, 4, *prompt.shape[1:])))
        assert report.standing_still.psnr[4] == pytest.approx(float(still[:, 3].mean()), abs=1e-4)
        copies = np.stack([session.decode(session.encode(image)) for image in prompt])
        assert report.standing_still.ceiling == pytest.approx(float(psnr(copies, prompt).mean()), abs=1e-4)
    assert report.copy_prompt_psnr[1] > 15.0
    assert json.loads((tmp_path / "eval" / "eval.json").read_text()) == report.to_json()


def test_standard_errors_are_the_spread_over_windows_of_the_mean():
    values = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0], [7.0, 10.0]])     # 4 windows, 2 frames
    errors = standard_errors(values, 2)
    assert set(errors) == {1}                                            # horizons up to 2 frames
    assert errors[1] == pytest.approx(2.581988897 / 2)                # sample std of 1, 3, 5, 7 over sqrt(4)
    assert standard_errors(values[:, [1, 1, 1, 1]], 4) == {1: 0.0, 4: 0.0}       # the same value in every window
    assert standard_errors(values[:1], 1) == {1: 0.0}                   # one window: no spread to measure


def test_long_rollouts_start_on_every_map_before_any_twice():
    assert long_prompt_windows(4, 4) == [0, 4, 8, 12]               # windows are stored map by map
    assert long_prompt_windows(4, 4, 6) == [0, 4, 8, 12, 1, 5]
    assert long_prompt_windows(1, 3, 2) == [0, 1]


def test_probe_windows_come_from_miniworld_too():
    frames, raw, ranges = record_probe_windows("miniworld", ["OneRoom", "Maze"], 1, 12, (32, 24), seed=0)
    assert frames.shape == (2, 13, 24, 32, 3) and raw.shape == (2, 12, len(actions_to_array([{}])[0]))
    assert ranges["turn_range"] > 0
    # Real rendered rooms: the probe's turns and walks change the view, and the two places differ.
    assert np.abs(frames[:, 1:].astype(int) - frames[:, :-1]).mean() > 1.0
    assert np.abs(frames[0, 0].astype(int) - frames[1, 0]).mean() > 5.0


def test_eval_measures_a_world_in_miniworld_rooms(world_run, tmp_path):
    config = EvalConfig(world=str(world_run / "dynamics.safetensors"), source="miniworld", maps="OneRoom",
                        windows_per_map=2, horizon=4, sampling=SamplerConfig(name="heun", steps=1, guidance_scale=1.0),
                        guidance_sweep=[], long_rollout=0, out=str(tmp_path / "eval"))
    report = evaluate(config)
    assert report.source == "miniworld" and report.maps == ["OneRoom"] and report.windows == 2
    assert report.copy_prompt_psnr[1] > 12.0 and report.long_rollout is None and report.rotated_prompt_psnr is None
    assert "long_rollout" not in report.to_json() and report.summary() is None     # not 16 frames ahead


def test_horizontal_shift_reads_the_direction_content_moves():
    from engine.evaluation.metrics import horizontal_shift

    rng = np.random.default_rng(3)
    scene = rng.integers(0, 255, (48, 96, 3)).astype(np.uint8)
    before = scene[:, 16:80]
    moved_right = scene[:, 13:77]          # the camera turned left by 3 px: content moves right
    moved_left = scene[:, 21:85]
    assert horizontal_shift(before, moved_right) == 3
    assert horizontal_shift(before, moved_left) == -5
    assert horizontal_shift(before, before) == 0


def small_report(windows: int, psnr: float, dtpsnr: float, copy: float, errors: RolloutErrors | None = None,
                 **parts) -> EvalReport:
    """A report of 16 frames ahead only: what comparisons, the card and the launcher read."""
    return EvalReport(world="w.dwpack", maps=["MAP21"], windows=windows, horizon=16,
                      sampler=SamplerUsed("euler", 1, 5.0), training=Training(10, 80, 1.0), autoencoder_psnr=28.0,
                      autoencoder_sharpness_ratio=0.76, teacher_forced=TeacherForced(23.6, 0.55),
                      copy_prompt_psnr={16: copy}, guidance_sweep={},
                      autoregressive=Rollouts({16: psnr}, {16: dtpsnr}, {16: 0.8}, None, 1.0, stderr=errors),
                      source="vizdoom", **parts)


def test_pooled_evaluations_weigh_each_report_by_its_windows():
    from engine.evaluation import compare as pooled_eval
    a = small_report(16, psnr=18.0, dtpsnr=1.0, copy=17.0)
    b = small_report(48, psnr=20.0, dtpsnr=0.0, copy=19.0, standing_still=StandingStill({16: 25.0}, 30.0))
    pooled = pooled_eval.pool([a, b]).metrics
    assert pooled["PSNR@16"] == pytest.approx(19.5) and pooled["dTPSNR@16"] == pytest.approx(0.25)
    assert pooled["copy@16"] == pytest.approx(18.5) and pooled_eval.pool([a, b]).windows == 64
    assert pooled["still@16"] == pytest.approx(25.0)            # only the report that has it
    assert pooled["PSNR@64"] is None                            # neither has 64 frames
    assert pooled["vs copy@16"] == pytest.approx(1.0) and pooled["±vs copy@16"] is None    # a, b: no errors
    a.autoregressive.stderr = RolloutErrors({16: 0.5}, {16: 0.4}, {16: 0.2})
    b.autoregressive.stderr = RolloutErrors({16: 0.5}, {16: 0.2}, {16: 0.1})
    pooled = pooled_eval.pool([a, b])                           # sqrt((16/64 * 0.4)^2 + (48/64 * 0.2)^2)
    assert pooled.metrics["±vs copy@16"] == pytest.approx((0.1 ** 2 + 0.15 ** 2) ** 0.5)
    assert pooled.metrics["±dTPSNR@16"] == pytest.approx((0.05 ** 2 + 0.075 ** 2) ** 0.5)
    assert PooledReport.from_json(pooled.to_json()) == pooled and list(pooled.to_json())[-1] == "windows"
    assert pooled.lines()[0] == "         PSNR@16 19.50" and pooled.lines()[-1] == "         windows 64.00"


def test_paired_comparison_cancels_how_hard_each_window_is():
    from engine.evaluation import compare as paired_eval
    hardness = [14.0, 18.0, 22.0, 26.0]                   # windows differ by 12 dB; the worlds by 0.5 +- 0.1
    copies = {16: [13.0, 17.0, 21.0, 25.0]}
    first = small_report(4, 20.0, 0.0, 19.0, per_window=PerWindow({16: hardness}, copies, {16: [0.0] * 4}))
    second = small_report(4, 20.5, 1.0, 19.0, per_window=PerWindow(
        {16: [h + d for h, d in zip(hardness, [0.4, 0.6, 0.4, 0.6])]}, copies, {16: [1.0] * 4}))
    result = paired_eval.paired(first, second)
    assert result.psnr[16].mean == pytest.approx(0.5)
    assert result.psnr[16].error == pytest.approx(np.std([0.4, 0.6, 0.4, 0.6], ddof=1) / 2)
    assert result.dtpsnr[16] == Estimate(pytest.approx(1.0), pytest.approx(0.0)) and result.windows == 4
    assert result.to_json()["psnr"]["16"] == [pytest.approx(0.5), pytest.approx(0.05773502691896)]
    assert result.lines()[1] == "  PSNR (and so PSNR over copy): 16: +0.50 ± 0.06 dB"
    other = small_report(4, 20.5, 1.0, 19.0, per_window=PerWindow(second.per_window.psnr,
                                                                  {16: [13.0, 17.0, 21.0, 20.0]}, {16: [1.0] * 4}))
    with pytest.raises(ValueError, match="different windows"):
        paired_eval.paired(first, other)
    with pytest.raises(ValueError, match="per_window"):
        paired_eval.paired(first, small_report(4, 20.0, 0.0, 19.0))


def test_rotate_view_moves_a_pinhole_view_by_the_turn_and_the_look():
    from engine.geometry import rotate_view

    width, height, focal = 64, 48, 32.0            # 90 degrees across 64 px
    rng = np.random.default_rng(5)
    frames = rng.integers(0, 255, (2, height, width, 3)).astype(np.uint8)
    still = rotate_view(frames, np.zeros(2), np.zeros(2))
    assert still.dtype == np.uint8 and np.array_equal(still, frames)

    # A bright column at angle alpha right of centre sits at alpha - turn after turning right by ``turn``.
    alpha, turn = 20.0, 12.0
    column = lambda degrees: (width - 1) / 2 + focal * np.tan(np.radians(degrees))   # noqa: E731
    line = np.zeros((1, height, width, 3), np.float32)
    line[:, :, int(round(column(alpha)))] = 255.0
    turned = rotate_view(line, np.array([turn]), np.array([0.0]))
    seen = turned[0, height // 2, :, 0]
    assert abs(np.argmax(seen) - column(alpha - turn)) < 1.0
    assert abs(horizontal_profile_peak(rotate_view(line, np.array([-turn]), np.array([0.0])))
               - column(alpha + turn)) < 1.0

    # Looking up moves a horizontal line down the image.
    row = np.zeros((1, height, width, 3), np.float32)
    row[:, 20] = 255.0
    up = rotate_view(row, np.array([0.0]), np.array([5.0]))
    assert np.argmax(up[0, :, width // 2, 0]) == 20 + round(focal * np.tan(np.radians(5.0)))

    # Turning and turning back returns the part of the view that stayed in sight (a smooth view: bilinear
    # resampling twice keeps it).
    rows, columns = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    smooth = 127 + 100 * np.sin(2 * np.pi * columns / 16) * np.cos(2 * np.pi * rows / 12)
    view = np.repeat(smooth[None, ..., None], 3, axis=-1).astype(np.float32)
    back = rotate_view(rotate_view(view, np.array([6.0]), np.zeros(1)), np.array([-6.0]), np.zeros(1))
    inside = (slice(None), slice(4, -4), slice(8, width - 8))
    assert np.abs(back[inside] - view[inside]).mean() < 0.1 * np.abs(view - view.mean()).mean()
    assert np.abs(rotate_view(view, np.array([6.0]), np.zeros(1))[inside] - view[inside]).mean() > 0.5 * np.abs(
        view - view.mean()).mean()


def horizontal_profile_peak(frames: np.ndarray) -> int:
    return int(np.argmax(frames[0].mean(axis=(0, 2))))


def test_geometric_baseline_draws_the_rotation_through_a_pack(tiny_pack):
    from conftest import load_script
    from engine.runtime.session import WorldSession

    baseline = load_script("benchmarks/geometric_baseline.py")
    session = WorldSession.open(tiny_pack, device="cpu")
    width, height = session.frame_size
    rng = np.random.default_rng(2)
    prompt = rng.integers(0, 255, (2, height, width, 3)).astype(np.uint8)
    raw = np.zeros((2, 3, 12), np.float32)
    raw[0, :, baseline.TURN] = 5.0                  # the first window turns right, the second stands still
    drawn = baseline.through_pack(str(tiny_pack), prompt, raw)
    copy = np.stack([session.decode(session.encode(frame)) for frame in prompt])
    session.close()
    for name in ("once", "frame_by_frame", "latent_grid"):
        assert drawn[name].shape == (2, 3, height, width, 3) and drawn[name].dtype == np.uint8
        # Standing still, the rotation is the decoder's copy of the prompt (frame by frame: re-encoded each time).
        if name != "frame_by_frame":
            assert np.array_equal(drawn[name][1, 2], copy[1])
        assert not np.array_equal(drawn[name][0, 2], drawn[name][1, 2])
    turned = baseline.rotated(prompt, raw)
    assert np.array_equal(turned[1, 2], prompt[1])
    assert not np.array_equal(turned[0, 0], prompt[0])


def test_reproject_places_a_walls_pixels_where_the_camera_moved():
    from engine.geometry import fill_gaps, reproject, rotate_view

    width, height, focal = 160, 120, 80.0          # 90 degrees across 160 px
    rng = np.random.default_rng(4)
    frame = rng.integers(0, 200, (height, width, 3)).astype(np.uint8)
    frame[:, 100] = 255                              # a bright column 20.5 px right of the centre
    depth = np.full((height, width), 100.0)          # a wall facing the camera 100 map units away
    pose = np.array([0.0, 0.0, 0.0, 90.0, 0.0])      # looking along +y (ViZDoom: angle anticlockwise)

    same, empty = reproject(frame, depth, pose, pose[None])
    assert np.array_equal(same[0], frame) and not empty.any()

    def bright_column(drawn: np.ndarray) -> int:
        return int(np.argmax((drawn[0, 20:-20, :, 0] == 255).sum(axis=0)))

    # 20 units forward: the wall is 80 away, so the column's offset grows by 100/80.
    walked, empty = reproject(frame, depth, pose, np.array([[0.0, 20.0, 0.0, 90.0, 0.0]]))
    assert abs(bright_column(walked) - ((width - 1) / 2 + 20.5 * 100 / 80)) <= 1
    assert not empty[0, 20:-20, 20:-20].any()                    # magnified points leave no gaps
    # Turning right (the angle falls): the same place as the homography of rotate_view puts it.
    turned, empty = reproject(frame, depth, pose, np.array([[0.0, 0.0, 0.0, 80.0, 0.0]]))
    rotated = rotate_view(frame[None].astype(np.float32), np.array([10.0]), np.zeros(1))
    assert abs(bright_column(turned) - int(np.argmax(rotated[0, 60, :, 0]))) <= 1
    assert empty[0, :, -10:].all() and not empty[0, 20:-20, :100].any()   # the strip turned into view is unknown
    # Stepping right moves a wall's pixels left; gaps are filled from their neighbours.
    stepped, empty = reproject(frame, depth, pose, np.array([[10.0, 0.0, 0.0, 90.0, 0.0]]))
    assert bright_column(stepped) == 100 - round(10 / 100 * focal)
    filled = fill_gaps(stepped, empty)
    assert empty.any() and filled[0][empty[0]].min() > 0 and np.array_equal(filled[0][~empty[0]], stepped[0][~empty[0]])


def motion_actions(length: int, seed: int) -> np.ndarray:
    """Random raw action rows: movement buttons and sprint held for a few frames, turns and looks."""
    from engine.actions import ACTION_DIM, KEYS

    rng = np.random.default_rng(seed)
    actions = np.zeros((length, ACTION_DIM), np.float32)
    for start in range(0, length, 5):
        for key in ("forward", "backward", "left", "right", "sprint"):
            actions[start:start + 5, KEYS.index(key)] = rng.random() < 0.4
        actions[start:start + 5, KEYS.index("turn")] = rng.uniform(-8, 8)
        actions[start:start + 5, KEYS.index("look")] = rng.uniform(-3, 3)
    return actions


def test_motion_model_recovers_the_motion_it_was_fitted_on_and_stops_at_walls():
    from engine.actions import ACTION_DIM, KEYS
    from engine.geometry import DOOM_EYE_HEIGHT, DOOM_PITCH_RANGE, MotionModel, view_points

    # Momentum 0.9 forward / 0.8 sideways, buttons push 1.5 (sprint: 3.0) along their axis.
    truth = np.zeros((10, 2))
    truth[0, 0], truth[1, 1] = 0.9, 0.8
    truth[2:6] = [[1.5, 0], [-1.5, 0], [0, -1.5], [0, 1.5]]
    truth[6:10] = truth[2:6]
    walker = MotionModel(truth)
    start = np.array([10.0, -5.0, 0.0, 30.0, 0.0])
    recordings = []
    for seed in range(3):
        actions = motion_actions(200, seed)
        poses = np.concatenate([start[None], walker.poses(start, actions[:-1])])
        poses[120:, 0] += 500.0                           # a teleporter: one jump the fit must leave out
        recordings.append((actions, poses))
    assert np.allclose(MotionModel.fit(recordings).weights, truth, atol=1e-6)

    # The heading falls by each turn, the pitch rises by each look up to Doom's limit, nothing moves.
    spin = np.zeros((40, ACTION_DIM), np.float32)
    spin[:, KEYS.index("turn")], spin[:, KEYS.index("look")] = 10.0, 3.0
    spun = walker.poses(start, spin)
    assert np.allclose(spun[:, :3], start[:3]) and np.isclose(spun[0, 3], 20.0) and np.isclose(spun[3, 3], -10.0)
    assert np.isclose(spun[0, 4], 3.0) and np.isclose(spun[-1, 4], DOOM_PITCH_RANGE[1])
    # Walking forward from rest along the heading (30 degrees), speeding up to 1.5 / (1 - 0.9) a frame.
    walk = np.zeros((60, ACTION_DIM), np.float32)
    walk[:, KEYS.index("forward")] = 1.0
    walked = walker.poses(start, walk)
    steps = np.diff(np.concatenate([start[None], walked])[:, :2], axis=0)
    assert np.allclose(steps[0], 1.5 * np.array([np.cos(np.radians(30)), np.sin(np.radians(30))]))
    assert np.isclose(np.hypot(*steps[-1]), 15.0, rtol=0.01)
    # A wall 100 units ahead (seen in a view's depth) stops the body 16 units short of it; a floor does not.
    ahead = np.array([0.0, 0.0, 0.0, 90.0, 0.0])                 # looking along +y
    wall = view_points(np.full((48, 64), 100.0), ahead)
    blocked = walker.poses(ahead, walk, obstacles=wall)
    assert 100.0 - 16.0 - 15.0 <= blocked[-1, 1] < 100.0 - 16.0 and abs(blocked[-1, 0]) < 1e-9
    floor = wall.copy()
    # 10 units above the floor (lifted views put the camera at the pose's z, Doom's eye 41 units above the
    # floor): below Doom's step height, walked over.
    floor[:, 2] = 10.0 - DOOM_EYE_HEIGHT
    assert np.allclose(walker.poses(ahead, walk, obstacles=floor), walker.poses(ahead, walk))
    # Walking diagonally into the wall slides along it: x keeps going, y stops.
    diagonal = walk.copy()
    diagonal[:, KEYS.index("right")] = 1.0
    slid = walker.poses(ahead, diagonal[:14], obstacles=wall)
    assert np.all(slid[:, 1] < 100.0 - 16.0) and np.all(np.diff(slid[-3:, 0]) > 5.0)
    assert np.allclose(slid[-3:, 1], slid[-1, 1])
    # A wall read inside the body (10 units behind) never traps the player: walking away from it goes on,
    # walking into it does not; a speck of two points ahead (a lamp read near) is not a wall.
    behind = view_points(np.full((48, 64), 10.0), np.array([0.0, 0.0, 0.0, -90.0, 0.0]))
    assert np.allclose(walker.poses(ahead, walk, obstacles=behind), walker.poses(ahead, walk))
    back = np.zeros_like(walk)
    back[:, KEYS.index("backward")] = 1.0
    assert np.allclose(walker.poses(ahead, back, obstacles=behind)[:, :2], 0.0)
    speck = np.array([[0.0, 20.0, 0.0], [0.5, 20.0, 0.0]])
    assert np.allclose(walker.poses(ahead, walk, obstacles=speck), walker.poses(ahead, walk))
    assert walker.poses(ahead, walk, obstacles=np.concatenate([speck, speck + [[1.0, 0.0, 0.0]]]))[-1, 1] < 4.0


def test_probe_windows_replay_other_actions_from_the_same_start():
    """``replay`` plays given actions from each window's start (what another window's actions would have
    done there); ``extras`` keeps the poses and the first frame's depth the reprojection oracle needs."""
    extras, replayed = {}, {}
    frames, raw, _ = record_probe_windows("vizdoom", ["MAP21"], 2, 6, (160, 120), 0, extras=extras)
    assert extras["depth"][0].shape == (120, 160) and extras["poses"][0].shape == (7, 5)
    same, taken, _ = record_probe_windows("vizdoom", ["MAP21"], 2, 6, (160, 120), 0, replay=raw, extras=replayed)
    assert np.array_equal(same, frames) and np.array_equal(taken, raw)
    assert np.allclose(np.stack(replayed["poses"]), np.stack(extras["poses"]))
    swapped, taken, _ = record_probe_windows("vizdoom", ["MAP21"], 2, 6, (160, 120), 0, replay=raw[::-1])
    assert np.array_equal(taken, raw[::-1]) and np.array_equal(swapped[:, 0], frames[:, 0])
    assert not np.array_equal(swapped[:, 1:], frames[:, 1:])


def test_model_card_adds_the_turned_prompt_where_the_report_has_it():
    from engine.export import card
    report = small_report(64, psnr=18.0, dtpsnr=0.5, copy=17.0,
                          errors=RolloutErrors({16: 0.5}, {16: 0.3}, {16: 0.2}, {16: 0.25}))
    old = card.evaluation_section(report)
    assert "turned prompt" not in old and "| 16 | 18.00 | 17.00 | +1.00 ± 0.30 | +0.50 ± 0.20 | 0.80 |" in old
    report.rotated_prompt_psnr = {16: 18.5}
    new = card.evaluation_section(report)
    assert "| 16 | 18.00 | 17.00 | +1.00 ± 0.30 | 18.50 | -0.50 ± 0.25 | +0.50 ± 0.20 | 0.80 |" in new
    assert "turned prompt (dB) | vs turned" in new
    # The command's line of that horizon says the same numbers.
    assert ("  horizon 16: PSNR 18.00 dB (copy prompt 17.00: +1.00 ± 0.30; turned prompt 18.50: -0.50 ± 0.25), "
            "dTPSNR +0.50 ± 0.20 dB, sharpness ratio 0.80") in report.lines()


def test_eval_compares_reports_paired_and_pooled_from_the_command_line(tmp_path):
    """dreamwalk eval compare --paired / --pooled: the comparison's lines and JSON; a report of other windows or
    a file that is not a report is one error line and exit 1."""
    import json
    import subprocess
    import sys

    first = small_report(2, 18.0, 0.5, 17.0, per_window=PerWindow({16: [17.0, 19.0]}, {16: [16.0, 18.0]},
                                                                 {16: [0.4, 0.6]}))
    second = small_report(2, 18.4, 0.5, 17.0, per_window=PerWindow({16: [17.5, 19.3]}, {16: [16.0, 18.0]},
                                                                  {16: [0.4, 0.6]}))
    paths = []
    for name, report in (("a", first), ("b", second)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(report.to_json()))

    def dreamwalk(*arguments):
        return subprocess.run([sys.executable, "-m", "engine.cli", "eval", "compare", *map(str, arguments)],
                              capture_output=True, text=True)

    paired = dreamwalk("--paired", *paths, "--json", tmp_path / "paired.json")
    assert paired.returncode == 0, paired.stderr
    assert "second minus first over the same 2 windows" in paired.stdout
    assert "PSNR (and so PSNR over copy): 16: +0.40 ± 0.10 dB" in paired.stdout
    assert json.loads((tmp_path / "paired.json").read_text())["psnr"]["16"] == [pytest.approx(0.4), pytest.approx(0.1)]
    pooled = dreamwalk("--pooled", *paths)
    assert pooled.returncode == 0 and "PSNR@16 18.20" in pooled.stdout and "windows 4.00" in pooled.stdout
    second.per_window.copy[16] = [1.0, 2.0]
    paths[1].write_text(json.dumps(second.to_json()))
    other = dreamwalk("--paired", *paths)
    assert other.returncode == 1 and other.stderr.strip().startswith("dreamwalk: error: the reports measured different")
    paths[1].write_text("not json")
    broken = dreamwalk("--paired", *paths)
    assert broken.returncode == 1 and len(broken.stderr.strip().splitlines()) == 1
    paths[1].write_text(json.dumps({"windows": 2}))
    lacking = dreamwalk("--pooled", *paths)
    assert lacking.returncode == 1 and "is not a `dreamwalk eval world` report" in lacking.stderr


def test_revisits_measure_the_world_against_doom_and_the_memory_alone(tiny_pack, tmp_path):
    """dreamwalk eval revisits PACK on one start of MAP21: every protocol has its numbers for ViZDoom, the
    memory alone and the world; the memory returns to the prompt after a whole turn (a turn needs no depth),
    and the turn response of Doom itself is 1 by construction."""
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "engine.cli", "eval", "revisits", str(tiny_pack), "--maps", "MAP21",
                             "--starts-per-map", "1", "--out", str(tmp_path / "revisits")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "revisits" / "revisits.json").read_text())
    report = RevisitReport.from_json(saved)
    assert report.to_json() == saved and report.size == [32, 24] and (tmp_path / "revisits" / "full_turn.png").is_file()
    turn = report.protocols["full_turn"]
    assert turn.starts == 1 and turn.players["memory"].vs_prompt.mean > 40 and turn.players["real"].vs_prompt.mean > 25
    assert 5 < turn.players["world"].vs_prompt.mean < 40 and turn.players["world"].half is not None
    response = report.protocols["turn_response"]
    assert response.players["real"].first_4 == pytest.approx(1.0) and 0.5 < response.players["memory"].first_4 < 1.5
    assert list(report.protocols) == ["full_turn", "half_turn_back", "second_turn", "walk_out_back", "turn_response",
                                      "minute"]
    minute = report.protocols["minute"]                     # 1,050 frames: seven blocks of 150
    assert minute.starts == 1 and len(minute.players["world"].contrast_blocks) == 7
    assert result.stdout.splitlines()[:len(report.lines())] == report.lines()
