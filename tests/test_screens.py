"""Real windows under Xvfb: the launcher and the player draw something (not a blank window), and a
10-second clip recorded from the command line replays to the same frames."""

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from conftest import needs_xvfb

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def display():
    """A private Xvfb server; its display number comes back on a pipe (-displayfd)."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(10)


def app_env(tmp_path, **extra):
    env = {key: value for key, value in os.environ.items()
           if key not in ("SDL_VIDEODRIVER", "QT_QPA_PLATFORM", "DISPLAY")}
    return {**env, "DREAMWALK_CONFIG": str(tmp_path / "config"), "DREAMWALK_DATA": str(tmp_path / "data"),
            "PYTHONPATH": str(ROOT), **extra}


def assert_drawn(path: Path, min_colours: int) -> np.ndarray:
    pixels = np.asarray(Image.open(path).convert("RGB"))
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert pixels.std() > 10 and colours >= min_colours, f"{path.name}: std {pixels.std():.1f}, {colours} colours"
    return pixels


@needs_xvfb
def test_player_window_under_xvfb(display, tiny_pack, tmp_path):
    prompt = tmp_path / "prompt.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(prompt)
    shot = tmp_path / "player.png"
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "--play", str(prompt), "--world", str(tiny_pack),
                          "--frames", "10", "--agent", "random", "--scale", "8", "--window-shot", str(shot)],
                         env=app_env(tmp_path, DISPLAY=display), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pixels = assert_drawn(shot, 50)
    assert pixels.shape == (24 * 8, 32 * 8, 3)                 # the tiny world's 32x24 frame, 8x
    assert pixels[8:24, 8:60].max() == 255                     # the HUD's white text over the frame


@needs_xvfb
def test_launcher_window_under_xvfb(display, tmp_path):
    shot = tmp_path / "launcher.png"
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(shot)],
                         env=app_env(tmp_path, DISPLAY=display, QT_QPA_PLATFORM="xcb"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    pixels = assert_drawn(shot, 200)
    assert pixels.shape[0] >= 600 and pixels.shape[1] >= 1000


def test_ten_second_clip_has_ten_seconds_of_frames_and_replays(tiny_pack, tmp_path):
    from engine.runtime import WorldSession

    fps = WorldSession.open(tiny_pack, device="cpu").fps
    frames = round(10 * fps)
    clip = tmp_path / "ten.mp4"
    env = app_env(tmp_path, SDL_VIDEODRIVER="dummy")
    play = [sys.executable, str(ROOT / "main.py"), "--play", str(ROOT / "assets" / "prompts" / "doom-map01.png"),
            "--world", str(tiny_pack), "--device", "cpu", "--scale", "4"]
    # The clip holds the prompt and then every dreamed frame: frames - 1 steps give `frames` frames.
    first = subprocess.run(play + ["--frames", str(frames - 1), "--agent", "random", "--record", str(clip)],
                           env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        recorded = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        assert stream.codec_context.name == "h264"
        assert float(stream.average_rate) == pytest.approx(fps, rel=1e-3)
    assert len(recorded) == frames and len(recorded) / fps == pytest.approx(10.0, abs=0.5 / fps)
    assert recorded[0].shape == (96, 128, 3)
    replay = tmp_path / "replay.mp4"
    second = subprocess.run(play + ["--frames", str(frames - 1), "--agent", f"replay:{clip.with_suffix('.actions.jsonl')}",
                                    "--record", str(replay)], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    with av.open(str(replay)) as container:
        replayed = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(replayed) == frames and all(np.array_equal(a, b) for a, b in zip(recorded, replayed))


@needs_xvfb
def test_a_painting_is_shown_at_its_own_resolution_and_back_after_a_whole_turn(display, memory_pack, tmp_path):
    """The player in a real window at 640x480 from the bundled painting, with a world that has a memory: the
    window after a whole turn (40 frames at 9 degrees) shows the picture it started from, as sharp."""
    from engine.evaluation.metrics import psnr, sharpness
    from engine.memory.canvas import Canvas

    canvas, why = Canvas.create()
    if canvas is None:
        pytest.skip(f"no OpenGL canvas here: {why}")
    canvas.close()
    shots = {}
    for name, turns in (("start", 0), ("back", 40)):
        log = tmp_path / f"{name}.actions.jsonl"
        actions = [{"turn": 9.0}] * turns or [{}]
        log.write_text("\n".join([json.dumps({"dreamwalk_actions": 1, "fps": 17.5})]
                                 + [json.dumps({"frame": i + 1, "action": a}) for i, a in enumerate(actions)]) + "\n")
        shots[name] = tmp_path / f"{name}.png"
        run = subprocess.run([sys.executable, str(ROOT / "main.py"), "--play",
                              str(ROOT / "assets" / "prompts" / "other-painted-castle.png"), "--world", str(memory_pack),
                              "--size", "640x480", "--frames", str(len(actions)), "--agent", f"replay:{log}",
                              "--window-shot", str(shots[name])],
                             env=app_env(tmp_path, DISPLAY=display), capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    start, back = (assert_drawn(shots[name], 200) for name in ("start", "back"))
    assert start.shape == back.shape == (480, 640, 3)
    below_hud = (slice(60, None), slice(None))                  # the status line differs: frames, time
    assert float(psnr(back[below_hud], start[below_hud])) > 30
    assert float(sharpness(back[None, 60:])[0]) > 0.9 * float(sharpness(start[None, 60:])[0])
