"""Walkthroughs: an action log played through the tiny world into an MP4, and `dreamwalk render`."""

import json
from fractions import Fraction

import av
import numpy as np
import pytest

from conftest import run_dreamwalk
from engine.cli import main
from engine.errors import DreamwalkError
from engine.pack import read_pack_manifest
from engine.runtime.session import DEFAULT_WORLDS, WorldSession
from engine.runtime.action_log import read_action_log, read_log_header
from engine.runtime.walkthrough import render_walkthrough

ACTIONS = [{"forward": True}] * 4 + [{"turn": 6.0}] * 4 + [{"forward": True, "left": True}] * 4
DIGEST = "0123456789abcdef" * 4                 # a world's digest, as engine.pack.world_digest writes it
ELSEWHERE = {"world": "tiny", "world_digest": DIGEST, "world_path": "/nowhere/tiny.dwpack"}   # a world not here


def decoded(path):
    """The frames (N, H, W, 3) uint8 of an MP4 and its frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(stream)])
        return frames, stream.average_rate


@pytest.fixture
def prompt(tmp_path):
    from PIL import Image

    path = tmp_path / "prompt.png"
    Image.new("RGB", (320, 240), (150, 90, 40)).save(path)
    return path


@pytest.fixture
def action_log(tmp_path, prompt):
    """The action log of a 12-action clip of a world not on this machine, written by the player's recorder (the
    prompt's path made absolute)."""
    from app.recorder import ClipRecorder

    recorder = ClipRecorder(tmp_path / "clip.mp4", 17.5, (32, 24), 1, {**ELSEWHERE, "prompt": str(prompt), "seed": 3})
    blank = np.zeros((24, 32, 3), np.uint8)
    for action in [None, *ACTIONS]:
        recorder.add(blank, action)
    recorder.close()
    return tmp_path / "clip.actions.jsonl"


class CountingSession:
    """A stand-in world whose n-th frame is grey level 10 n and whose camera is at x = n."""
    fps = 10.0
    frame_size = (32, 24)

    def __init__(self, interrupt_at=None):
        self.frames = 0
        self.interrupt_at = interrupt_at

    def start(self):
        self.frames = 0
        return self.frame()

    def step(self, action):
        if self.frames + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        self.frames += 1
        return self.frame()

    def frame(self):
        return np.full((24, 32, 3), 10 * self.frames, np.uint8)

    @property
    def pose(self):
        return np.array([self.frames, 0.0, 41.0, 0.0, 0.0])


def test_a_walkthrough_has_every_frame_at_the_size_and_rate_asked(tiny_pack, prompt, tmp_path):
    done = []
    with WorldSession.open(tiny_pack, device="cpu", display_size=(64, 48)) as session:
        written = render_walkthrough(session, lambda: session.reset(str(prompt), seed=3), ACTIONS,
                                     tmp_path / "walk.mp4", progress=lambda n, total: done.append((n, total)))
        fps = session.fps
    assert written == 13 and done == [(n, 13) for n in range(1, 14)]           # the prompt and 12 dreamed frames
    frames, rate = decoded(tmp_path / "walk.mp4")
    assert frames.shape == (13, 48, 64, 3) and rate == Fraction(fps).limit_denominator(1000)
    assert not (tmp_path / "walk.poses.json").exists()                          # the tiny world has no memory


def test_twice_the_frame_rate_is_twice_the_frames_over_the_same_seconds(tiny_pack, prompt, tmp_path):
    with WorldSession.open(tiny_pack, device="cpu", display_size=(64, 48)) as session:
        written = render_walkthrough(session, lambda: session.reset(str(prompt), seed=3), ACTIONS,
                                     tmp_path / "fast.mp4", fps=2 * session.fps)
        fps = session.fps
    frames, rate = decoded(tmp_path / "fast.mp4")
    assert written == 26 and len(frames) == 26 and rate == Fraction(2 * fps).limit_denominator(1000)
    np.testing.assert_array_equal(frames[0], frames[1])                          # each world frame held twice


def test_frames_and_poses_are_resampled_by_the_frame_on_screen(tmp_path):
    session = CountingSession()
    assert render_walkthrough(session, session.start, [{}] * 12, tmp_path / "slow.mp4", fps=5) == 7
    frames, rate = decoded(tmp_path / "slow.mp4")
    assert rate == 5 and len(frames) == 7
    np.testing.assert_allclose(frames.reshape(7, -1).mean(axis=1), [0, 20, 40, 60, 80, 100, 120], atol=2)
    poses = json.loads((tmp_path / "slow.poses.json").read_text())
    assert poses == [[float(n), 0.0, 41.0, 0.0, 0.0] for n in (0, 2, 4, 6, 8, 10, 12)]

    session = CountingSession()
    assert render_walkthrough(session, session.start, [{}] * 12, tmp_path / "fast.mp4", fps=20) == 26
    poses = json.loads((tmp_path / "fast.poses.json").read_text())
    assert [pose[0] for pose in poses] == [n // 2 for n in range(26)]


def test_an_interrupted_walkthrough_keeps_a_playable_file(tmp_path):
    session = CountingSession(interrupt_at=6)
    with pytest.raises(KeyboardInterrupt):
        render_walkthrough(session, session.start, [{}] * 12, tmp_path / "cut.mp4")
    frames, _ = decoded(tmp_path / "cut.mp4")
    assert len(frames) == 6
    assert len(json.loads((tmp_path / "cut.poses.json").read_text())) == 6


def test_ctrl_c_while_a_frame_is_written_keeps_that_frame_whole(tmp_path):
    """Ctrl-C during the writing of frame 5 arrives once it is written: the file decodes to those 5 frames."""
    import os
    import signal

    def interrupt_at_five(done, total):
        if done == 5:
            os.kill(os.getpid(), signal.SIGINT)

    session = CountingSession()
    session.frame_size = (320, 240)
    session.frame = lambda: np.full((240, 320, 3), 10 * session.frames, np.uint8)
    with pytest.raises(KeyboardInterrupt):
        render_walkthrough(session, session.start, [{}] * 12, tmp_path / "cut.mp4", progress=interrupt_at_five)
    frames, _ = decoded(tmp_path / "cut.mp4")
    np.testing.assert_allclose(frames.reshape(5, -1).mean(axis=1), [0, 10, 20, 30, 40], atol=2)


def test_an_odd_size_and_a_bad_action_are_refused_before_anything_is_written(tmp_path):
    session = CountingSession()
    session.frame_size = (33, 24)
    with pytest.raises(DreamwalkError, match=r"^a walkthrough cannot be 33x24: H.264 video needs an even width and "
                                             r"height \(such as 640x480\)$"):
        render_walkthrough(session, session.start, [{}], tmp_path / "odd.mp4")
    with pytest.raises(DreamwalkError, match=r"^action 2 of the walkthrough is not an action: "):
        render_walkthrough(CountingSession(), CountingSession().start, [{}, {"fly": True}], tmp_path / "bad.mp4")
    assert list(tmp_path.iterdir()) == []


def test_the_same_render_twice_is_the_same_video(tiny_pack, action_log, tmp_path):
    fps = read_pack_manifest(tiny_pack)["frame"]["fps"]
    for name in ("first.mp4", "second.mp4"):
        result = run_dreamwalk("render", action_log, "--world", tiny_pack, "--size", "64x48", "--device", "cpu",
                               "--out", tmp_path / name)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"wrote {tmp_path / name}: 13 frames at 64x48, {13 / fps:.1f} s at {fps:g} fps"
    first, rate = decoded(tmp_path / "first.mp4")
    second, _ = decoded(tmp_path / "second.mp4")
    assert first.shape == (13, 48, 64, 3) and rate == Fraction(fps)
    np.testing.assert_array_equal(first, second)
    assert len(np.unique(first.reshape(13, -1), axis=0)) > 1                    # the world moved
    # A contact sheet: 12 of the 13 frames, evenly spread, 4 a row, each 320 wide.
    result = run_dreamwalk("render", action_log, "--world", tiny_pack, "--size", "64x48", "--device", "cpu",
                           "--out", tmp_path / "third.mp4", "--sheet", tmp_path / "sheet.png")
    assert result.returncode == 0, result.stderr
    from PIL import Image

    sheet = np.asarray(Image.open(tmp_path / "sheet.png"))
    assert sheet.shape == (3 * 240, 4 * 320, 3)
    np.testing.assert_allclose(sheet[:240, :320].astype(float).mean(), first[0].astype(float).mean(), atol=2)


def test_render_refusals_are_one_line(action_log, tmp_path, capsys):
    def refused(*args):
        assert main(["render", *map(str, args)]) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and error.startswith("dreamwalk: error: ")
        return error.removeprefix("dreamwalk: error: ").strip()

    out = tmp_path / "walk.mp4"
    assert refused(tmp_path / "nothing.jsonl", "--out", out) == f"no action log at {tmp_path / 'nothing.jsonl'}"
    assert refused(action_log, "--size", "65x48", "--out", out) == ("a walkthrough cannot be 65x48: H.264 video needs "
                                                                   "an even width and height (such as 640x480)")
    text = tmp_path / "notes.txt"
    text.write_text("not a log\n")
    assert refused(text, "--out", out) == f"{text} is not a Dreamwalk action log"
    gone = tmp_path / "gone.png"
    assert refused(action_log, "--prompt", gone, "--out", out) == f"no image at {gone}"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert refused(action_log, "--world", "any.dwpack", "--out", blocker / "walk.mp4") == (
        f"cannot write the walkthrough to {blocker / 'walk.mp4'}: cannot make the folder {blocker} (File exists)")
    assert refused(action_log, "--out", out) == ("clip.actions.jsonl was made in the world 'tiny' "
                                                 "(/nowhere/tiny.dwpack): that world's pack is not there any more, nor "
                                                 "among the bundled worlds; pass --world PACK to render it in another "
                                                 "world")
    older = tmp_path / "older.actions.jsonl"           # a log of format 1 names its world's name alone
    older.write_text(json.dumps({"dreamwalk_actions": 1, "fps": 17.5, "world": "tiny", "prompt": "p.png",
                                 "seed": 0}) + "\n")
    (tmp_path / "p.png").write_bytes((tmp_path / "prompt.png").read_bytes())
    assert refused(older, "--out", out) == (f"no world pack at tiny, and no world named 'tiny' among the bundled "
                                            f"worlds in {DEFAULT_WORLDS}; give its pack with --world PACK")
    assert not out.exists()


def test_log_headers(action_log, tmp_path):
    header = read_log_header(action_log)
    assert (header["fps"], header["world"], header["seed"]) == (17.5, "tiny", 3)
    assert read_action_log(action_log) == ACTIONS
    newer = tmp_path / "newer.actions.jsonl"
    newer.write_text(json.dumps({"dreamwalk_actions": 3, "fps": 10}) + "\n")
    with pytest.raises(DreamwalkError, match=r"was written by a newer Dreamwalk \(action log format 3; this version "
                                             r"reads 2\)$"):
        read_log_header(newer)
    no_rate = tmp_path / "no-rate.actions.jsonl"
    no_rate.write_text(json.dumps({"dreamwalk_actions": 1, "world": "tiny", "prompt": "p.png", "seed": 0}) + "\n")
    with pytest.raises(DreamwalkError, match=r"has no valid frame rate in its header \(fps: None\)$"):
        read_log_header(no_rate)


def test_a_log_line_that_is_not_a_frame_is_an_error_naming_its_line(action_log, tmp_path):
    lines = action_log.read_text().splitlines()
    for bad, why in (('{"frame": 1}', "is not a frame"), ('{"action": {}}', "is not a frame"),
                     ("[1, 2]", "is not a frame"), ("{broken", "is not JSON")):
        log = tmp_path / "bad.actions.jsonl"
        log.write_text("\n".join([lines[0], lines[1], bad, *lines[2:]]) + "\n")
        with pytest.raises(DreamwalkError, match=f"^line 3 of the action log {log} {why}"):
            read_action_log(log)


def test_a_log_written_line_by_line_reads_back_with_its_poses(tmp_path):
    from engine.runtime.action_log import ActionLogWriter, log_path

    path = log_path(tmp_path / "walk.mp4")
    assert path == tmp_path / "walk.actions.jsonl"
    writer = ActionLogWriter(path, 17.5, {**ELSEWHERE, "prompt": "/pictures/p.png", "seed": 2})
    writer.write(0, None, np.zeros(5))
    writer.write(1, {"turn": 9.0}, np.array([1.0, 2.0, 41.0, 9.0, 0.0]))
    assert [json.loads(line) for line in path.read_text().splitlines()] == [   # flushed while it is open
        {"dreamwalk_actions": 2, "fps": 17.5, **ELSEWHERE, "prompt": "/pictures/p.png", "seed": 2},
        {"frame": 0, "action": None, "pose": [0.0] * 5},
        {"frame": 1, "action": {"turn": 9.0}, "pose": [1.0, 2.0, 41.0, 9.0, 0.0]}]
    writer.close()
    assert read_action_log(path) == [{"turn": 9.0}] and read_log_header(path)["seed"] == 2


def test_logs_written_before_still_read():
    """The log shipped with the builder's results, and a replay's bare header (its version and frame rate)."""
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[1] / "docs" / "results" / "builder" / "turn-and-walk.actions.jsonl"
    header = read_log_header(shipped)
    assert (header["world"], header["fps"], header["seed"]) == ("Doom (Freedoom 2)", 17.5, 0)
    actions = read_action_log(shipped)
    assert len(actions) == 92 and actions[0] == {"turn": 9.0} and actions[-1] == {"forward": True}


def test_a_newer_log_is_refused_by_the_replay_too(tmp_path):
    newer = tmp_path / "newer.actions.jsonl"
    newer.write_text(json.dumps({"dreamwalk_actions": 3, "fps": 10}) + "\n" + json.dumps({"frame": 1, "action": {}}))
    with pytest.raises(DreamwalkError, match=r"was written by a newer Dreamwalk \(action log format 3; this version "
                                             r"reads 2\)$"):
        read_action_log(newer)
    bare = tmp_path / "bare.actions.jsonl"
    bare.write_text(json.dumps({"dreamwalk_actions": 1, "fps": 10}) + "\n" + json.dumps({"frame": 1, "action": {}}))
    assert read_action_log(bare) == [{}]


def test_the_player_reads_logs_with_the_engine_reader():
    import app.player

    assert app.player.read_action_log is read_action_log


def test_a_walkthrough_follows_the_camera_path_the_clip_was_played_with(memory_pack, tmp_path):
    """A clip recorded in the player (a world with a memory, 640x480, a random agent) logs the camera's pose
    of each frame; rendered again at 1280x960, the walkthrough's camera takes exactly that path."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    clip = tmp_path / "clip.mp4"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(root),
           "DREAMWALK_CONFIG": str(tmp_path / "config"), "DREAMWALK_DATA": str(tmp_path / "data")}
    played = subprocess.run([sys.executable, str(root / "main.py"), "--play",
                             str(root / "assets" / "prompts" / "other-photo-courtyard.jpg"), "--world", str(memory_pack),
                             "--size", "640x480", "--frames", "29", "--agent", "random", "--record", str(clip)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert played.returncode == 0, played.stderr
    log = clip.with_suffix(".actions.jsonl")
    path = [json.loads(line)["pose"] for line in log.read_text().splitlines()[1:]]
    assert len(path) == 30 and np.abs(np.diff(np.array(path), axis=0)).max() > 1        # the camera moved
    result = run_dreamwalk("render", log, "--world", memory_pack, "--size", "1280x960", "--device", "cpu",
                           "--out", tmp_path / "walk.mp4")
    assert result.returncode == 0, result.stderr
    rendered = json.loads((tmp_path / "walk.poses.json").read_text())
    np.testing.assert_allclose(np.array(rendered), np.array(path), atol=1e-9)
    frames, _ = decoded(tmp_path / "walk.mp4")
    assert frames.shape == (30, 960, 1280, 3)
