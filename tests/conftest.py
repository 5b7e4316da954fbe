import os

# Headless everywhere: Qt offscreen, SDL without a display, MiniWorld through EGL.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGLET_HEADLESS", "True")

import pytest  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def run_dreamwalk(*args, timeout=300):
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


@pytest.fixture(scope="session")
def episodes(tmp_path_factory):
    """Two short real ViZDoom episodes."""
    out = tmp_path_factory.mktemp("train-data") / "doom"
    result = run_dreamwalk("collect", "--source", "vizdoom", "--maps", "MAP01-MAP02", "--frames", 80,
                           "--episode-frames", 40, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def autoencoder_run(episodes, tmp_path_factory):
    """The tiny autoencoder preset trained on ``episodes``."""
    out = tmp_path_factory.mktemp("runs") / "ae"
    result = run_dreamwalk("train", "autoencoder", "--preset", "tiny", "--data", episodes, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def world_run(episodes, autoencoder_run, tmp_path_factory):
    """The tiny dynamics preset on top of ``autoencoder_run``."""
    out = tmp_path_factory.mktemp("runs") / "dyn"
    result = run_dreamwalk("train", "dynamics", "--preset", "tiny", "--data", episodes, "--out", out,
                           "--set", f"autoencoder={autoencoder_run / 'autoencoder.safetensors'}", "--quiet")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def tiny_pack(world_run, tmp_path_factory):
    """The tiny world exported to a pack file (its export runs the ONNX vs PyTorch rollout parity check)."""
    from engine.export.export import ExportConfig, export_world

    out = tmp_path_factory.mktemp("packs") / "tiny.dwpack"
    result = export_world(ExportConfig(str(world_run / "dynamics.safetensors"), str(out), name="tiny", license="CC0"))
    assert result["parity_max_abs_difference"] <= 1e-3
    return out


@pytest.fixture(scope="session")
def memory_recordings(tmp_path_factory):
    """40 real ViZDoom frames recorded with depth and poses (no weapon), and the tiny depth network trained on
    them: (data folder, depth checkpoint)."""
    folder = tmp_path_factory.mktemp("memory")
    for arguments in (("collect", "--source", "vizdoom", "--maps", "MAP01", "--frames", "40", "--episode-frames", "40",
                       "--depth", "--hide-weapon", "--out", folder / "data", "--quiet"),
                      ("train", "depth", "--preset", "tiny", "--data", folder / "data", "--out", folder / "depth",
                       "--quiet", "--set", "train.bf16=false")):
        result = run_dreamwalk(*arguments)
        assert result.returncode == 0, result.stderr
    return folder / "data", folder / "depth" / "depth.safetensors"


@pytest.fixture(scope="session")
def memory_pack(tiny_pack, memory_recordings, tmp_path_factory):
    """dreamwalk pack memory on the tiny world: the tiny depth network and the camera's motion fitted on the
    40 recorded frames with their poses."""
    data, depth = memory_recordings
    out = tmp_path_factory.mktemp("memory-pack") / "memory.dwpack"
    result = run_dreamwalk("pack", "memory", tiny_pack, "--depth", depth, "--motion", data, "--out", out)
    assert result.returncode == 0, result.stderr
    return out


def load_script(relative: str):
    """A script of the repository (``benchmarks/x.py``, ``scripts/x.py``) imported as a module, registered
    under its name (dataclasses look their module up)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def prompt_image(folder, kind):
    """A prompt image of an unusual kind, written into ``folder``; returns its path."""
    import numpy as np
    from PIL import Image

    path = folder / f"prompt-{kind}.{'jpg' if kind == 'cmyk' else 'gif' if kind == 'gif' else 'png'}"
    if kind == "png":
        Image.new("RGB", (640, 480), (10, 200, 30)).save(path)
    elif kind == "rgba":
        Image.new("RGBA", (64, 64), (255, 0, 0, 128)).save(path)
    elif kind == "cmyk":
        Image.new("CMYK", (80, 60), (0, 255, 255, 0)).save(path)
    elif kind == "16bit":
        Image.fromarray(np.linspace(0, 65535, 64 * 48, dtype=np.uint16).reshape(48, 64)).save(path)
    elif kind == "gif":
        frames = [Image.new("P", (64, 48), i * 40) for i in range(3)]
        frames[0].save(path, save_all=True, append_images=frames[1:])
    elif kind == "tiny":                                # the smallest picture a prompt may be
        Image.new("RGB", (32, 32), (0, 0, 255)).save(path)
    elif kind == "panorama":
        Image.new("RGB", (4000, 300), (90, 90, 90)).save(path)
    else:
        raise ValueError(f"no prompt image kind {kind!r}")
    return path


def wait_until(condition, seconds=60.0):
    """Let Qt's event loop run until ``condition()`` holds (a launcher worker answered), at most ``seconds``."""
    import time

    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert condition()


def import_world(window, path):
    """Import a world pack in the launcher and wait for its importer's answer; whether the pack was imported."""
    window.import_world_file(path)
    wait_until(lambda: not window.imports_pending)
    return window.status.text() == f"imported {path.name}"
