"""World packs and WorldSession on ONNX Runtime, with the tiny world trained in the tests."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import DreamwalkError
from engine.pack import PackError, open_pack
from engine.export.recover import recover_world
from engine.runtime import WorldSession
from conftest import prompt_image
from engine.runtime.images import ImageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def session(tiny_pack):
    with WorldSession.open(tiny_pack, device="cpu") as opened:
        yield opened


def test_pack_is_one_verified_zip(tiny_pack):
    with zipfile.ZipFile(tiny_pack) as archive:
        assert sorted(archive.namelist()) == ["decoder.onnx", "dynamics.onnx", "encoder.onnx", "manifest.json",
                                              "slide.onnx"]
        manifest = json.loads(archive.read("manifest.json"))
    for key in ("format_version", "name", "description", "license", "frame", "context_frames", "actions",
                "sampler", "graphs", "training", "metrics"):
        assert key in manifest
    assert manifest["frame"] == {"width": 32, "height": 24, "fps": 17.5}
    assert manifest["parity"]["max_abs_latent_difference"] <= 1e-3
    assert len(manifest["graphs"]["dynamics"]["sha256"]) == 64


def test_session_contract(session):
    assert session.frame_size == (32, 24) and session.fps == 17.5
    assert session.provider == "CPUExecutionProvider" and session.manifest["name"] == "tiny"
    first = session.reset(np.random.default_rng(0).integers(0, 255, (300, 500, 3), dtype=np.uint8))
    assert first.shape == (24, 32, 3) and first.dtype == np.uint8
    frame = session.step({"forward": True, "turn": 3.0})
    assert frame.shape == (24, 32, 3) and frame.dtype == np.uint8
    with pytest.raises(ValueError, match="unknown action key"):
        session.step({"fly": True})


def test_snapshot_branches_and_replays(session):
    session.reset(np.full((48, 64, 3), 120, np.uint8))
    for _ in range(3):
        session.step({"forward": True})
    moment = session.snapshot()
    left = [session.step({"turn": -8.0}) for _ in range(5)]
    left_latent = session.snapshot().rollout.last_latent
    session.restore(moment)
    left_again = [session.step({"turn": -8.0}) for _ in range(5)]
    session.restore(moment)
    [session.step({"turn": 8.0, "attack": True}) for _ in range(5)]
    right_latent = session.snapshot().rollout.last_latent
    assert all(np.array_equal(a, b) for a, b in zip(left, left_again))     # same actions, same future
    # Other actions lead elsewhere (compared before 8-bit rounding: the tiny test world barely learned actions).
    assert not np.array_equal(left_latent, right_latent)


def test_io_binding_dreams_the_same_frames_and_branches(tiny_pack):
    """The cache kept by ONNX Runtime (I/O binding, here on the CPU device) gives the frames of the numpy
    cache exactly, and snapshot/restore still replays a moment."""
    prompt = np.full((48, 64, 3), 120, np.uint8)
    actions = [{"forward": i % 2 == 0, "turn": float(i % 7 - 3)} for i in range(12)]
    runs = {}
    for binding in (False, True):
        with WorldSession.open(tiny_pack, device="cpu", seed=5, io_binding=binding) as world:
            assert world.io_binding is binding
            world.reset(prompt)
            runs[binding] = [world.step(action) for action in actions]
            if binding:
                moment = world.snapshot()
                after = [world.step(action) for action in actions[:4]]
                world.restore(moment)
                assert all(np.array_equal(a, b) for a, b in zip(after, [world.step(a) for a in actions[:4]]))
    # The numpy cache folds each frame's cache pass into the next pass, the bound one runs it alone: the same
    # arithmetic in another order, so frames may differ by one 8-bit step where a value sits on a rounding edge.
    assert all(np.abs(a.astype(int) - b).max() <= 1 for a, b in zip(runs[False], runs[True]))
    with WorldSession.open(tiny_pack, device="cpu") as world:
        assert world.io_binding is False                     # the default binds on CUDA only


def test_folded_cache_passes_dream_the_same_latents_in_half_the_passes(tiny_pack):
    """A frame's cache pass folded into the next frame's first pass (one pass over two frames) gives the
    latents of separate passes, with one pass per frame instead of two."""
    import onnxruntime

    from engine.models.sampling import SamplerConfig
    from engine.pack.rollout import CachedRollout

    pack = open_pack(tiny_pack)
    manifest = pack.manifest
    graph = onnxruntime.InferenceSession(str(pack.graph_path("dynamics")), providers=["CPUExecutionProvider"])
    assert isinstance(graph.get_inputs()[0].shape[0], str)                 # exported with a free frame axis
    sampler = SamplerConfig.from_manifest({**manifest["sampler"], "name": "euler"}, steps=1, guidance_scale=1.0)
    latent = manifest["latent"]
    prompt = np.random.default_rng(0).standard_normal((1, latent["channels"], latent["height"], latent["width"]))
    actions = np.random.default_rng(1).uniform(-1, 1, (20, len(manifest["actions"]["keys"]))).astype(np.float32)
    latents, passes = {}, {}
    for fold in (False, True):
        calls = []

        def step(**inputs):
            calls.append(len(inputs["noisy"]))
            return tuple(graph.run(None, inputs))

        rollout = CachedRollout(step, sampler, tuple(manifest["cache"]["shape"]),
                                manifest["cache"]["tokens_per_frame"], len(actions[0]), seed=3, fold=fold)
        rollout.prime(prompt.astype(np.float32))
        latents[fold] = np.stack([rollout.step(action) for action in actions])
        passes[fold] = calls
    pack.close()
    np.testing.assert_allclose(latents[True], latents[False], atol=1e-4)
    assert len(passes[False]) == 2 * len(actions) and set(passes[False]) == {1}
    assert passes[True] == [2] * len(actions)           # the prompt's cache pass rides with the first frame's too


def test_the_shipped_worlds_sampler_reads_back_key_for_key():
    """The manifest's sampler is SamplerConfig's JSON: the shipped world's reads as it always played and
    writes back byte for byte; steps and guidance may be overridden; a rollout takes only a resolved one."""
    from dataclasses import replace

    from engine.models.sampling import SamplerConfig
    from engine.pack.format import read_pack_manifest
    from engine.pack.rollout import CachedRollout

    entry = read_pack_manifest(ROOT / "assets" / "worlds" / "doom.dwpack")["sampler"]
    sampler = SamplerConfig.from_manifest(entry)
    assert sampler == SamplerConfig(name="euler", steps=1, guidance_scale=1.0, sigma_min=0.002, sigma_max=5.0,
                                    prior_sigma=None, context_sigma=0.08, predict_change=True)
    assert json.dumps(sampler.to_manifest()) == json.dumps(entry)
    assert SamplerConfig.from_manifest(entry, steps=2, guidance_scale=1.5) == replace(sampler, steps=2,
                                                                                      guidance_scale=1.5)
    rollout = CachedRollout(lambda **inputs: None, sampler, (1, 1, 1, 4, 2), 2, 12)
    assert rollout.sigmas.tolist() == pytest.approx([5.0, 0.0])
    with pytest.raises(ValueError, match="leaves guidance_scale, sigma_min, sigma_max, context_sigma, predict_change"):
        CachedRollout(lambda **inputs: None, SamplerConfig(name="euler", steps=1), (1, 1, 1, 4, 2), 2, 12)


def write_image(path, mode, size=(64, 48)):
    Image.new(mode, size, 200 if mode not in ("RGB", "RGBA", "CMYK") else None).save(path)


@pytest.mark.parametrize("kind", ["png", "rgba", "cmyk", "16bit", "gif", "tiny", "panorama"])
def test_prompt_images_of_every_kind(session, tmp_path, kind):
    path = prompt_image(tmp_path, kind)
    frame = session.reset(path)
    assert frame.shape == (24, 32, 3)
    if kind == "cmyk":
        assert frame[..., 0].mean() > 200 and frame[..., 1].mean() < 60          # cyan-free: red
    if kind == "tiny":
        assert frame[..., 2].min() == 255 and frame[..., 0].max() == 0


def test_pictures_too_small_to_show_a_scene_are_refused(session, tmp_path):
    Image.new("RGB", (1, 1), (0, 0, 255)).save(tmp_path / "dot.png")
    with pytest.raises(ImageError, match="only 1x1 pixels; a prompt picture needs at least 32 pixels"):
        session.reset(tmp_path / "dot.png")


def test_bad_prompt_images(session, tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ImageError, match="not an image"):
        session.reset(tmp_path / "notes.png")
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (1, 2, 3)).save(buffer, format="PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[:300])
    with pytest.raises(ImageError, match="damaged or truncated"):
        session.reset(tmp_path / "cut.png")
    with pytest.raises(ImageError, match="no image at"):
        session.reset(tmp_path / "missing.png")


@pytest.mark.parametrize("io_binding", [False, True])
def test_memory_stays_flat_over_a_thousand_steps(tiny_pack, io_binding):
    def resident_bytes():
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    session = WorldSession.open(tiny_pack, device="cpu", io_binding=io_binding)
    session.reset(np.full((48, 64, 3), 90, np.uint8))
    for _ in range(100):
        session.step({"forward": True, "turn": 2.0})
    before = resident_bytes()
    for step in range(1000):
        session.step({"forward": step % 3 == 0, "turn": float(step % 11 - 5)})
    assert resident_bytes() - before < 8 * 2 ** 20
    session.close()


def damaged_copy(tiny_pack, tmp_path, edit):
    folder = tmp_path / "pack"
    with zipfile.ZipFile(tiny_pack) as archive:
        archive.extractall(folder)
    edit(folder)
    return folder


def test_bad_packs_fail_with_one_clear_reason(tiny_pack, tmp_path):
    def manifest_edit(change):
        def edit(folder):
            manifest = json.loads((folder / "manifest.json").read_text())
            change(manifest)
            (folder / "manifest.json").write_text(json.dumps(manifest))
        return edit

    cases = [
        (lambda f: (f / "dynamics.onnx").unlink(), "missing its dynamics graph"),
        (lambda f: (f / "decoder.onnx").write_bytes(b"x" + (f / "decoder.onnx").read_bytes()), "checksum mismatch"),
        (manifest_edit(lambda m: m.update(format_version=99)), "format_version 99 is not supported"),
        (manifest_edit(lambda m: m["graphs"]["encoder"].update(file="../encoder.onnx")), "outside the pack"),
        (lambda f: (f / "manifest.json").unlink(), "no manifest.json"),
    ]
    for index, (edit, message) in enumerate(cases):
        with pytest.raises(PackError, match=message):
            open_pack(damaged_copy(tiny_pack, tmp_path / str(index), edit))
    wrong_shape = damaged_copy(tiny_pack, tmp_path / "shape", manifest_edit(lambda m: m["latent"].update(height=7)))
    with pytest.raises(DreamwalkError, match="the pack is inconsistent"):    # by the first frame at the latest
        with WorldSession.open(wrong_shape, device="cpu") as session:
            session.reset(np.zeros((48, 64, 3), np.uint8))


def test_a_world_plays_extracting_only_the_graphs_it_runs_each_checked(tiny_pack, tmp_path):
    """A player opens a zip pack without inflating every graph: each is extracted when first used and checked
    against its sha256 then; a damaged one is one line by the first frame."""
    with WorldSession.open(tiny_pack, device="cpu") as session:
        session.reset(np.full((48, 64, 3), 90, np.uint8))
        extracted = sorted(path.name for path in session._pack.folder.iterdir())
        assert extracted == ["decoder.onnx", "dynamics.onnx", "encoder.onnx", "slide.onnx"]
    damaged = tmp_path / "damaged.dwpack"
    with zipfile.ZipFile(tiny_pack) as source, zipfile.ZipFile(damaged, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member, data[:-1] + bytes([data[-1] ^ 1]) if member.filename == "decoder.onnx" else data)
    with pytest.raises(PackError, match=r"checksum mismatch for the decoder graph \(decoder.onnx\)"):
        with WorldSession.open(damaged, device="cpu") as session:
            session.reset(np.full((48, 64, 3), 90, np.uint8))


def test_hostile_archives_extract_nothing(tmp_path):
    escape = tmp_path / "escape.dwpack"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("manifest.json", "{}")
        archive.writestr("../evil.txt", "gotcha")
    with pytest.raises(PackError, match="unsafe path"):
        open_pack(escape)
    assert not (tmp_path / "evil.txt").exists()
    bomb = tmp_path / "bomb.dwpack"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"\0" * (50 * 2 ** 20))
    with pytest.raises(PackError, match="would inflate"):
        open_pack(bomb)
    link = tmp_path / "link.dwpack"
    with zipfile.ZipFile(link, "w") as archive:
        member = zipfile.ZipInfo("encoder.onnx")
        member.external_attr = (0o120777 << 16)                       # a symbolic link
        archive.writestr(member, "/etc/passwd")
    with pytest.raises(PackError, match="not a regular file"):
        open_pack(link)
    (tmp_path / "text.dwpack").write_text("hello")
    with pytest.raises(PackError, match="not a zip archive"):
        open_pack(tmp_path / "text.dwpack")


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_a_device_that_cannot_run_is_one_plain_line(tiny_pack, device):
    """Asked for by name, a GPU that cannot run is one plain line and the CPU plays; ``auto`` says a word only
    where an NVIDIA GPU is there and CUDA still cannot run on it (on a machine without one, the CPU is what it
    should pick). Play needs no torch either way."""
    from engine.runtime.providers import nvidia_gpu_present

    script = ("import sys; from engine.runtime import WorldSession; s = WorldSession.open(sys.argv[1], device=sys.argv[2]); "
              "s.reset(__import__('numpy').zeros((24, 32, 3), 'uint8')); s.step({}); print(s.provider); "
              "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script, str(tiny_pack), device], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    provider, torch_loaded = result.stdout.split()
    assert torch_loaded == "False"                                    # play needs no torch
    if provider == "CPUExecutionProvider":
        lines = result.stderr.strip().splitlines()
        if device == "cuda":
            assert lines == ["dreamwalk: No usable NVIDIA GPU found; running on the CPU"]
        elif nvidia_gpu_present():
            assert len(lines) == 1 and "running on the CPU" in lines[0]
        else:
            assert lines == []


def test_info_command(tiny_pack):
    result = subprocess.run([sys.executable, "-m", "engine.cli", "info", str(tiny_pack)], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0 and "frames 32x24 at 17.5 fps" in result.stdout and "CC0" in result.stdout
    assert "graphs: encoder, decoder, dynamics, slide\n" in result.stdout        # no fp16 or int8 variants


def test_model_card_travels_inside_the_pack(tiny_pack, tmp_path):
    import shutil
    import zipfile

    from engine.pack import PackError, embed_model_card, open_pack, read_model_card

    pack = tmp_path / "carded.dwpack"
    shutil.copyfile(tiny_pack, pack)
    assert read_model_card(pack) is None
    card = tmp_path / "card.md"
    card.write_text("# Tiny world\n\nTrained in seconds, for tests.\n")
    embed_model_card(pack, card)
    assert read_model_card(pack) == card.read_text()
    opened = open_pack(pack)
    assert opened.manifest["model_card"]["file"] == "MODEL_CARD.md"
    opened.close()
    result = subprocess.run([sys.executable, "-m", "engine.cli", "info", str(pack), "--card"], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0 and "Trained in seconds" in result.stdout
    tampered = tmp_path / "tampered.dwpack"                     # an edited card no longer matches
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(tampered, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member, b"# edited\n" if member.filename == "MODEL_CARD.md" else data)
    with pytest.raises(PackError, match="model card"):
        open_pack(tampered)


def test_gymnasium_environment_passes_the_checker(tiny_pack):
    from gymnasium.utils.env_checker import check_env

    from engine.env import DreamwalkEnv

    env = DreamwalkEnv(tiny_pack, max_steps=5)
    check_env(env, skip_render_check=False)
    observation, _ = env.reset(seed=3)
    assert observation.shape == (24, 32, 3)
    steps = 0
    while True:
        observation, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        if terminated or truncated:
            break
    assert steps == 5 and reward == 0.0
    env.close()


def test_agent_example_writes_a_clip(tiny_pack, tmp_path):
    import av

    out = tmp_path / "agent.mp4"
    result = subprocess.run([sys.executable, "examples/agent_in_world.py", str(tiny_pack), "--agent", "explore",
                             "--frames", "20", "--out", str(out)], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 20 and frames[0].shape == (96, 128, 3)


def test_bench_reports_frame_times(tiny_pack, tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, "-m", "engine.cli", "bench", "run", str(tiny_pack), "--device", "cpu",
                             "--steps", "1,2", "--frames", "20", "--io-binding", "off,on", "--json", str(out)],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert [(row["io_binding"], row["steps"]) for row in rows] == [(False, 1), (False, 2), (True, 1), (True, 2)]
    # heun: 2 steps - 1 passes; the cache pass rides along with the next frame's first pass, except with the
    # cache bound in device memory, where it runs alone
    assert [row["network_evaluations_per_frame"] for row in rows] == [1, 3, 2, 4]
    assert [row["cache_pass_folded"] for row in rows] == [True, True, False, False]
    assert "host " in result.stdout and "bound" in result.stdout
    for row in rows:
        assert 0 < row["median_ms"] <= row["p99_ms"] and row["fps"] == pytest.approx(1000 / row["median_ms"])
        assert 0 < row["first_frame_s"] < 30
    refused = subprocess.run([sys.executable, "-m", "engine.cli", "bench", "run", str(tiny_pack), "--io-binding",
                              "maybe"],
                             capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             timeout=120)
    assert refused.returncode != 0 and "--io-binding takes a comma list" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_fp16_and_int8_graphs_beside_the_fp32_ones(world_run, tiny_pack, tmp_path):
    """--fp16 adds half-precision graphs (GPUs pick them), --int8 an int8 dynamics graph (CPUs pick it);
    either is checked against PyTorch over a rollout, and fp32 stays available."""
    from engine.errors import DreamwalkError
    from engine.export.export import ExportConfig, export_world
    from engine.pack import open_pack
    from engine.runtime.session import choose_precision
    import onnx

    pack = tmp_path / "variants.dwpack"
    result = export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(pack), parity_frames=8, fp16=True, int8=True))
    assert result["fp16_max_abs_difference"] < 0.1
    assert 0 < result["int8_max_abs_difference"] < 0.5            # really quantized, and not broken
    assert choose_precision("auto", "CUDAExecutionProvider", True) == "fp16"
    assert choose_precision("auto", "CPUExecutionProvider", True) == "fp32"
    assert choose_precision("auto", "DmlExecutionProvider", False) == "fp32"
    assert choose_precision("auto", "CPUExecutionProvider", True, True) == "int8"
    assert choose_precision("auto", "CUDAExecutionProvider", False, True) == "fp32"
    opened = open_pack(pack)
    try:
        graphs = opened.manifest["graphs"]
        assert set(graphs["dynamics"]) == {"file", "sha256", "fp16", "int8"} and "int8" not in graphs["decoder"]
        assert opened.graph_path("decoder", "int8") == opened.graph_path("decoder")
        operators = {node.op_type for node in onnx.load(str(opened.graph_path("dynamics", "int8"))).graph.node}
        assert {"DynamicQuantizeLinear", "MatMulInteger"} <= operators       # int8 matrix products
        assert opened.manifest["parity"]["int8_max_abs_latent_difference"] == result["int8_max_abs_difference"]
    finally:
        opened.close()
    prompt = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    frames = {}
    for precision in ("fp32", "fp16", "int8", "auto"):
        with WorldSession.open(pack, device="cpu", precision=precision) as session:
            assert session.precision == ("int8" if precision == "auto" else precision)
            session.reset(prompt)
            frames[precision] = np.stack([session.step({"forward": True, "turn": 3.0}) for _ in range(6)])
    for precision in ("fp16", "int8"):
        difference = np.abs(frames["fp32"].astype(int) - frames[precision].astype(int))
        assert 0 < difference.mean() < 3.0                        # 8-bit frames, a few levels apart at most
    np.testing.assert_array_equal(frames["auto"], frames["int8"])
    for precision in ("fp16", "int8"):
        with pytest.raises(DreamwalkError, match=f"no {precision} graphs .export it with --{precision}"):
            WorldSession.open(tiny_pack, device="cpu", precision=precision)


def assert_same_tensors(recovered, original):
    import torch
    from safetensors.torch import load_file

    mine, theirs = load_file(str(recovered)), load_file(str(original))
    assert sorted(mine) == sorted(theirs)
    for name, tensor in theirs.items():
        assert torch.equal(mine[name], tensor), name


def test_recover_rebuilds_the_exact_checkpoints_a_pack_was_exported_from(tiny_pack, world_run, autoencoder_run,
                                                                        tmp_path):
    from engine.models.checkpoint import load_autoencoder, load_world_model

    out = tmp_path / "recovered"
    result = subprocess.run([sys.executable, "-m", "engine.cli", "recover", str(tiny_pack), "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "reproduce the pack's graphs to 0.0e+00" in result.stdout
    assert_same_tensors(out / "dynamics.safetensors", world_run / "dynamics.safetensors")
    assert_same_tensors(out / "autoencoder.safetensors", autoencoder_run / "autoencoder.safetensors")
    denoiser, meta = load_world_model(out / "dynamics.safetensors")       # loads as any dynamics checkpoint
    original, original_meta = load_world_model(world_run / "dynamics.safetensors")
    assert meta["config"]["model"] == original_meta["config"]["model"] and meta["step"] == original_meta["step"]
    assert meta["config"]["autoencoder"] == str(out / "autoencoder.safetensors")
    assert meta["recovered_from"]["pack"] == tiny_pack.name
    autoencoder, _ = load_autoencoder(meta["config"]["autoencoder"])
    tuned = subprocess.run([sys.executable, "-m", "engine.cli", "train", "dynamics", "--preset", "tiny", "--data",
                            meta["config"]["data"], "--out", str(tmp_path / "tuned"), "--quiet",
                            "--set", f"autoencoder={meta['config']['autoencoder']}",
                            "--set", f"init={out / 'dynamics.safetensors'}"],
                           capture_output=True, text=True, cwd=ROOT, timeout=300,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert tuned.returncode == 0, tuned.stderr                        # fine-tunes like any dynamics checkpoint
    trained, _ = load_autoencoder(autoencoder_run / "autoencoder.safetensors")
    assert autoencoder.config == trained.config


def test_recover_refuses_a_pack_it_cannot_rebuild_exactly(tiny_pack, tmp_path):
    from engine.export.recover import RecoverError

    def edit_training(change):
        def edit(folder):
            manifest = json.loads((folder / "manifest.json").read_text())
            change(manifest["training"])
            (folder / "manifest.json").write_text(json.dumps(manifest))
        return edit

    no_config = damaged_copy(tiny_pack, tmp_path / "a", edit_training(lambda t: t.pop("config")))
    with pytest.raises(RecoverError, match="does not record its network's config"):
        recover_world(no_config, tmp_path / "out-a")
    other_network = damaged_copy(tiny_pack, tmp_path / "b", edit_training(
        lambda t: t["config"]["model"].update(mlp_ratio=t["config"]["model"]["mlp_ratio"] * 2)))
    with pytest.raises(RecoverError, match="dynamics"):
        recover_world(other_network, tmp_path / "out-b")
    assert not (tmp_path / "out-b").exists()
    result = subprocess.run([sys.executable, "-m", "engine.cli", "recover", str(no_config), "--out",
                             str(tmp_path / "out-c")], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "does not record its network's config" in result.stderr


def test_a_prior_start_and_a_context_level_are_exported_checked_and_played(world_run, tmp_path):
    """A teacher pack sampled from sigma 1 with a prior start (sampling.prior_start) and dreamed frames
    entering the context at another noise level: the export's parity check runs them on both sides, the
    manifest carries them, and the runtime uses them."""
    from engine.export.export import ExportConfig, export_world
    from engine.models.sampling import SamplerConfig

    from engine.errors import DreamwalkError

    pack = tmp_path / "prior.dwpack"
    with pytest.raises(DreamwalkError, match=r"prior_sigma must lie in \(0, 5\], got 50"):
        export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(pack), sampling=SamplerConfig(sigma_max=1.0, prior_sigma=50.0)))
    with pytest.raises(DreamwalkError, match=r"context_sigma must lie in \[0, 5\], got -0.1"):
        export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(pack), sampling=SamplerConfig(sigma_max=1.0, context_sigma=-0.1)))
    assert not pack.exists()
    exported = export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(pack), parity_frames=6,
                                         sampling=SamplerConfig(sigma_max=1.0, prior_sigma=5.0, context_sigma=0.08)))
    assert exported["parity_max_abs_difference"] <= 1e-3
    opened = open_pack(pack)
    sampler = opened.manifest["sampler"]
    assert sampler["prior_sigma"] == 5.0 and sampler["sigma_max"] == 1.0 and sampler["context_sigma"] == 0.08
    opened.close()
    prompt = np.random.default_rng(2).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    latents, passes = {}, {}
    for prior in (5.0, None):
        with WorldSession.open(pack, device="cpu", seed=4) as world:
            assert world.settings.prior_sigma == 5.0 and world.settings.context_sigma == 0.08
            world.settings.prior_sigma = prior
            world.reset(prompt)
            rollout, calls = world._rollout, []
            evaluate = rollout._evaluate
            rollout._evaluate = lambda *args: calls.append(args[1]) or evaluate(*args)
            latents[prior] = rollout.predict(np.zeros(12, np.float32))
            passes[prior] = calls
    assert passes[None] == [1.0] + passes[None][1:] and len(passes[5.0]) == len(passes[None]) + 1
    assert passes[5.0][0] == 5.0                              # the guess first, at the prior's level
    assert np.abs(latents[5.0] - latents[None]).max() > 1e-4


def test_the_doom_world_stays_the_default_beside_other_bundled_worlds(tmp_path):
    from engine.runtime.session import bundled_worlds

    for name in ("miniworld.dwpack", "doom.dwpack", "atlas.dwpack", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in bundled_worlds(tmp_path)] == ["doom.dwpack", "atlas.dwpack", "miniworld.dwpack"]
    assert bundled_worlds(tmp_path / "missing") == []


def test_the_shipped_world_plays_one_pass_a_frame():
    """The bundled default world opens with no path, verified, and its dynamics graph takes two frames at
    once, so play costs one network pass a frame (the speed its model card reports)."""
    with WorldSession.open(device="cpu") as world:
        assert world.manifest["name"].startswith("Doom") and world.folds
        first = world.reset(ROOT / "assets" / "prompts" / "doom-map01.png")
        frames = [world.step({"forward": True, "turn": 4.0}) for _ in range(5)]
    assert all(frame.shape == first.shape == (48, 64, 3) for frame in frames)
    assert frames[-1].std() > 5 and not np.array_equal(frames[-1], first)




def test_a_pack_with_an_action_warp_graph_is_refused_in_one_line(tiny_pack, tmp_path):
    """Packs of the retired action warp open (info, verification) but do not play: one line names the version
    that plays them."""
    import json
    import shutil
    import zipfile

    from engine.files import file_sha256

    folder = tmp_path / "warp-world"
    with zipfile.ZipFile(tiny_pack) as archive:
        archive.extractall(folder)
    shutil.copyfile(folder / "slide.onnx", folder / "warp.onnx")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["graphs"]["warp"] = {"file": "warp.onnx", "sha256": file_sha256(folder / "warp.onnx")}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    open_pack(folder).close()
    with pytest.raises(DreamwalkError, match=r"action warp graph, which this version of Dreamwalk no longer plays; "
                                             r"Dreamwalk 0\.1 plays it$"):
        WorldSession.open(folder, device="cpu")


def test_a_world_is_shown_at_the_display_size_asked(tiny_pack):
    """display_size: frames come back at that size (the dream upscaled), the networks still see theirs; a size no
    window can show is one error line."""
    with WorldSession.open(tiny_pack, device="cpu", display_size=(96, 72)) as world:
        assert world.frame_size == (96, 72) and world.model_size == (32, 24) and world.pose is None
        assert world.reset(Path(__file__).resolve().parents[1] / "assets" / "prompts" / "doom-map01.png").shape == (72, 96, 3)
        assert world.step({"turn": 5.0}).shape == (72, 96, 3)
    with pytest.raises(DreamwalkError, match="is not one a window can show"):
        WorldSession.open(tiny_pack, device="cpu", display_size=(0, 10))


def test_only_devices_this_system_can_have_are_offered():
    from engine.runtime.providers import device_choices

    everything = ["CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider"]
    assert device_choices(everything, "linux") == ["auto", "cpu", "cuda"]
    assert device_choices(everything, "win32") == ["auto", "cpu", "cuda", "directml"]
    assert device_choices(everything, "darwin") == ["auto", "cpu", "cuda", "coreml"]
    assert device_choices(["CPUExecutionProvider"], "linux") == ["auto", "cpu"]
    assert device_choices(["DmlExecutionProvider", "CPUExecutionProvider"], "linux") == ["auto", "cpu"]
