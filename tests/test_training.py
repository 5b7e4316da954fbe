"""Training commands on tiny presets: checkpoints with their config, resume, Ctrl-C, DDP, learning."""

import copy
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from engine.models.checkpoint import load_checkpoint
from engine.config import ConfigError, apply_overrides, from_dict
from engine.models.checkpoint import load_world_model
from engine.training.dynamics import DynamicsTrainConfig
from engine.training.metrics import MetricsLog

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def dreamwalk(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=ENV, timeout=timeout)


def test_overrides_are_typed():
    config = apply_overrides(DynamicsTrainConfig(), ["model.layers=3", "train.bf16=false", "train.lr=0.01",
                                                     "data=/x"])
    assert config.model.layers == 3 and config.train.bf16 is False and config.train.lr == 0.01
    assert config.data == "/x"
    with pytest.raises(ConfigError, match="unknown config key 'model.depth'"):
        apply_overrides(DynamicsTrainConfig(), ["model.depth=3"])
    with pytest.raises(ConfigError, match="expected a value like 6"):
        apply_overrides(DynamicsTrainConfig(), ["model.layers=many"])


def test_autoencoder_run_folder(autoencoder_run):
    tensors, meta = load_checkpoint(autoencoder_run / "checkpoint.safetensors")
    assert meta["step"] == 4 and meta["config"]["model"]["latent_channels"] == 4
    assert any(name.startswith("ema.") for name in tensors) and any(name.startswith("optimizer.") for name in tensors)
    final, final_meta = load_checkpoint(autoencoder_run / "autoencoder.safetensors")
    assert final_meta["kind"] == "autoencoder" and final["latent_std"].shape == (4,)
    rows = MetricsLog.read(autoencoder_run / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4] and all(np.isfinite(float(r["loss"])) for r in rows)
    assert (autoencoder_run / "loss.png").stat().st_size > 1000


def test_resume_continues_from_the_last_step(autoencoder_run, tmp_path):
    run = tmp_path / "ae"
    run.mkdir()
    for name in ("checkpoint.safetensors", "metrics.csv"):
        (run / name).write_bytes((autoencoder_run / name).read_bytes())
    data = json.loads(safe_open(str(run / "checkpoint.safetensors"), "pt").metadata()["dreamwalk"])["config"]["data"]
    relative = os.path.relpath(data, ROOT)          # the same folder, written another way, still resumes
    assert relative != data
    result = dreamwalk("train", "autoencoder", "--preset", "tiny", "--data", relative, "--out", run,
                       "--set", "train.steps=6", "--quiet")
    assert result.returncode == 0, result.stderr
    assert [int(r["step"]) for r in MetricsLog.read(run / "metrics.csv")] == [1, 2, 3, 4, 5, 6]
    result = dreamwalk("train", "autoencoder", "--preset", "tiny", "--data", data, "--out", run,
                       "--set", "model.latent_channels=8", "--quiet")
    assert "holds a run with another config" in result.stderr and result.returncode == 1


def test_ctrl_c_saves_the_step_it_reached(episodes, tmp_path):
    run = tmp_path / "ae"
    args = [sys.executable, "-m", "engine.cli", "train", "autoencoder", "--preset", "tiny", "--data", str(episodes),
            "--out", str(run), "--set", "train.steps=100000", "--quiet"]
    process = subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if (run / "metrics.csv").exists() and len(MetricsLog.read(run / "metrics.csv")) >= 3:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    _, meta = load_checkpoint(run / "checkpoint.safetensors")
    assert meta["step"] >= 3 and f"saved at step {meta['step']}" in stdout


def test_dynamics_trains_and_loads(world_run):
    denoiser, meta = load_world_model(world_run / "dynamics.safetensors")
    assert meta["step"] == 3 and meta["config"]["model"]["latent_height"] == 6    # taken from the autoencoder
    assert denoiser.network.config.context_frames == 4


def test_tiny_dynamics_learns_a_fixed_batch():
    """A real learning signal: 200 steps on one batch of windows cut the EDM loss by more than 40%."""
    from engine.models.denoiser import Denoiser, DiffusionConfig
    from engine.models.dynamics import DynamicsConfig, DynamicsTransformer

    torch.manual_seed(0)
    config = DynamicsConfig(latent_channels=4, latent_height=2, latent_width=3, d_model=64, layers=2, heads=2,
                            context_frames=4)
    denoiser = Denoiser(DynamicsTransformer(config), DiffusionConfig(action_dropout=0.0))
    # Structured windows (a shared pattern that fades in over time, shifted by the action): learnable,
    # unlike pure noise, whose best denoiser is the EDM skip connection alone.
    actions = torch.randn(8, 4, 12)
    pattern = torch.randn(4, 2, 3)
    fade = torch.linspace(0.5, 1.5, 5)[None, :, None, None, None]
    latents = (pattern * fade).repeat(8, 1, 1, 1, 1)
    latents[:, 1:] += actions[:, :, :1, None, None] * 0.5
    optimizer = torch.optim.AdamW(denoiser.parameters(), lr=2e-3)

    def evaluate():
        torch.manual_seed(123)
        with torch.no_grad():
            return float(np.mean([denoiser(latents, actions)[0].item() for _ in range(20)]))

    before = evaluate()
    for _ in range(200):
        loss, _ = denoiser(latents, actions)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert evaluate() < 0.6 * before


def test_torchrun_two_processes_end_with_identical_weights(episodes, tmp_path):
    run = tmp_path / "ddp"
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                             "--master_port=29517", "-m", "engine.cli", "train", "autoencoder", "--preset", "tiny",
                             "--data", str(episodes), "--out", str(run), "--quiet"],
                            capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    digests = [(run / f"weights-rank{rank}.sha256").read_text() for rank in (0, 1)]
    assert digests[0] == digests[1] and len(digests[0]) == 64
    _, meta = load_checkpoint(run / "checkpoint.safetensors")
    assert meta["world_size"] == 2 and meta["samples"] == 4 * 4 * 2


@pytest.mark.slow                     # a minute or more on a CPU
def test_distilled_student_learns_the_teacher_in_one_step(world_run, tmp_path):
    """The student is trained towards the teacher's guided multi-step samples; its loss must fall."""
    from engine.config import apply_overrides
    from engine.training.distill import DistillConfig, train_student
    from engine.training.presets import preset_overrides

    config = apply_overrides(DistillConfig(teacher=str(world_run / "dynamics.safetensors")),
                             preset_overrides("distill", "tiny"))
    apply_overrides(config, {"train.out": str(tmp_path / "student"), "train.steps": 60, "train.lr": 3e-3,
                             "train.bf16": False, "sigma_max": 1.0})
    train_student(config, quiet=True)
    losses = [float(r["loss"]) for r in MetricsLog.read(tmp_path / "student" / "metrics.csv")]
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:10])
    student, meta = load_world_model(tmp_path / "student" / "student.safetensors")
    assert meta["distilled"]["guidance_scale"] == 1.5 and meta["step"] == 60
    from engine.export.export import ExportConfig, export_world
    from engine.pack import open_pack

    # The pack samples the way the student was distilled: one Euler step from sigma 1.
    export_world(ExportConfig(str(tmp_path / "student" / "student.safetensors"), str(tmp_path / "student.dwpack"), parity_frames=4))
    opened = open_pack(tmp_path / "student.dwpack")
    assert opened.manifest["sampler"]["sigma_max"] == 1.0 and opened.manifest["sampler"]["steps"] == 1
    opened.close()


def test_a_run_resumes_only_under_its_own_config(world_run, tmp_path):
    """A student resumes from its run folder under the same config (the steps may grow); another setting,
    or a checkpoint whose config lacks a setting (an earlier version's run), is refused in one line."""
    from engine.models.checkpoint import save_checkpoint
    from engine.training.distill import DistillConfig, train_student
    from engine.training.presets import preset_overrides

    def config(**extra):
        config = apply_overrides(DistillConfig(teacher=str(world_run / "dynamics.safetensors")),
                                 preset_overrides("distill", "tiny"))
        return apply_overrides(config, {"train.out": str(tmp_path / "student"), "train.bf16": False, **extra})

    train_student(config(**{"train.steps": 2}), quiet=True)
    checkpoint = tmp_path / "student" / "checkpoint.safetensors"
    train_student(config(**{"train.steps": 4}), quiet=True)
    tensors, meta = load_checkpoint(checkpoint)
    assert meta["step"] == 4 and "context_sigma" in meta["config"]
    with pytest.raises(ConfigError, match="holds a run with another config"):
        train_student(config(**{"train.steps": 6, "context_sigma": 0.08}), quiet=True)
    del meta["config"]["context_sigma"]
    save_checkpoint(checkpoint, tensors, meta)
    with pytest.raises(ConfigError, match="holds a run with another config"):
        train_student(config(**{"train.steps": 6}), quiet=True)


def test_a_student_of_a_prior_started_teacher_steps_from_its_own_level(world_run, episodes, tmp_path):
    """Distilled from a teacher that samples from sigma 1 with a prior start, the student takes its one step
    at student_sigma (the trained maximum here), and its pack samples from there. ``data`` distils on
    episodes named here (a teacher trained on another machine names a path that is not), cached in the
    student's own run folder. It distils (and then plays) with its context at the noise level asked."""
    from engine.models.sampling import SamplerConfig
    from engine.training.distill import DistillConfig, DistillTask, train_student
    from engine.training.presets import preset_overrides

    config = apply_overrides(DistillConfig(teacher=str(world_run / "dynamics.safetensors")),
                             preset_overrides("distill", "tiny"))
    apply_overrides(config, {"train.out": str(tmp_path / "student"), "train.steps": 4, "train.bf16": False,
                             "sigma_max": 1.0, "prior_sigma": 5.0, "student_sigma": 5.0, "data": str(episodes),
                             "context_sigma": 0.08})
    teacher, teacher_meta = load_world_model(world_run / "dynamics.safetensors")
    task = DistillTask(config, teacher, from_dict(DynamicsTrainConfig, teacher_meta["config"]))
    assert task.sigmas[0] == pytest.approx(1.0) and task.student_sigma == pytest.approx(5.0)
    assert task.context_sigma == 0.08 and SamplerConfig().resolve(teacher_meta, teacher.config).context_sigma == 0.05
    for key, value in (("prior_sigma", 50.0), ("context_sigma", -1.0)):
        with pytest.raises(ConfigError, match=f"{key} must lie in"):
            DistillTask(apply_overrides(copy.deepcopy(config), {key: value}), teacher,
                        from_dict(DynamicsTrainConfig, teacher_meta["config"]))
    train_student(config, quiet=True)
    student, meta = load_world_model(tmp_path / "student" / "student.safetensors")
    resolved = SamplerConfig().resolve(meta, student.config)       # what eval and export play it with
    assert meta["distilled"]["prior_sigma"] == 5.0 and resolved.sigma_max == 5.0
    assert resolved.context_sigma == 0.08 and (resolved.name, resolved.steps) == ("euler", 1)
    assert any((tmp_path / "student" / "latents").rglob("*.npz"))


def test_batches_are_windows_of_one_episode_with_their_actions():
    """Each window is context_frames + 1 consecutive latents of one episode and the actions leading into
    frames 1..T, so a window never spans two episodes."""
    from engine.training.dynamics import DynamicsTask

    config = apply_overrides(DynamicsTrainConfig(), {"model.context_frames": 3, "train.batch_size": 64,
                                                     "model.d_model": 16, "model.layers": 1, "model.heads": 1,
                                                     "model.latent_channels": 1, "model.latent_height": 1,
                                                     "model.latent_width": 1})
    # Latent value = 1000 * episode + frame index; action = the same number in its first slot.
    episodes = []
    for e, length in enumerate((5, 9, 40)):
        index = 1000 * e + np.arange(length, dtype=np.float32)
        actions = np.zeros((length, 12), np.float32)
        actions[:, 0] = index
        episodes.append((index.reshape(length, 1, 1, 1).astype(np.float16), actions))
    latents, actions = next(DynamicsTask(config, episodes).batches())
    assert latents.shape == (64, 4, 1, 1, 1) and actions.shape == (64, 3, 12)
    values = latents[:, :, 0, 0, 0].numpy()
    assert np.all(np.diff(values, axis=1) == 1)                       # consecutive frames of one episode
    assert np.array_equal(actions[:, :, 0].numpy(), values[:, :-1])   # the action stored with each anchor
    assert len({int(v) // 1000 for v in values[:, 0]}) == 3          # every episode is drawn


def test_resize_on_the_device_matches_area_resize():
    from engine.images import area_resize
    from engine.models.autoencoder import frames_to_tensor
    from engine.training.latents import resized_images

    frames = np.random.default_rng(0).integers(0, 256, (6, 120, 160, 3), dtype=np.uint8)
    expected = frames_to_tensor(torch.from_numpy(area_resize(frames, (64, 48))))
    got = resized_images(torch.from_numpy(frames), (64, 48))
    assert got.shape == (6, 3, 48, 64)
    assert float((got - expected).abs().max()) <= 1 / 127.5 + 1e-6    # at most one level of rounding


def test_distillation_draws_its_own_batch_size(world_run):
    from engine.config import from_dict
    from engine.training.distill import DistillConfig, DistillTask

    config = apply_overrides(DistillConfig(teacher=str(world_run / "dynamics.safetensors")),
                             {"train.batch_size": 5, "teacher_steps": 2})
    teacher, meta = load_world_model(config.teacher)
    task = DistillTask(config, teacher, from_dict(DynamicsTrainConfig, meta["config"]))
    latents, actions = next(task.batches())
    assert len(latents) == 5 and len(actions) == 5


def distill_task(world_run, **settings):
    """A distillation task on the tiny world's teacher (2 teacher steps from sigma 1), with ``settings``."""
    from engine.training.distill import DistillConfig, DistillTask

    config = apply_overrides(DistillConfig(teacher=str(world_run / "dynamics.safetensors")),
                             {"teacher_steps": 2, "sigma_max": 1.0, **settings})
    teacher, meta = load_world_model(config.teacher)
    return DistillTask(config, teacher, from_dict(DynamicsTrainConfig, meta["config"]))


def test_self_forcing_dreams_the_last_context_frames_as_play_would(world_run):
    """With ``self_forcing`` N the student's context ends in N frames it dreamed itself, each one step from the
    frames before it (as the runtime plays a one-step student); the first frames and the target stay real."""
    def task(**extra):
        return distill_task(world_run, **{"train.batch_size": 3, **extra})

    forcing = task(self_forcing=2)
    latents, actions = next(forcing.batches())
    torch.manual_seed(0)
    dreamed = forcing.dreamed_context(forcing.model, latents, actions)
    length = actions.shape[1]                                # frames after the first latent; the last is the target
    changed = [int(not torch.equal(dreamed[:, k], latents[:, k])) for k in range(length + 1)]
    assert changed == [0] * (length - 2) + [1, 1, 0]
    # The first dreamed frame is the student's one step from the real frames before it.
    student, frame = forcing.model, length - 3
    anchors = latents[:, :frame + 1]
    torch.manual_seed(0)
    context = student.to_diffused(latents[:, 1:frame + 1], anchors[:, :-1])
    noisy = context + forcing.context_sigma * torch.randn_like(context)
    noise = torch.randn_like(context[:, -1])
    sigmas = torch.cat([torch.full((3, frame), forcing.context_sigma), torch.full((3, 1), forcing.student_sigma)], 1)
    with torch.no_grad():
        output, _ = student.denoise(torch.cat([noisy, (noise * forcing.student_sigma)[:, None]], 1), sigmas, anchors,
                                    actions[:, :frame + 1], torch.ones(3, frame + 1, dtype=torch.bool))
    assert torch.allclose(dreamed[:, frame + 1], student.from_diffused(output[:, -1], anchors[:, -1]), atol=1e-5)
    loss, _ = forcing.loss(forcing.model, (latents, actions))
    assert torch.isfinite(loss) and loss.item() > 0
    with pytest.raises(ConfigError, match="self_forcing must lie in"):
        task(self_forcing=length - 1)


def test_still_windows_hold_a_frame_without_action_and_target_it(world_run):
    """In a stopped window the frames after the one the player stops on repeat it, the actions leading into
    them are the no-action input, and the student's target for the last frame is that unchanged frame."""
    from engine.training.dynamics import DynamicsTask, stop_windows

    def task(**extra):
        return distill_task(world_run, **{"train.batch_size": 6, **extra})

    stills = task(still_windows=1.0)
    latents, actions = next(stills.batches())
    torch.manual_seed(3)
    held, quiet, stopped, _ = stop_windows(latents, actions, 1.0, latents[:, :-1])
    assert stopped.all()
    for window in range(len(latents)):
        stop = next(k for k in range(actions.shape[1]) if float(quiet[window, k].abs().sum()) == 0.0)
        # Real frames up to the stop, then that frame again; no action from the stop on, the real ones before.
        assert torch.equal(held[window, : stop + 1], latents[window, : stop + 1])
        assert all(torch.equal(held[window, k], latents[window, stop]) for k in range(stop, latents.shape[1]))
        assert torch.equal(quiet[window, :stop], actions[window, :stop])
        assert float(quiet[window, stop:].abs().sum()) == 0.0
    # The target of a stopped window is "nothing changed": a student that dreams exactly that has no loss on it.
    model = stills.model
    anchors = held[:, :-1]
    expected = model.to_diffused(held[:, -2], anchors[:, -1])
    outputs = []
    stills.student_step = lambda *args: outputs.append(expected.clone()) or expected.clone()
    torch.manual_seed(3)
    loss, _ = stills.loss(model, (latents, actions))
    assert outputs and loss.item() == pytest.approx(0.0, abs=1e-10)
    assert stop_windows(latents, actions, 0.0, latents[:, :-1])[2].sum() == 0
    with pytest.raises(ConfigError, match="still_windows is a share"):
        task(still_windows=1.5)
    with pytest.raises(ConfigError, match="still_windows is a share"):
        DynamicsTask(apply_overrides(DynamicsTrainConfig(), {"still_windows": -0.1}), [])


def test_decoder_stage_keeps_the_encoder_and_exports_with_it(episodes, autoencoder_run, world_run, tmp_path):
    """`train decoder` changes only the decoder; a world exports with it, and an autoencoder with
    another encoder is refused (its latents would not be the model's)."""
    from engine.errors import DataError
    from engine.export.export import ExportConfig, export_world
    from engine.pack import open_pack
    from engine.models.checkpoint import same_encoder
    from engine.models.checkpoint import load_autoencoder

    original = autoencoder_run / "autoencoder.safetensors"
    result = dreamwalk("train", "decoder", "--preset", "tiny", "--data", episodes, "--out", tmp_path / "dec",
                       "--set", f"autoencoder={original}", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    before, _ = load_autoencoder(original)
    after, meta = load_autoencoder(tmp_path / "dec" / "autoencoder.safetensors")
    assert same_encoder(before, after) and meta["decoder"]["step"] == 3
    assert any(not torch.equal(before.state_dict()[k], after.state_dict()[k]) for k in before.state_dict()
               if k.startswith("decoder."))
    out = export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(tmp_path / "sharp.dwpack"), parity_frames=3,
                                    autoencoder=str(tmp_path / "dec" / "autoencoder.safetensors")))
    pack = open_pack(out["out"])
    assert pack.manifest["training"]["autoencoder"].endswith("dec/autoencoder.safetensors")
    pack.close()
    other = dreamwalk("train", "autoencoder", "--preset", "tiny", "--data", episodes, "--out", tmp_path / "other",
                      "--set", "train.seed=5", "--quiet")
    assert other.returncode == 0, other.stderr[-2000:]
    with pytest.raises(DataError, match="encodes frames differently"):
        export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(tmp_path / "bad.dwpack"),
                                  autoencoder=str(tmp_path / "other" / "autoencoder.safetensors")))


def test_gpu_world_script_runs_every_stage_within_its_budget(autoencoder_run, tmp_path):
    """recipes/gpu_world.py end to end with the tiny presets: parallel collection (the random policy's
    share included) stopped at its deadline, encoding, two teacher variants side by side, their
    students, and fp16 weights + logs + summary in OUT."""
    out, work = tmp_path / "out", tmp_path / "work"
    result = subprocess.run([sys.executable, str(ROOT / "recipes" / "gpu_world.py"), "--autoencoder",
                             str(autoencoder_run / "autoencoder.safetensors"), "--out", str(out),
                             "--work", str(work), "--budget", "150", "--collect-seconds", "6",
                             "--frames-per-worker", "100000", "--preset", "tiny", "--random-workers", "1",
                             "--variant", "plain", "--variant", "noisy:diffusion.anchor_noise=0.25"],
                            capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=360)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["collect"]["frames"] > 0 and summary["collect"]["episodes"] >= 1
    assert all("-random-" in shard.name for shard in (work / "data").rglob("*.npz"))   # one worker, random
    for name in ("plain", "noisy"):
        assert summary["teacher"][f"teacher-{name}"]["code"] == 0
        assert summary["student"][f"student-{name}"]["code"] == 0
    assert summary["seconds"] <= 150
    teacher, meta = load_world_model(out / "teacher-plain.fp16.safetensors")
    assert meta["step"] == 3 and meta["hardware"] and meta["config"]["diffusion"]["anchor_noise"] == 0.0
    _, noisy = load_world_model(out / "teacher-noisy.fp16.safetensors")
    assert noisy["config"]["diffusion"]["anchor_noise"] == 0.25
    _, student_meta = load_world_model(out / "student-noisy.fp16.safetensors")
    assert student_meta["distilled"]["teacher_steps"] == 2
    with safe_open(str(out / "student-plain.fp16.safetensors"), framework="pt") as handle:
        assert all(handle.get_tensor(name).dtype in (torch.float16, torch.bool, torch.int64)
                   for name in handle.keys())
    with tarfile.open(out / "logs.tar.gz") as archive:
        assert {"teacher-plain.log", "teacher-noisy.log", "student-plain.log"} <= set(archive.getnames())


def test_recipe_mixes_several_collections_by_links(tmp_path):
    from conftest import load_script

    recipe = load_script("recipes/default_world.py")
    for folder, name in [("explore", "a.npz"), ("explore", "b.npz"), ("random", "c.npz")]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_bytes(name.encode())
    world = recipe.WORLDS["miniworld"]
    mix = recipe.training_data(tmp_path, world)
    assert sorted(p.name for p in mix.iterdir()) == ["a.npz", "b.npz", "c.npz"]
    assert (mix / "c.npz").read_bytes() == b"c.npz" and (mix / "c.npz").is_symlink()
    assert recipe.training_data(tmp_path, world) == mix            # a second run links nothing twice
    assert recipe.training_data(tmp_path, recipe.WORLDS["doom"]) == tmp_path   # one collection: itself


def test_average_blends_decoders_of_one_encoder_only(autoencoder_run, tmp_path):
    """dreamwalk average of two autoencoders: the encoder stays bit for bit, each decoder weight moves along
    the line between the two decoders; two different encoders are refused in one line, nothing written."""
    from engine.errors import DreamwalkError
    from engine.models.checkpoint import save_checkpoint
    from engine.training.average import average_checkpoints

    first = autoencoder_run / "autoencoder.safetensors"
    tensors, meta = load_checkpoint(first)
    moved = {name: value + 1.0 if name.startswith("decoder.") and value.is_floating_point() else value
             for name, value in tensors.items()}
    second = tmp_path / "sharp" / "autoencoder.safetensors"
    save_checkpoint(second, moved, meta)
    [path] = average_checkpoints(first, second, [0.25], tmp_path / "soups")
    assert path == tmp_path / "soups" / "soup-025" / "autoencoder.safetensors"
    blended, blended_meta = load_checkpoint(path)
    for name, value in tensors.items():
        moves = name.startswith("decoder.") and value.is_floating_point()
        torch.testing.assert_close(blended[name], value + 0.25 if moves else value, rtol=0, atol=1e-6)
    assert blended_meta["soup"]["weight"] == 0.25 and blended_meta["kind"] == "autoencoder"
    encoder = next(name for name in tensors if not name.startswith("decoder.") and tensors[name].is_floating_point())
    save_checkpoint(second, {**moved, encoder: moved[encoder] + 1.0}, meta)
    with pytest.raises(DreamwalkError, match="^the two autoencoders have different encoders"):
        average_checkpoints(first, second, [0.5], tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def test_dynamics_soup_blends_two_students_of_one_network(world_run, tmp_path):
    """dreamwalk average of two students: each weight lies on the line between the two checkpoints, the soup keeps
    the second's metadata plus where it came from, loads and exports as any student; a checkpoint of
    another network, or a weight outside [0, 1], is one error line and exit 1."""
    from engine.export.export import ExportConfig, export_world
    from engine.models.checkpoint import save_checkpoint

    first = world_run / "dynamics.safetensors"
    tensors, meta = load_checkpoint(first)
    second = tmp_path / "second.safetensors"
    generator = torch.Generator().manual_seed(0)
    moves = {name: 0.01 * torch.randn(value.shape, generator=generator) for name, value in tensors.items()
             if value.is_floating_point()}          # a fine-tuning's size of step: the soup still plays
    save_checkpoint(second, {name: value + moves[name] if name in moves else value
                             for name, value in tensors.items()}, {**meta, "step": 7})
    def soup(*arguments):
        return subprocess.run([sys.executable, "-m", "engine.cli", "average", *map(str, arguments)],
                              capture_output=True, text=True, cwd=ROOT, env=ENV)

    result = soup(first, second, "--weights", "0.25,1", "--out", tmp_path / "soups")
    assert result.returncode == 0, result.stderr
    blended, blended_meta = load_checkpoint(tmp_path / "soups" / "soup-025" / "second.safetensors")
    assert blended.keys() == tensors.keys()
    for name, value in tensors.items():
        torch.testing.assert_close(blended[name], value + 0.25 * moves[name] if name in moves else value)
    assert blended_meta["step"] == 7 and blended_meta["soup"] == {"first": str(first), "second": str(second),
                                                                  "weight": 0.25}
    end, _ = load_checkpoint(tmp_path / "soups" / "soup-100" / "second.safetensors")
    torch.testing.assert_close(end, load_checkpoint(second)[0])
    exported = export_world(ExportConfig(str(tmp_path / "soups" / "soup-025" / "second.safetensors"),
                                         str(tmp_path / "soup.dwpack"), name="soup", license="CC0", parity_frames=4))
    assert exported["parity_max_abs_difference"] <= 1e-3

    other = tmp_path / "other.safetensors"
    config = {**meta["config"], "model": {**meta["config"]["model"], "layers": meta["config"]["model"]["layers"] + 1}}
    save_checkpoint(other, tensors, {**meta, "config": config})
    refused = soup(first, other, "--out", tmp_path / "refused")
    assert refused.returncode == 1 and refused.stderr.strip() == (
        "dreamwalk: error: the two checkpoints have different network configs")
    assert not (tmp_path / "refused").exists()
    elsewhere = tmp_path / "elsewhere.safetensors"
    save_checkpoint(elsewhere, tensors, {**meta, "autoencoder_sha": "another"})
    assert soup(first, elsewhere, "--out", tmp_path / "refused").stderr.strip() == (
        "dreamwalk: error: the two checkpoints were trained over different autoencoders")
    outside = soup(first, second, "--weights", "1.5", "--out", tmp_path / "refused")
    assert outside.returncode == 1 and "weights must lie in [0, 1]" in outside.stderr
    missing = soup(first, tmp_path / "missing.safetensors", "--out", tmp_path / "refused")
    assert missing.returncode == 1 and missing.stderr.strip() == (
        f"dreamwalk: error: no checkpoint at {tmp_path / 'missing.safetensors'}")


def test_bf16_autocast_only_where_the_hardware_computes_in_bf16():
    """Emulated bf16 (an AVX2-only CPU) is many times slower than fp32 (benchmarks/bf16_speed.py), so the
    loop autocasts only on CPUs whose flags name native bf16 (AVX512-BF16, AMX) and says when it does not."""
    from engine.training.loop import fast_bf16

    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo to read the CPU's flags from")
    flags = set(cpuinfo.read_text().split())
    assert fast_bf16(torch.device("cpu")) == bool({"avx512_bf16", "amx_tile"} & flags)
    assert not fast_bf16(torch.device("meta"))


