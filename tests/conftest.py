import os
import shutil
import struct
import subprocess
import sys
import zlib

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
    """Import a world pack in the launcher and wait for its importer's answer; whether the pack was imported.
    The picture being opened answers first, so that its message does not follow the import's."""
    wait_until(lambda: not window.loading)
    problems = []
    window.importer.imported.connect(lambda _, problem: problems.append(problem))
    window.import_world_file(path)
    wait_until(lambda: problems and not window.imports_pending)
    return problems == [""]


# --- the app: launcher and player ---------------------------------------------------------------------------
NO_GPU_LINE = "No usable NVIDIA GPU found; running on the CPU"
needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (apt install xvfb)")


@pytest.fixture(autouse=True)
def own_settings(tmp_path, monkeypatch):
    """Every test keeps its settings and data (the player's measured display sizes among them) to itself."""
    monkeypatch.setenv("DREAMWALK_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("DREAMWALK_DATA", str(tmp_path / "data"))


@pytest.fixture
def launcher(tmp_path, monkeypatch):
    """The launcher with real widgets (Qt offscreen), shown at its usual size, its settings and data in
    ``tmp_path``: (window, app)."""
    monkeypatch.setenv("DREAMWALK_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("DREAMWALK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    from PySide6.QtWidgets import QApplication

    from app.launcher import Launcher

    app = QApplication.instance() or QApplication([])
    window = Launcher()
    window.settings.recordings_folder = str(tmp_path / "clips")
    window.resize(1200, 720)
    window.show()
    yield window, app
    window.close()


@pytest.fixture
def prompt(tmp_path):
    from PIL import Image

    path = tmp_path / "prompt.png"
    Image.new("RGB", (320, 240), (150, 90, 40)).save(path)
    return path


def key(code, down=True):
    """Post a key press (or release) to pygame's queue, as SDL would."""
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=code, mod=0,
                                         unicode="", scancode=0))


def press(player, code):
    key(code)
    key(code, down=False)
    player.handle_events()


def png_header(path, width, height):
    """A PNG that claims width x height: only its header, so opening it must refuse, not decode."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def bare_env(tmp_path, **extra):
    """The environment of a user's terminal with no display at all (a server, a container, ssh)."""
    drop = ("SDL_VIDEODRIVER", "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "DREAMWALK_CONFIG": str(tmp_path / "config"), "DREAMWALK_DATA": str(tmp_path / "data"),
            "PYTHONPATH": str(ROOT), **extra}


def run_main(*args, env, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=timeout)


def cuda_really_works(tiny_pack):
    from engine.pack import open_pack
    from engine.runtime.providers import choose_provider

    pack = open_pack(tiny_pack)
    try:
        return choose_provider("cuda", pack.graph_path("decoder"))[0] == "CUDAExecutionProvider"
    finally:
        pack.close()
