"""What new users ran into in the launcher and the player, one test per report: each failed before its fix.

Launcher tests use real widgets (Qt offscreen) and real clicks and key presses (QTest); player tests a real
pygame window (SDL's dummy driver, or Xvfb where it is installed); command-line tests run main.py.
"""

import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pygame
import pytest
from PIL import Image

from app.controls import action_from_input
from app.player import Player, PlayerOptions
from conftest import import_world

ROOT = Path(__file__).resolve().parents[1]
NO_GPU_LINE = "No usable NVIDIA GPU found; running on the CPU"
needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (apt install xvfb)")


# --- helpers ------------------------------------------------------------------------------------
@pytest.fixture
def launcher(tmp_path, monkeypatch):
    monkeypatch.setenv("DREAMWALK_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("DREAMWALK_DATA", str(tmp_path / "data"))
    from PySide6.QtWidgets import QApplication

    from app.launcher import Launcher

    app = QApplication.instance() or QApplication([])
    window = Launcher()
    window.settings.recordings_folder = str(tmp_path / "clips")
    window.resize(1200, 720)
    window.show()
    yield window, app
    window.close()


def settle(app, window, seconds=30.0):
    """Let the launcher's worker threads answer: the picture being opened, the device probe."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if not getattr(window, "loading", None) and not window.probe_thread.isRunning() and not window.imports_pending:
            app.processEvents()
            return
        time.sleep(0.01)
    raise AssertionError("the launcher's workers did not answer")


def click(widget, item_rect, double=False):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    where = (widget.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, item_rect.center())
    QTest.mouseClick(*where)
    if double:
        QTest.mouseDClick(*where)          # Qt's item views take a double click on the item pressed just before


def gallery_path(window):
    from PySide6.QtCore import Qt

    item = window.gallery.currentItem()
    return item.data(Qt.UserRole) if item is not None and item.isSelected() else None


def key(code, down=True):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=code, mod=0,
                                         unicode="", scancode=0))


def press(player, code):
    key(code)
    key(code, down=False)
    player.handle_events()


@pytest.fixture
def prompt(tmp_path):
    path = tmp_path / "prompt.png"
    Image.new("RGB", (320, 240), (150, 90, 40)).save(path)
    return path


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


# --- 1. the highlighted thumbnail is what Play starts ---------------------------------------------
def test_the_highlighted_thumbnail_is_always_what_play_starts(launcher, tiny_pack, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QFileDialog

    window, app = launcher
    settle(app, window)
    first = window.gallery.item(0)
    bundled = first.data(Qt.UserRole)

    def agree():
        settle(app, window)
        assert gallery_path(window) == window.prompt
        assert window.play_arguments()[window.play_arguments().index("--play") + 1] == window.prompt

    click(window.gallery, window.gallery.visualItemRect(first))
    agree()
    assert window.prompt == bundled
    opened = tmp_path / "opened.png"
    Image.new("RGB", (200, 150), (10, 200, 30)).save(opened)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(opened), ""))
    window.open_image()
    agree()                                                   # the opened picture is highlighted, not doom-map01
    assert window.prompt == str(opened)
    click(window.gallery, window.gallery.visualItemRect(window.gallery.item(
        [r for r in range(window.gallery.count()) if window.gallery.item(r).data(Qt.UserRole) == bundled][0])))
    agree()
    assert window.prompt == bundled                           # back to the bundled one with one click
    (tmp_path / "notes.png").write_text("a shopping list")
    window.choose_prompt(str(tmp_path / "notes.png"))
    agree()                                                   # refused: the highlight stays on what Play starts
    assert "not an image" in window.status.text() and window.prompt == bundled
    image = QImage(120, 90, QImage.Format.Format_RGB888)
    image.fill(Qt.GlobalColor.red)
    app.clipboard().setImage(image)
    window.paste_image()
    agree()
    assert Path(window.prompt).parent == tmp_path / "data" / "pasted"
    row = [r for r in range(window.gallery.count()) if window.gallery.item(r).data(Qt.UserRole) == bundled][0]
    click(window.gallery, window.gallery.visualItemRect(window.gallery.item(row)))
    agree()
    assert window.prompt == bundled


def test_clicking_a_picture_that_is_refused_keeps_the_highlight_on_what_play_starts(launcher, tmp_path):
    from PySide6.QtCore import Qt

    window, app = launcher
    settle(app, window)
    started = window.prompt                                   # the first thumbnail, chosen at start
    assert started and gallery_path(window) == started
    broken = tmp_path / "broken.png"
    broken.write_text("not a picture")
    window.settings.recent_images = [str(broken)]
    window.refresh_prompts()
    assert window.gallery.item(0).data(Qt.UserRole) == str(broken) and gallery_path(window) == started
    for _ in range(2):                                        # and again: refused again, with the reason
        window.say("")
        click(window.gallery, window.gallery.visualItemRect(window.gallery.item(0)))
        settle(app, window)
        assert window.prompt == started and gallery_path(window) == started
        assert "broken.png is not an image" in window.status.text()


# --- 2. F1's help fits the window -----------------------------------------------------------------
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


# --- 3. F11 and back ------------------------------------------------------------------------------
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


# --- 4. saved clips and screenshots say where ----------------------------------------------------
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


def test_the_launcher_says_where_the_player_saved(launcher, tiny_pack, tmp_path):
    from app.settings import readable_folder

    window, app = launcher
    assert import_world(window, tiny_pack)
    window.worlds.setCurrentRow([r for r in range(window.worlds.count())
                                 if window.worlds.item(r).text() == "tiny (yours)"][0])
    image = tmp_path / "prompt.png"
    Image.new("RGB", (64, 48), (20, 120, 200)).save(image)
    window.choose_prompt(str(image))
    settle(app, window)
    clip = tmp_path / "clips" / "run.mp4"
    window.play(["--frames", "3", "--agent", "random", "--record", str(clip)])
    assert window.process.waitForFinished(120_000)
    app.processEvents()
    assert window.process.exitCode() == 0, window.log.toPlainText()
    assert f"saved 1 file in {readable_folder(tmp_path / 'clips')}" in window.status.text()
    assert "run.mp4" in window.status.text()
    assert window.recordings.item(0).text().startswith("run.mp4")


# --- 5. recordings open ---------------------------------------------------------------------------
def test_double_clicking_a_recording_opens_it(launcher, tmp_path, monkeypatch):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QPushButton

    window, app = launcher
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "walk.mp4").write_bytes(b"\0" * 1000)
    window.refresh_recordings()
    assert "Recordings in" in window.recordings_label.text()
    click(window.recordings, window.recordings.visualItemRect(window.recordings.item(0)), double=True)
    assert opened == [QUrl.fromLocalFile(str(folder / "walk.mp4"))]
    shutil.rmtree(folder)                                      # before the first clip the folder does not exist
    button = [b for b in window.findChildren(QPushButton) if b.text() == "Open recordings folder"][0]
    button.click()
    assert opened[-1] == QUrl.fromLocalFile(str(folder)) and folder.is_dir()


# --- 6. no "Quality (steps)" ----------------------------------------------------------------------
def test_no_sampler_steps_in_the_launcher(tmp_path, monkeypatch, tiny_pack):
    """An old settings file's steps are not passed on: the distilled world plays best at its own 1 step."""
    import json

    from PySide6.QtWidgets import QApplication, QLabel

    from app.launcher import Launcher

    monkeypatch.setenv("DREAMWALK_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("DREAMWALK_DATA", str(tmp_path / "data"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text(json.dumps({"steps": 4, "guidance_scale": 1.5}))
    QApplication.instance() or QApplication([])
    window = Launcher()
    try:
        window.prompt, window.world = str(ROOT / "assets" / "prompts" / "doom-map01.png"), tiny_pack
        arguments = window.play_arguments()
        assert "--steps" not in arguments and arguments[arguments.index("--guidance") + 1] == "1.5"
        assert not any("steps" in label.text().lower() for label in window.findChildren(QLabel))
    finally:
        window.close()
    assert "steps" not in json.loads((tmp_path / "config" / "settings.json").read_text())


# --- 7. devices that exist, and one plain line when CUDA does not work ---------------------------
def test_only_devices_this_system_can_have_are_offered():
    from engine.runtime.providers import device_choices

    everything = ["CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider"]
    assert device_choices(everything, "linux") == ["auto", "cpu", "cuda"]
    assert device_choices(everything, "win32") == ["auto", "cpu", "cuda", "directml"]
    assert device_choices(everything, "darwin") == ["auto", "cpu", "cuda", "coreml"]
    assert device_choices(["CPUExecutionProvider"], "linux") == ["auto", "cpu"]
    assert device_choices(["DmlExecutionProvider", "CPUExecutionProvider"], "linux") == ["auto", "cpu"]


def test_the_launcher_offers_this_systems_devices_and_says_when_cuda_cannot_run(launcher, tiny_pack):
    from engine.runtime.providers import device_choices

    window, app = launcher
    assert import_world(window, tiny_pack)
    settle(app, window)
    offered = [window.device.itemText(i) for i in range(window.device.count())]
    assert offered == device_choices()
    if sys.platform.startswith("linux"):
        assert "directml" not in offered and "coreml" not in offered
    if "cuda" in offered and not cuda_really_works(tiny_pack):
        window.device.setCurrentText("cuda")
        assert window.device_info.text() == NO_GPU_LINE
    window.device.setCurrentText("auto")
    assert window.device_info.text().startswith("auto uses CPU")


def test_a_cuda_fallback_is_one_plain_line_and_auto_is_quiet(tiny_pack, prompt, tmp_path):
    if cuda_really_works(tiny_pack):
        pytest.skip("CUDA works on this machine: nothing falls back")
    env = bare_env(tmp_path, SDL_VIDEODRIVER="dummy")
    common = ["--play", prompt, "--world", tiny_pack, "--frames", "2", "--agent", "random"]
    auto = run_main(*common, env=env)
    assert auto.returncode == 0 and auto.stderr == ""                 # no libcublas line on every run
    cuda = run_main(*common, "--device", "cuda", env=env)
    assert cuda.returncode == 0 and cuda.stderr == f"dreamwalk: {NO_GPU_LINE}\n"
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cuda"))
    assert player.message == NO_GPU_LINE                               # in the window too
    player.close()


# --- 8. tiny and huge pictures --------------------------------------------------------------------
def test_tiny_and_huge_pictures_are_refused_from_their_header(tmp_path):
    from engine.runtime.images import ImageError, load_prompt

    Image.new("RGB", (1, 1), (0, 0, 255)).save(tmp_path / "dot.png")
    Image.new("RGB", (31, 400), (0, 0, 255)).save(tmp_path / "sliver.png")
    Image.new("RGB", (32, 32), (0, 0, 255)).save(tmp_path / "small.png")
    for name in ("dot.png", "sliver.png"):
        with pytest.raises(ImageError, match="needs at least 32 pixels on each side"):
            load_prompt(tmp_path / name, (64, 48))
    assert load_prompt(tmp_path / "small.png", (64, 48)).shape == (48, 64, 3)
    for width, height in ((10000, 10000), (7100, 7100), (60000, 60000)):
        started = time.perf_counter()
        with pytest.raises(ImageError, match="too large.*up to 50 megapixels"):
            load_prompt(png_header(tmp_path / "huge.png", width, height), (64, 48))
        assert time.perf_counter() - started < 0.5                    # the header alone, never a 6-second decode
    with pytest.raises(ImageError, match="at least 32 pixels"):
        load_prompt(Image.new("RGB", (8, 8)), (64, 48))
    assert load_prompt(np.zeros((24, 32, 3), np.uint8), (32, 24)).shape == (24, 32, 3)   # frames code makes


def test_a_big_jpeg_decodes_fast_at_a_reduced_scale(tmp_path):
    from engine.runtime.images import load_prompt

    big = tmp_path / "photo.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 800, 3), dtype=np.uint8)).resize(
        (8000, 6000), Image.NEAREST).save(big, quality=90)
    started = time.perf_counter()
    frame = load_prompt(big, (64, 48))
    assert time.perf_counter() - started < 1.5 and frame.shape == (48, 64, 3)


def test_tiny_and_huge_pictures_are_a_message_in_the_launcher(launcher, tmp_path):
    window, app = launcher
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 48), (9, 9, 9)).save(good)
    window.choose_prompt(str(good))
    settle(app, window)
    Image.new("RGB", (1, 1), (0, 0, 255)).save(tmp_path / "dot.png")
    window.choose_prompt(str(tmp_path / "dot.png"))
    settle(app, window)
    assert "dot.png is only 1x1 pixels" in window.status.text() and window.prompt == str(good)
    window.choose_prompt(str(png_header(tmp_path / "huge.png", 10000, 10000)))
    settle(app, window, seconds=1.0)
    assert "huge.png is too large: 10000x10000 pixels" in window.status.text() and window.prompt == str(good)


@pytest.mark.parametrize("width, height, message", [(1, 1, "is only 1x1 pixels"),
                                                    (10000, 10000, "is too large: 10000x10000 pixels")])
def test_tiny_and_huge_pictures_are_one_error_line_from_the_command_line(tiny_pack, tmp_path, width, height,
                                                                        message):
    path = tmp_path / "picture.png"
    if width > 1:
        png_header(path, width, height)
    else:
        Image.new("RGB", (1, 1)).save(path)
    run = run_main("--play", path, "--world", tiny_pack, env=bare_env(tmp_path, SDL_VIDEODRIVER="dummy"))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"dreamwalk: error: picture.png {message}")


# --- 9. main.py --help ----------------------------------------------------------------------------
def test_main_help_describes_the_launcher_and_the_players_options(tmp_path):
    run = run_main("--help", env=bare_env(tmp_path))
    assert run.returncode == 0 and run.stderr == ""
    for wanted in ("open the launcher", "--play IMAGE", "--screenshot", "--world PACK", "--record", "--agent",
                   "--device", "--scale", "--dream-idle", "F1"):
        assert wanted in run.stdout, wanted
    assert "record a policy playing a simulator" not in run.stdout     # the engine's own commands list


# --- 10. no XDG_RUNTIME_DIR warning ----------------------------------------------------------------
def test_recording_without_a_display_prints_no_warning(tiny_pack, prompt, tmp_path):
    clip = tmp_path / "clip.mp4"
    run = run_main("--play", prompt, "--world", tiny_pack, "--device", "cpu", "--frames", "3", "--agent", "random",
                   "--record", clip, env=bare_env(tmp_path))
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert clip.stat().st_size > 0
    interactive = run_main("--play", prompt, "--world", tiny_pack, "--device", "cpu", env=bare_env(tmp_path))
    assert interactive.returncode == 1                                 # a real problem still says so, in one line
    assert interactive.stderr.startswith("dreamwalk: error: there is no display")
    assert interactive.stderr.count("\n") == 1


# --- 11. key bindings -------------------------------------------------------------------------------
def test_keys_edited_in_the_launcher_drive_the_player(launcher, tmp_path, tiny_pack, prompt):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from app.hud import help_entries
    from app.settings import load_settings

    window, app = launcher
    table = window.keys
    rows = {table.item(r, 0).data(Qt.ItemDataRole.UserRole): r for r in range(table.rowCount())}
    assert table.item(rows["crouch"], 1).text() == "Ctrl" and table.item(rows["forward"], 1).text() == "W"

    def rebind(action, qt_key):
        click(table, table.visualItemRect(table.item(rows[action], 1)), double=True)
        assert "press a key" in table.item(rows[action], 1).text()
        QTest.keyClick(table, qt_key)

    rebind("forward", Qt.Key.Key_I)
    assert window.settings.bindings["forward"] == ["i"] and table.item(rows["forward"], 1).text() == "I"
    rebind("backward", Qt.Key.Key_Up)                                  # look up's key: refused, with the reason
    assert window.settings.bindings["backward"] == ["s"] and "already controls look up" in window.status.text()
    rebind("jump", Qt.Key.Key_R)                                       # the player's restart key
    assert window.settings.bindings["jump"] == ["space"] and "restart" in window.status.text()
    rebind("use", Qt.Key.Key_Escape)                                   # Esc cancels
    assert window.settings.bindings["use"] == ["e"]
    rebind("sprint", Qt.Key.Key_Alt)
    assert window.settings.bindings["sprint"] == ["left alt", "right alt"]
    window.close()
    controls = load_settings()[0].controls()
    assert action_from_input({"i"}, set(), (0, 0), controls)["forward"]
    assert action_from_input({"right alt"}, set(), (0, 0), controls)["sprint"]
    assert not action_from_input({"w"}, set(), (0, 0), controls)["forward"]
    assert help_entries(controls)[0] == ("IASD", "move")
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cpu"), controls)
    key(pygame.K_i)
    player.handle_events()
    assert player.next_action()["forward"]
    player.close()
    table.restore_defaults()
    assert window.settings.bindings["forward"] == ["w"]
