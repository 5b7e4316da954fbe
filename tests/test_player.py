"""The pygame player, headless (SDL dummy driver), driven by real pygame events."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import av
import numpy as np
import pygame
import pytest

from app.controls import ControlSettings, action_from_input
from app.player import Player, PlayerOptions


def test_controls_map_keys_and_mouse_to_actions():
    settings = ControlSettings()
    action = action_from_input({"w", "left shift", "right"}, {1}, (20.0, -10.0), settings)
    assert action["forward"] and action["sprint"] and action["attack"] and not action["attack_alt"]
    assert action["turn"] == pytest.approx(20 * 0.15 + 6.0)          # mouse right + arrow right
    assert action["look"] == pytest.approx(10 * 0.15)                 # mouse up looks up
    inverted = action_from_input(set(), set(), (0.0, -10.0), ControlSettings(invert_look=True))
    assert inverted["look"] == pytest.approx(-1.5)
    rebound = ControlSettings(bindings={**settings.bindings, "forward": ["up"]})
    assert action_from_input({"up"}, set(), (0, 0), rebound)["forward"]


def key(code, down=True):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=code, mod=0,
                                         unicode="", scancode=0))


def frames_of(path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture
def prompt(tmp_path):
    from PIL import Image
    path = tmp_path / "prompt.png"
    Image.new("RGB", (320, 240), (150, 90, 40)).save(path)
    return path


def test_scripted_keys_and_mouse_record_a_clip_that_replays(tiny_pack, prompt, tmp_path):
    clip = tmp_path / "clip.mp4"
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", record=str(clip),
                                  scale=4, output_folder=str(tmp_path)))
    script = {0: lambda: key(pygame.K_w), 5: lambda: pygame.event.post(pygame.event.Event(
                  pygame.MOUSEBUTTONDOWN, button=1, pos=(10, 10))),
              6: lambda: pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, rel=(30, 0), pos=(40, 10),
                                                              buttons=(0, 0, 0))),
              10: lambda: key(pygame.K_w, down=False), 12: lambda: key(pygame.K_d)}
    actions = []
    for frame in range(20):
        if frame in script:
            script[frame]()
        player.handle_events()
        action = player.next_action()
        actions.append(action)
        player.advance(action)
        player.draw()
    player.close()
    assert actions[1]["forward"] and not actions[11]["forward"] and actions[13]["right"]
    assert actions[6]["turn"] == pytest.approx(30 * 0.15)              # the captured mouse turned
    recorded = frames_of(clip)
    assert len(recorded) == 21 and recorded[0].shape == (96, 128, 3)  # the prompt + 20 dreamed frames
    replayed = tmp_path / "replay.mp4"
    Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", record=str(replayed), scale=4,
                         frames=20, agent=f"replay:{clip.with_suffix('.actions.jsonl')}")).run()
    assert all(np.array_equal(a, b) for a, b in zip(recorded, frames_of(replayed)))


def test_the_view_holds_while_no_control_is_touched(tiny_pack, prompt, tmp_path):
    """No input: nothing is dreamed and the frame stays (a clip still records it in real time); a key dreams
    again from there. With ``dream_idle`` the idle frames are dreamed."""
    clip = tmp_path / "still.mp4"
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", record=str(clip), scale=4))
    first = player.frame.copy()
    for _ in range(6):
        player.handle_events()
        player.advance(player.next_action())
        player.draw()
    assert player.holding and player.session.frames == 0 and np.array_equal(player.frame, first)
    key(pygame.K_w)
    player.handle_events()
    player.advance(player.next_action())
    assert not player.holding and player.session.frames == 1 and player.shown == 7 and player.dreamed == 1
    player.close()
    assert len(frames_of(clip)) == 8                                   # the prompt, 6 held, 1 dreamed
    dreaming = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", dream_idle=True))
    for _ in range(6):
        dreaming.advance(dreaming.next_action())
    assert dreaming.session.frames == 6 and not np.array_equal(dreaming.frame, first)
    dreaming.close()


def test_bookmark_rewind_and_restart(tiny_pack, prompt, tmp_path):
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", agent="random",
                                  output_folder=str(tmp_path)))
    for _ in range(6):
        player.advance(player.next_action())
    key(pygame.K_F5)
    player.handle_events()
    marked = player.frame.copy()
    for _ in range(9):
        player.advance(player.next_action())
    key(pygame.K_F9)
    player.handle_events()
    assert np.array_equal(player.frame, marked)
    for _ in range(9):
        player.advance(player.next_action())
    key(pygame.K_BACKSPACE)
    player.handle_events()
    for _ in range(5):
        player.rewind_one()
    key(pygame.K_BACKSPACE, down=False)
    player.handle_events()
    # Frames 7-15 were dreamed after the bookmark; five back passes 15..11 and lands on the rewind point 12.
    assert not player.rewinding and player.session.frames == 12
    key(pygame.K_r)
    player.handle_events()
    assert player.session.frames == 0
    key(pygame.K_F12)
    player.handle_events()
    assert len(list(tmp_path.glob("dreamwalk-*.png"))) == 1
    player.close()


def test_unwritable_recording_folder_is_a_message_not_a_crash(tiny_pack, prompt, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", agent="random",
                                  record=str(blocker / "clip.mp4"), frames=5))
    assert player.recorder is None and "cannot record" in player.message
    assert player.run() == 0 and player.dreamed == 5


@pytest.fixture
def small_disk(tmp_path):
    """A real 300 kB file system, filled up by a clip of noisy frames within a few dozen frames."""
    import subprocess

    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_full_disk_while_recording_keeps_a_playable_clip(tiny_pack, tmp_path, small_disk):
    from PIL import Image

    noisy = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)).save(noisy)
    clip = small_disk / "clip.mp4"
    player = Player(PlayerOptions(prompt=str(noisy), world=str(tiny_pack), device="cpu", agent="random",
                                  record=str(clip), frames=400, scale=16, seed=3))
    assert player.run() == 0 and player.dreamed == 400          # the world kept playing
    assert "recording stopped after" in player.message and "disk" in player.message.lower()
    # What was written before the disk filled up plays; a player stops at the cut-off last fragment.
    recorded = []
    with av.open(str(clip)) as container:
        try:
            for frame in container.decode(video=0):
                recorded.append(frame.to_ndarray(format="rgb24"))
        except av.error.InvalidDataError:
            pass
    assert len(recorded) >= 10 and recorded[0].shape == (24 * 16, 32 * 16, 3)


def test_a_world_with_a_memory_is_shown_as_large_as_this_machine_keeps_up_with(memory_pack, prompt, tmp_path,
                                                                                  monkeypatch, capsys):
    """No --size: 640x480 where a dreamed frame takes under 0.8 of the world's frame time; where even that is
    too slow (the bar lowered here to nothing), 160x120 and one line saying why; the world starts from the
    prompt either way (the timing turns are undone)."""
    import app.player as player_module

    player = Player(PlayerOptions(prompt=str(prompt), world=str(memory_pack), device="cpu",
                                  output_folder=str(tmp_path)))
    assert player.session.frame_size == (640, 480) and player.session.frames == 0
    assert np.allclose(player.session.pose, 0.0) and player.options.scale == 1
    player.session.close()
    monkeypatch.setattr(player_module, "KEEP_UP", 0.0)
    player = Player(PlayerOptions(prompt=str(prompt), world=str(memory_pack), device="cpu",
                                  output_folder=str(tmp_path)))
    assert player.session.frame_size == (160, 120) and np.allclose(player.session.pose, 0.0)
    assert "showing 160x120: this machine cannot dream 640x480" in capsys.readouterr().err
    assert player.message.startswith("showing 160x120")
    player.session.close()
