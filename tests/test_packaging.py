"""The desktop build (slow: PyInstaller takes about a minute): build the one-folder app, then start the
built launcher offscreen and the built player headless, with the project's Python out of reach."""

import subprocess
import sys
from pathlib import Path

import av
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built_app(tmp_path_factory):
    pytest.importorskip("PyInstaller", reason="the package extra is not installed: pip install -e '.[package]'")
    out = tmp_path_factory.mktemp("build")
    run = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(out / "dist"),
                          "--work", str(out / "work")], capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    app = out / "dist" / "Dreamwalk"
    assert (app / "dreamwalk").exists() and (app / "dreamwalk.desktop").exists()
    return app


def bare_env(tmp_path, **extra):
    """No venv, no PYTHONPATH, a minimal PATH: what a double-click gets."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DREAMWALK_CONFIG": str(tmp_path / "config"),
            "DREAMWALK_DATA": str(tmp_path / "data"), **extra}


@pytest.mark.slow
def test_built_app_has_no_torch_and_bundles_the_world(built_app):
    internal = built_app / "_internal"
    assert not (internal / "torch").exists() and not (internal / "vizdoom").exists()
    assert list((internal / "assets" / "worlds").glob("*.dwpack"))
    assert len(list((internal / "assets" / "prompts").glob("*.png"))) >= 8


@pytest.mark.slow
def test_built_launcher_starts_offscreen(built_app, tmp_path):
    shot = tmp_path / "launcher.png"
    run = subprocess.run([str(built_app / "dreamwalk"), "--screenshot", str(shot)], capture_output=True, text=True,
                         env=bare_env(tmp_path, QT_QPA_PLATFORM="offscreen"), timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_built_player_records_thirty_frames(built_app, tmp_path):
    clip = tmp_path / "clip.mp4"
    prompt = built_app / "_internal" / "assets" / "prompts" / "doom-map01.png"
    run = subprocess.run([str(built_app / "dreamwalk"), "--play", str(prompt), "--frames", "30", "--agent", "random",
                          "--record", str(clip), "--device", "cpu"], capture_output=True, text=True,
                         env=bare_env(tmp_path, SDL_VIDEODRIVER="dummy"), timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    with av.open(str(clip)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 31 and frames[0].shape[2] == 3            # the prompt + 30 dreamed frames
    assert clip.with_suffix(".actions.jsonl").exists()


@pytest.mark.slow
def test_engine_commands_explain_themselves_in_the_app(built_app, tmp_path):
    run = subprocess.run([str(built_app / "dreamwalk"), "train", "dynamics"], capture_output=True, text=True,
                         env=bare_env(tmp_path), timeout=60, cwd=tmp_path)
    assert run.returncode == 2 and "source install" in run.stderr and len(run.stderr.strip().splitlines()) == 1
