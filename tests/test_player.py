"""The pygame player, headless (SDL dummy driver), driven by real pygame events."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pygame
import pytest

from app.controls import ControlSettings, action_from_input
from app.player import Player, PlayerOptions
from conftest import ROOT, bare_env, key, needs_xvfb, press


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


def frames_of(path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


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
    """No --size: the world opens at 640x480 at once (nothing timed before the first frame); its first dreamed
    frames are timed, and where they cannot keep up (the bar lowered here to nothing) the world goes on from
    where it is at the next smaller size, with one line saying why; the size found is kept, and the next start
    opens at it at once."""
    import app.player as player_module

    monkeypatch.setattr(player_module, "KEEP_UP", 0.0)
    player = Player(PlayerOptions(prompt=str(prompt), world=str(memory_pack), device="cpu",
                                  output_folder=str(tmp_path)))
    assert player.session.frame_size == (640, 480) and player.session.frames == 0
    assert np.allclose(player.session.pose, 0.0) and player.options.scale == 1
    for _ in range(player_module.WARM_UP + player_module.WATCHED - 1):
        player.advance({"forward": True, "turn": 2.0})
    assert player.session.frame_size == (640, 480)
    player.advance({"forward": True, "turn": 2.0})
    assert player.session.frame_size == (320, 240) and player.frame.shape == (240, 320, 3)
    assert np.allclose(player.session.pose, player.scene.pose) and abs(player.session.pose[3]) > 90   # on from there
    assert "showing 320x240: this machine cannot dream 640x480" in capsys.readouterr().err
    assert player.message.startswith("showing 320x240")
    player.restart()                                                   # back to the prompt, at the new size
    assert np.allclose(player.session.pose, 0.0) and player.session.frame_size == (320, 240)
    player.close()
    player = Player(PlayerOptions(prompt=str(prompt), world=str(memory_pack), device="cpu",
                                  output_folder=str(tmp_path)))
    assert player.session.frame_size == (320, 240)
    player.close()
    monkeypatch.setattr(player_module, "KEEP_UP", 100.0)             # a machine that keeps up: the size kept
    monkeypatch.setenv("DREAMWALK_CONFIG", str(tmp_path / "another-machine"))
    player = Player(PlayerOptions(prompt=str(prompt), world=str(memory_pack), device="cpu",
                                  output_folder=str(tmp_path)))
    for _ in range(player_module.WARM_UP + player_module.WATCHED):
        player.advance({"forward": True})
    assert player.session.frame_size == (640, 480) and player.size_watch is None
    player.close()
    assert player_module.remembered_size(str(memory_pack), "cpu") == (640, 480)


def test_the_status_line_speaks_plainly_and_grows_with_the_window():
    from app.hud import hud_font_size, status_line

    assert status_line(0.0, None, "CPUExecutionProvider") == "starting  ·  dreamed on the CPU"
    assert (status_line(17.46, 31.6, "CUDAExecutionProvider", 3.04, "paused (P goes on)")
            == "17 frames/s, 32 ms each  ·  dreamed on the GPU (CUDA)  ·  recording 3.0 s  ·  paused (P goes on)")
    assert hud_font_size((512, 384)) == 22 and hud_font_size((1920, 1080)) == 50 and hud_font_size((3840, 2160)) == 55


# --- F1's help fits the window; F11 and back -----------------------------------------------------------------
@pytest.mark.parametrize("scale, size", [(16, None), (8, None), (8, (200, 150))])
def test_the_help_fits_any_window(tiny_pack, prompt, scale, size):
    """The tiny world at 16x is the default world's window (512x384); 8x and 200x150 are small ones. Every key of
    the help shows inside the window, on one page at the default size, turned by F1 in a small window."""
    from app.hud import help_entries

    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", scale=scale))
    if size:
        player.window = pygame.display.set_mode(size, pygame.RESIZABLE)
    width, height = player.window.get_size()
    press(player, pygame.K_F1)
    seen, pages = [], 0
    while player.show_help and pages < 10:
        player.draw()
        pages += 1
        assert player.help_drawn
        for text, rect in player.help_drawn:
            assert rect.left >= 0 and rect.top >= 0 and rect.right <= width and rect.bottom <= height, (text, rect)
        seen += [text for text, _ in player.help_drawn]
        press(player, pygame.K_F1)
    player.close()
    wanted = {text for entry in help_entries(player.controls)[:-1] for text in entry}
    assert wanted <= set(seen) and "restart" in seen
    if (width, height) == (512, 384):
        assert pages == 1


def test_leaving_fullscreen_gives_back_the_window_size(tiny_pack, prompt):
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", scale=8))
    player.window = pygame.display.set_mode((300, 250), pygame.RESIZABLE)     # as if the user resized it
    press(player, pygame.K_F11)
    player.draw()
    assert pygame.display.is_fullscreen() and player.window.get_size() == pygame.display.get_desktop_sizes()[0]
    press(player, pygame.K_F11)
    player.draw()
    assert not pygame.display.is_fullscreen() and player.window.get_size() == (300, 250)
    assert pygame.display.get_surface() is player.window                      # the player draws into the window
    player.close()


@needs_xvfb
def test_leaving_fullscreen_under_x11(tiny_pack, prompt, tmp_path):
    server = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        display = f":{server.stdout.readline().strip()}"
        script = ("import sys, pygame; from app.player import Player, PlayerOptions\n"
                  "p = Player(PlayerOptions(prompt=sys.argv[1], world=sys.argv[2], device='cpu', scale=8))\n"
                  "sizes = [pygame.display.get_window_size()]\n"
                  "for _ in range(2):\n"
                  "    p.toggle_fullscreen(); [pygame.event.pump() for _ in range(20)]; p.draw()\n"
                  "    sizes.append(pygame.display.get_window_size())\n"
                  "print(sizes); p.close()\n")
        run = subprocess.run([sys.executable, "-c", script, str(prompt), str(tiny_pack)], capture_output=True,
                             text=True, env=bare_env(tmp_path, DISPLAY=display), timeout=120, cwd=ROOT)
    finally:
        server.terminate()
        server.wait(10)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[(256, 192), (1280, 900), (256, 192)]"


# --- saved clips, screenshots and scenes say where -----------------------------------------------------------
def test_saved_clips_and_screenshots_name_their_folder(tiny_pack, prompt, tmp_path, capsys):
    from app.settings import readable_folder

    output = tmp_path / "my clips"
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", agent="random",
                                  output_folder=str(output)))
    press(player, pygame.K_F10)
    assert player.recorder is not None and str(output) in player.message
    for _ in range(4):
        player.advance(player.next_action())
    press(player, pygame.K_F10)
    clip = next(output.glob("*.mp4"))
    assert player.message.startswith(f"saved clip {clip.name}")
    assert player.message.endswith(f"in {readable_folder(output)}")
    press(player, pygame.K_F12)
    shot = next(output.glob("*.png"))
    assert player.message == f"saved screenshot {shot.name} in {readable_folder(output)}"
    player.draw()                                 # a long message wraps inside the window instead of running off it
    player.close()
    printed = capsys.readouterr().out.splitlines()
    assert f"dreamwalk: saved clip {clip.resolve()}" in printed
    assert f"dreamwalk: saved screenshot {shot.resolve()}" in printed
    assert readable_folder(Path.home() / "Videos" / "Dreamwalk") == str(Path("~/Videos/Dreamwalk"))


def test_f6_keeps_the_scene_where_it_says(tiny_pack, prompt, tmp_path, capsys):
    """F6 saves the moment as a scene in the output folder and says where; the scene opens again (a world
    without a memory keeps the picture and seed); F6 cannot be bound to a control."""
    from app.controls import DEFAULT_BINDINGS, binding_problem
    from app.settings import readable_folder
    from engine.runtime.scene import open_scene

    output = tmp_path / "scenes"
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu", agent="random",
                                  output_folder=str(output), seed=5))
    for _ in range(3):
        player.advance(player.next_action())
    press(player, pygame.K_F6)
    scene = next(output.glob("*.dwscene"))
    assert player.message == f"saved scene {scene.name} in {readable_folder(output)}"
    kept = open_scene(scene)
    assert kept.seed == 5 and kept.source == prompt.name and kept.memory is None and kept.frames == 3
    player.close()
    assert f"dreamwalk: saved scene {scene.resolve()}" in capsys.readouterr().out.splitlines()
    assert binding_problem(dict(DEFAULT_BINDINGS), "jump", ["f6"]) == "F6 is the player's keep the scene key; choose another key"
