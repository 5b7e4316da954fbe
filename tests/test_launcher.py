"""The Qt launcher with real widgets (offscreen) and real clicks and key presses (QTest), a real world pack and
a real player process."""

import io
import json
import shutil
import sys
import time
from pathlib import Path

import pygame
import pytest
from PIL import Image

from app.controls import action_from_input
from app.player import Player, PlayerOptions
from conftest import NO_GPU_LINE, ROOT, cuda_really_works, import_world, key, png_header, wait_until


def choose(window, path):
    """Choose a prompt picture and wait for the launcher's loader thread to decode (or refuse) it."""
    from PySide6.QtWidgets import QApplication

    window.choose_prompt(str(path))
    deadline = time.monotonic() + 30
    while window.loading and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert not window.loading


def test_import_choose_and_preview(launcher, tiny_pack, tmp_path):
    from PIL import Image

    window, _ = launcher
    broken = tmp_path / "broken.dwpack"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert not import_world(window, broken) and "was not imported" in window.status.text()
    assert import_world(window, tiny_pack)
    assert window.worlds.count() >= 1 and window.world is not None
    rows = [r for r in range(window.worlds.count()) if window.worlds.item(r).text() == "tiny (yours)"]
    window.worlds.setCurrentRow(rows[0])                      # the bundled world comes first
    assert "tiny" in window.details.text() and "32x24" in window.details.text()
    image = tmp_path / "concept.png"
    Image.new("RGB", (800, 300), (200, 30, 30)).save(image)
    choose(window, image)
    assert window.prompt == str(image)
    pixmap = window.preview.pixmap()
    assert not pixmap.isNull() and pixmap.width() / pixmap.height() == pytest.approx(32 / 24)
    (tmp_path / "notes.png").write_text("text")
    choose(window, tmp_path / "notes.png")
    assert "not an image" in window.status.text() and window.prompt == str(image)


def test_importing_a_world_verifies_it_off_the_qt_thread(launcher, tiny_pack, monkeypatch):
    """Opening a pack hashes every graph (seconds for a large world): the importer's thread does it while the
    launcher stays responsive, and the list of worlds follows its answer."""
    import threading

    import engine.pack.format as pack_format
    window, _ = launcher
    wait_until(lambda: not window.loading)                     # the first picture has answered
    hashed_on, real_sha256 = [], pack_format.file_sha256
    monkeypatch.setattr(pack_format, "file_sha256", lambda path: hashed_on.append(threading.current_thread()) or
                        real_sha256(path))
    window.import_world_file(tiny_pack)
    assert window.imports_pending == 1 and window.status.text() == "importing tiny.dwpack..."
    assert hashed_on == []                                     # the Qt thread goes on at once
    wait_until(lambda: not window.imports_pending)
    assert hashed_on and threading.main_thread() not in hashed_on
    assert "tiny (yours)" in [window.worlds.item(row).text() for row in range(window.worlds.count())]


def test_device_line_names_the_provider_and_graphs_play_would_use(launcher, tiny_pack):
    from app.launcher import DeviceProbe

    from app.launcher import describe_devices

    probe, said = DeviceProbe(tiny_pack), []
    probe.finished.connect(said.append)
    probe.run()                                                # in this thread: the signal arrives at once
    assert len(said) == 1 and "CPU" in said[0]["installed"]
    assert describe_devices(said[0], "auto").startswith("auto uses CPU fp32")    # the tiny pack has no int8 graph


def tiny_world_and_a_blue_prompt(window, tiny_pack, tmp_path) -> Path:
    """The tiny world imported and selected; a blue 64x48 prompt written to ``tmp_path`` (its path)."""
    assert import_world(window, tiny_pack)
    window.worlds.setCurrentRow([r for r in range(window.worlds.count())
                                 if window.worlds.item(r).text() == "tiny (yours)"][0])
    image = tmp_path / "prompt.png"
    Image.new("RGB", (64, 48), (20, 120, 200)).save(image)
    return image


def test_play_runs_the_player_as_a_separate_process(launcher, tiny_pack, tmp_path):
    window, app = launcher
    image = tiny_world_and_a_blue_prompt(window, tiny_pack, tmp_path)
    choose(window, image)
    window.guidance.setValue(1.5)
    assert "--dream-idle" not in window.play_arguments()
    window.dream_idle.setChecked(True)
    assert "--dream-idle" in window.play_arguments()
    window.play(["--frames", "5", "--agent", "random", "--record", str(tmp_path / "clips" / "run.mp4")])
    assert not window.play_button.isEnabled()                 # the UI stays responsive while it runs
    assert window.process.waitForFinished(120_000)
    app.processEvents()
    assert window.process.exitCode() == 0, window.log.toPlainText()
    assert window.play_button.isEnabled() and "closed" in window.status.text()
    assert (tmp_path / "clips" / "run.mp4").stat().st_size > 0
    saved = json.loads((tmp_path / "config" / "settings.json").read_text())
    assert saved["guidance_scale"] == 1.5 and saved["recent_images"][0] == str(image) and saved["dream_idle"]


def test_the_players_python_warnings_stay_out_of_the_log_and_its_errors_stay_in(launcher, tmp_path):
    """pygame warns (a RuntimeWarning) when the player toggles fullscreen: a note for programmers, not for the
    log an artist reads. An error's traceback stays whole; a line may reach the launcher in two pieces."""
    window, app = launcher
    settle(app, window)                                        # the first picture's message comes first
    player = tmp_path / "player.py"
    player.write_text(
        "import sys, time, warnings\n"
        "print('dreamwalk: opening the world', flush=True)\n"
        "warnings.warn('Could not toggle fullscreen', RuntimeWarning)\n"
        "sys.stderr.write('display.py:81: UserWarning: half of a warn'); sys.stderr.flush(); time.sleep(0.3)\n"
        "sys.stderr.write('ing\\n  pygame.display.set_mode(size)\\n'); sys.stderr.flush()\n"
        "print('dreamwalk: saved clip /tmp/walk.mp4', flush=True)\n"
        "raise ValueError('the graph cannot run')\n")
    window.start_player([str(player)])
    assert window.process.waitForFinished(30_000)
    app.processEvents()
    assert window.log.toPlainText().splitlines() == [
        "dreamwalk: opening the world", "dreamwalk: saved clip /tmp/walk.mp4",
        "Traceback (most recent call last):", f'  File "{player}", line 7, in <module>',
        "    raise ValueError('the graph cannot run')", "ValueError: the graph cannot run"]
    assert window.saved == [Path("/tmp/walk.mp4")] and "stopped with an error (exit 1)" in window.status.text()


@pytest.mark.parametrize("kind, message", [
    ("text", "not an image"), ("truncated", "damaged or truncated"), ("huge", "too large"), ("missing", "no image at"),
])
def test_bad_prompt_images_are_a_message_in_the_launcher(launcher, tmp_path, kind, message):
    from PIL import Image

    window, _ = launcher
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 48), (9, 9, 9)).save(good)
    choose(window, good)
    path = tmp_path / f"{kind}.png"
    if kind == "text":
        path.write_text("a shopping list")
    elif kind == "truncated":
        buffer = io.BytesIO()
        Image.new("RGB", (300, 200), (1, 2, 3)).save(buffer, format="PNG")
        path.write_bytes(buffer.getvalue()[:200])
    elif kind == "huge":
        png_header(path, 20000, 20000)
    choose(window, path)
    assert message in window.status.text()
    assert window.prompt == str(good)                          # the last good choice stays


def test_a_panorama_is_said_to_be_one_and_previewed_as_its_first_view(launcher):
    import numpy as np

    window, _ = launcher
    panorama = ROOT / "assets" / "prompts" / "doom-map01-panorama.jpg"
    choose(window, panorama)
    assert window.prompt == str(panorama)
    assert window.status.text().endswith("; a panorama, all the way round")
    preview = window.preview.pixmap().toImage()
    assert preview.width() * 3 == preview.height() * 4            # the first view, not a strip
    span = window.reading_controls["panorama_span"]
    assert span.isEnabled() and span.value() == 0 and span.text() == "as its shape says"
    wait_until(lambda: not window.reading_pending)
    whole_turn = window.reading_depth.copy()
    span.setValue(180.0)                       # half a turn: the first view a quarter of it, nearer, larger
    wait_until(lambda: not window.reading_pending)
    assert not np.array_equal(window.reading_depth, whole_turn)
    arguments = window.play_arguments()
    assert arguments[arguments.index("--span") + 1] == "180"
    from app.player import build_parser, picture_settings

    assert picture_settings(build_parser().parse_args(arguments[1:])).panorama_span == 180.0
    choose(window, ROOT / "assets" / "prompts" / "doom-map01.png")
    assert "panorama" not in window.status.text() and not span.isEnabled()


@pytest.mark.parametrize("kind", ["cmyk", "16bit", "rgba", "gif"])
def test_unusual_prompt_images_open_in_the_launcher(launcher, tmp_path, kind):
    """(Pictures under 32 pixels on a side, such as conftest's 1x1 "tiny" and 40x30 "gif", are refused:
    tests/test_images.py.)"""
    from PIL import Image

    from conftest import prompt_image

    window, _ = launcher
    if kind == "gif":
        path = tmp_path / "animated.gif"
        frames = [Image.new("P", (64, 48), i * 40) for i in range(3)]
        frames[0].save(path, save_all=True, append_images=frames[1:])
    else:
        path = prompt_image(tmp_path, kind)
    choose(window, path)
    assert window.prompt == str(path) and not window.preview.pixmap().isNull()


def test_choosing_a_world_reads_its_manifest_without_unpacking_it(launcher, tiny_pack, monkeypatch):
    """The launcher shows a pack from its manifest alone, on the UI thread, without extracting or hashing the
    graphs (the player verifies them when it opens the world); an unreadable pack is a message."""
    import engine.pack.format as pack_format

    window, _ = launcher

    def no_extraction(*args, **kwargs):
        raise AssertionError("the launcher extracted a pack to show it")

    monkeypatch.setattr(pack_format, "_extract", no_extraction)
    monkeypatch.setattr(pack_format, "file_sha256", no_extraction)
    window.choose_world(tiny_pack)
    assert window.world == tiny_pack and "<b>tiny</b>" in window.details.text()
    broken = tiny_pack.parent / "not-a-pack.dwpack"
    broken.write_bytes(b"PK\x03\x04 not really")
    window.choose_world(broken)
    assert window.world is None and window.details.text().startswith("This world cannot be used: not-a-pack.dwpack")


# --- the user's worlds: imported (asked before one is replaced), chosen, renamed, removed, dropped ----------
def answer_next_dialog(answer):
    """Answer the next dialog the launcher opens as a person would: click its button named ``answer``, or (a
    question asking for text) type ``answer`` and press OK. Call it before the action that opens the dialog;
    returns the list that gets the dialog's text and informative text once it was answered."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QPushButton

    asked, tries = [], [0]

    def respond():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            tries[0] += 1
            if tries[0] < 500:
                QTimer.singleShot(10, respond)
            return
        if isinstance(dialog, QInputDialog):
            asked.append((dialog.labelText(), dialog.textValue()))
            dialog.setTextValue(answer)
            dialog.accept()
        else:
            assert isinstance(dialog, QMessageBox)
            asked.append((dialog.text(), dialog.informativeText()))
            [b for b in dialog.findChildren(QPushButton) if b.text().replace("&", "") == answer][0].click()

    QTimer.singleShot(0, respond)
    return asked


def world_names(window):
    return [window.worlds.item(row).text() for row in range(window.worlds.count())]


def test_an_imported_world_is_chosen_and_its_line_stays_in_the_log(launcher, tiny_pack, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from app.launcher import user_worlds

    window, app = launcher
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(tiny_pack), ""))
    [b for b in window.findChildren(QPushButton) if b.text() == "Import world..."][0].click()
    assert window.imports_pending == 1
    settle(app, window)                                        # and the picture re-cropped to the new world
    assert window.worlds.currentItem().text() == "tiny (yours)" and window.world == user_worlds() / "tiny.dwpack"
    assert "32x24" in window.details.text()
    assert window.log.toPlainText().splitlines()[-1] == "imported tiny.dwpack"
    window.choose_prompt(str(ROOT / "assets" / "prompts" / "doom-map02.png"))
    settle(app, window)
    assert window.status.text().startswith("prompt: doom-map02.png")
    assert "imported tiny.dwpack" in window.log.toPlainText()    # the message line moved on; the log keeps it


def test_importing_a_world_of_a_name_there_already_asks_first(launcher, tiny_pack, tmp_path):
    import os

    from app.launcher import user_worlds
    from app.settings import readable_folder

    window, app = launcher
    assert import_world(window, tiny_pack)
    first = user_worlds() / "tiny.dwpack"
    inode = os.stat(first).st_ino
    other = tmp_path / "downloads" / "tiny.dwpack"
    other.parent.mkdir()
    shutil.copyfile(tiny_pack, other)
    window.worlds.setCurrentRow(0)                             # the bundled world, for now
    asked = answer_next_dialog("Cancel")
    window.import_world_file(other)
    assert asked == [("You have a world named tiny already.", f"Replace it with the one from "
                      f"{readable_folder(other.parent)}, or keep both (the new one as tiny-2)?")]
    assert not window.imports_pending and window.status.text() == "tiny.dwpack was not imported"
    assert sorted(p.name for p in user_worlds().iterdir()) == ["tiny.dwpack"] and os.stat(first).st_ino == inode
    answer_next_dialog("Keep both")
    assert import_world(window, other)
    assert sorted(p.name for p in user_worlds().iterdir()) == ["tiny-2.dwpack", "tiny.dwpack"]
    assert os.stat(first).st_ino == inode                      # the first one is untouched
    assert window.world == user_worlds() / "tiny-2.dwpack" and window.worlds.currentItem().text() == "tiny-2 (yours)"
    assert window.log.toPlainText().splitlines()[-1] == "imported tiny.dwpack as tiny-2"
    asked = answer_next_dialog("Replace")
    assert import_world(window, other)
    assert "(the new one as tiny-3)" in asked[0][1]
    assert sorted(p.name for p in user_worlds().iterdir()) == ["tiny-2.dwpack", "tiny.dwpack"]
    assert os.stat(first).st_ino != inode                      # replaced whole: a new file moved over it
    assert window.world == first and window.worlds.currentItem().text() == "tiny (yours)"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")      # QContextMenuEvent's constructor, the one there is
def test_the_users_worlds_are_renamed_and_removed_from_the_lists_menu(launcher, tiny_pack, monkeypatch):
    import errno

    from PySide6.QtCore import QTimer, Qt
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    from app.launcher import user_worlds
    from app.settings import readable_folder

    window, app = launcher
    assert import_world(window, tiny_pack)
    settle(app, window)
    tiny = user_worlds() / "tiny.dwpack"
    shown = []

    def close_menu():
        menu = QApplication.activePopupWidget()
        shown.append([(action.text(), action.isEnabled()) for action in menu.actions() if action.text()])
        menu.close()

    QTimer.singleShot(100, close_menu)                         # a right click on the bundled world opens its menu
    QApplication.sendEvent(window.worlds.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, window.worlds.visualItemRect(window.worlds.item(0)).center()))
    assert shown == [[("Rename...", False), ("Remove...", False),
                      ("Bundled with Dreamwalk: it stays as it is", False)]]
    rename, remove = window.world_menu(tiny).actions()
    assert rename.isEnabled() and remove.isEnabled()

    asked = answer_next_dialog("cave / hall")
    rename.trigger()
    assert asked == [("New name for tiny:", "tiny")]
    assert window.status.text() == "tiny was not renamed: a world's name cannot hold any of / \\ : * ? \" < > |"
    answer_next_dialog("painted cave")
    rename.trigger()
    cave = user_worlds() / "painted cave.dwpack"
    assert not tiny.exists() and cave.is_file() and window.status.text() == "renamed tiny to painted cave"
    assert window.world == cave and window.worlds.currentItem().text() == "painted cave (yours)"
    assert world_names(window) == ["doom (bundled)", "painted cave (yours)"]

    def refuse(*args):
        raise PermissionError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as refusing:                    # a file another program holds, a read-only folder
        refusing.setattr(Path, "rename", refuse)
        refusing.setattr(Path, "unlink", refuse)
        answer_next_dialog("hall")
        window.world_menu(cave).actions()[0].trigger()
        assert window.status.text().startswith("painted cave was not renamed: Permission denied (")
        answer_next_dialog("Remove")
        window.world_menu(cave).actions()[1].trigger()
        assert window.status.text().startswith("painted cave was not removed: Permission denied (") and cave.is_file()

    asked = answer_next_dialog("Cancel")
    window.world_menu(cave).actions()[1].trigger()
    assert asked == [("Remove the world painted cave?",
                      f"Its file painted cave.dwpack is deleted from {readable_folder(user_worlds())}.")]
    assert cave.is_file()
    answer_next_dialog("Remove")
    window.world_menu(cave).actions()[1].trigger()
    assert not cave.exists() and window.status.text() == "removed painted cave"
    assert world_names(window) == ["doom (bundled)"] and window.world == Path(window.worlds.item(0).data(Qt.UserRole))
    window.remove_world(window.world)                          # even asked directly, the bundled world stays
    assert window.world.is_file() and "cannot be removed" in window.status.text()


def drop_files(widget, *paths):
    """Drag ``paths`` from a file manager onto ``widget`` and drop them there, as the window system does."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    where = QPointF(widget.rect().center())
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                              Qt.KeyboardModifier.NoModifier))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")      # QDragEnterEvent's constructor, the one there is
def test_a_world_pack_dropped_anywhere_is_imported_never_opened_as_a_picture(launcher, tiny_pack, tmp_path):
    from app.launcher import user_worlds

    window, app = launcher
    settle(app, window)
    prompt = window.prompt
    drop_files(window.worlds.viewport(), tiny_pack)
    assert window.imports_pending == 1 and window.loading is None
    settle(app, window)
    assert window.world == user_worlds() / "tiny.dwpack" and window.prompt == prompt
    assert "imported tiny.dwpack" in window.log.toPlainText()
    other = tmp_path / "cave.dwpack"
    shutil.copyfile(tiny_pack, other)
    picture = tmp_path / "cave.png"
    Image.new("RGB", (64, 48), (90, 60, 30)).save(picture)
    drop_files(window.gallery.viewport(), other, picture)     # on the pictures: the pack is a world all the same
    settle(app, window)
    assert window.world == user_worlds() / "cave.dwpack" and window.prompt == str(picture)
    assert world_names(window) == ["doom (bundled)", "cave (yours)", "tiny (yours)"]


# --- the world's reading of the picture, scenes, and the reading's player options ---------------------------
def moving_frame(window, index):
    return window.reading_frames[index].toImage()


def test_the_worlds_reading_shows_depth_and_follows_its_controls(launcher, memory_pack):
    from app.player import build_parser, picture_settings

    from PySide6.QtWidgets import QLabel

    from engine.runtime.picture_settings import SETTING_RANGES, PictureSettings

    window, _ = launcher
    window.choose_world(memory_pack)
    choose(window, ROOT / "assets" / "prompts" / "doom-map01.png")
    wait_until(lambda: not window.reading_pending)
    assert window.reading_pages.currentIndex() == 0 and not window.depth_view.pixmap().isNull()
    assert len(window.reading_frames) == 24 and window.reading_timer.isActive()
    assert all(control.isEnabled() for name, control in window.reading_controls.items() if name != "panorama_span")
    assert not window.reading_controls["panorama_span"].isEnabled()             # not a panorama
    assert window.reading_switches["sky_far"].isEnabled() and window.reading_switches["sky_far"].isChecked()
    assert window.reading_arguments() == [] and "--depth-scale" not in window.play_arguments()
    # An artist's words: Depth is the relief, Size the old depth scale; ranges and defaults are the runtime's.
    labels = {label.text() for label in window.findChildren(QLabel)}
    assert {"Depth", "Size", "Eye height", "Field of view", "Sky far", "bright: near · dark: far"} <= labels
    assert window.reading_switches["sky_far"].toolTip() == "The sky, sun and moon read far"
    for name, control in window.reading_controls.items():
        assert (control.minimum(), control.maximum()) == SETTING_RANGES[name]
        assert control.value() == getattr(PictureSettings(), name)
    assert window.reading_controls["relief"].value() == 1.0 and window.reading_controls["relief"].maximum() == 3.0
    shown = window.reading_frame
    wait_until(lambda: window.reading_frame != shown, seconds=5)           # the loop plays
    sway = moving_frame(window, 6)
    window.reading_controls["depth_scale"].setValue(2.0)
    assert window.reading_pending
    wait_until(lambda: not window.reading_pending)
    assert moving_frame(window, 6) != sway
    deeper = moving_frame(window, 6)
    window.reading_controls["field_of_view"].setValue(120.0)
    wait_until(lambda: not window.reading_pending)
    assert moving_frame(window, 6) != deeper
    arguments = window.play_arguments()
    at = arguments.index("--depth-scale")
    assert arguments[at:at + 2] == ["--depth-scale", "2"] and "--eye-height" not in arguments
    assert arguments[arguments.index("--fov") + 1] == "120"
    settings = picture_settings(build_parser().parse_args(arguments[1:]))       # what the player reads of them
    assert (settings.depth_scale, settings.eye_height, settings.field_of_view) == (2.0, 41.0, 120.0)


def sky_picture(path):
    """A picture with a smooth blue sky and a sun over its upper third, mottled brown ground under it."""
    import numpy as np

    picture = np.zeros((240, 320, 3), np.uint8)
    picture[:80] = (70, 120, 220)
    rows, columns = np.mgrid[:80, :320]
    picture[:80][(rows - 40) ** 2 + (columns - 240) ** 2 < 12 ** 2] = (255, 240, 180)
    picture[80:] = np.clip(np.array([120, 80, 40]) + np.random.default_rng(0).integers(-40, 40, (160, 320, 1)),
                           0, 255)
    Image.fromarray(picture).save(path)
    return path


def pixels(image):
    """A QImage's pixels: (h, w, 3) int."""
    import numpy as np
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).astype(int)


def depth_shown(window):
    return pixels(window.depth_view.pixmap().toImage())


def frames_shown(window):
    import numpy as np

    return np.stack([pixels(moving_frame(window, index)) for index in range(0, len(window.reading_frames), 4)])


def test_relief_and_sky_far_change_the_preview_and_the_players_reading(launcher, memory_pack, tmp_path):
    from app.player import build_parser, picture_settings
    from engine.runtime.picture_settings import PictureSettings

    window, _ = launcher
    window.choose_world(memory_pack)
    choose(window, sky_picture(tmp_path / "sky.png"))
    wait_until(lambda: not window.reading_pending)
    shown = {"as read": (depth_shown(window), frames_shown(window))}
    window.reading_controls["relief"].setValue(2.0)
    wait_until(lambda: not window.reading_pending)
    shown["deeper"] = depth_shown(window), frames_shown(window)
    window.reading_switches["sky_far"].setChecked(False)
    assert window.reading_pending
    wait_until(lambda: not window.reading_pending)
    shown["sky near"] = depth_shown(window), frames_shown(window)
    for before, after in (("as read", "deeper"), ("deeper", "sky near")):
        assert abs(shown[after][0] - shown[before][0]).mean() > 2, after                   # the depth map
        assert abs(shown[after][1] - shown[before][1]).mean() > 0.2, after                 # the moving preview
    sky = shown["deeper"][0][: shown["deeper"][0].shape[0] // 5]
    assert sky.max() < 30                                   # the sky far: the darkest end of the ramp
    assert abs(shown["sky near"][0][: sky.shape[0]] - sky).mean() > 20
    assert window.reading_arguments() == ["--relief", "2", "--sky-near"]
    arguments = window.play_arguments()
    assert picture_settings(build_parser().parse_args(arguments[1:])) == PictureSettings(relief=2.0, sky_far=False)
    window.reading_switches["sky_far"].setChecked(True)
    window.reading_controls["eye_height"].setValue(120.0)
    assert window.reading_arguments() == ["--relief", "2", "--eye-height", "120"]


def drag(view, shares, button):
    """A drag on the depth map through points given as shares of the picture's width and height."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    pixmap, area = view.pixmap(), view.contentsRect()
    left, top = area.x() + (area.width() - pixmap.width()) // 2, area.y() + (area.height() - pixmap.height()) // 2
    points = [QPoint(left + round(x * pixmap.width()), top + round(y * pixmap.height())) for x, y in shares]
    QTest.mousePress(view, button, Qt.KeyboardModifier.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(view, point)
    QTest.mouseRelease(view, button, Qt.KeyboardModifier.NoModifier, points[-1])


def test_the_depth_brush_paints_and_play_carries_its_work_in_a_scene(launcher, memory_pack, tmp_path,
                                                                    monkeypatch):
    """Left-drag nearer, right-drag farther (or the other way with Farther chosen), Undo and Clear; Play with
    painted depth writes a scene in the config folder whose depth is the painted reading, and starts the
    player from it; a world started from that scene plays that depth."""
    import numpy as np
    from PySide6.QtCore import Qt

    from engine.pack import read_pack_manifest
    from engine.runtime import WorldSession
    from engine.runtime.depth_brush import FARTHER, NEARER
    from engine.runtime.images import load_prompt
    from engine.runtime.memory import surface_size
    from engine.runtime.picture_settings import PictureSettings, read_picture_depth, settings_dict
    from engine.runtime.preview import PicturePreview
    from engine.runtime.scene import open_scene

    window, _ = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    window.choose_world(memory_pack)
    picture = ROOT / "assets" / "prompts" / "doom-map01.png"
    choose(window, picture)
    wait_until(lambda: not window.reading_pending)
    assert not window.brush_undo.isEnabled() and not window.brush_clear.isEnabled()
    read, before = window.reading_depth.copy(), depth_shown(window)
    height, width = read.shape
    drag(window.depth_view, [(0.3, 0.5), (0.5, 0.5), (0.7, 0.5)], Qt.MouseButton.LeftButton)
    edit = window.depth_edits[(str(picture), str(memory_pack))]
    assert edit.scale[height // 2, width // 2] == pytest.approx(NEARER, abs=0.02)
    assert edit.scale[0, 0] == 1.0 and edit.scale[-1, -1] == 1.0
    assert abs(depth_shown(window) - before).mean() > 1                # shown at once
    assert window.reading_pending and window.brush_undo.isEnabled() and window.brush_clear.isEnabled()
    wait_until(lambda: not window.reading_pending)
    drag(window.depth_view, [(0.5, 0.2)], Qt.MouseButton.RightButton)
    assert edit.scale[round(0.2 * height - 0.5), width // 2] == pytest.approx(FARTHER, abs=0.05)
    window.brush_farther.setChecked(True)                            # a left-drag now pushes farther
    window.brush_size.setValue(5)
    drag(window.depth_view, [(0.1, 0.9)], Qt.MouseButton.LeftButton)
    assert edit.scale[round(0.9 * height - 0.5), round(0.1 * width - 0.5)] > 1.1
    assert edit.scale[round(0.9 * height - 0.5), width // 2] == 1.0   # a small brush
    window.brush_undo.click()
    window.brush_undo.click()
    assert edit.scale[round(0.2 * height - 0.5), width // 2] == 1.0 and edit.scale[height // 2, width // 2] < 0.9
    painted = edit.scale.copy()
    window.brush_clear.click()
    assert not edit.edited and not window.brush_clear.isEnabled()
    window.brush_undo.click()
    assert np.array_equal(edit.scale, painted)
    wait_until(lambda: not window.reading_pending)
    window.reading_controls["relief"].setValue(1.5)
    wait_until(lambda: not window.reading_pending)
    assert np.array_equal(edit.scale, painted)                        # the work stays with the picture
    window.play(["--frames", "5"])
    assert not window.play_button.isEnabled() and started == []       # the scene is written in the worker first
    wait_until(lambda: started)
    arguments = started[0]
    scene_path = Path(arguments[arguments.index("--scene") + 1])
    assert scene_path == tmp_path / "config" / "painted" / "doom-map01.dwscene" and scene_path.exists()
    assert "--play" not in arguments and "--relief" not in arguments and arguments[-2:] == ["--frames", "5"]
    assert arguments[arguments.index("--world") + 1] == str(memory_pack) and window.play_button.isEnabled()
    scene = open_scene(scene_path)
    settings = PictureSettings(relief=1.5)
    assert scene.settings == settings_dict(settings) and scene.source == "doom-map01.png"
    preview = PicturePreview(memory_pack)
    assert scene.world == read_pack_manifest(memory_pack)["name"] == "tiny with a memory"
    drawn = load_prompt(picture, surface_size(window.frame_size()))               # as play draws the picture
    assert np.array_equal(scene.picture, drawn)
    depth = read_picture_depth(preview.depth(drawn), drawn, settings, preview.far)
    assert np.allclose(scene.depth, np.minimum(depth * painted, np.maximum(depth, preview.far)), rtol=1e-6)
    assert scene.depth[height // 2, width // 2] < 0.9 * depth[height // 2, width // 2]
    with WorldSession.open(memory_pack, device="cpu") as world:                     # what the player does with it
        world.start_scene(scene)
        assert np.array_equal(world.scene().depth, scene.depth)
    window.brush_clear.click()
    started.clear()
    window.play()
    assert started and "--play" in started[0]                        # nothing painted: the picture itself


def test_painted_depth_on_a_panorama_keeps_the_panorama_whole(launcher, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    from engine.runtime.scene import open_scene

    window, _ = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    panorama = ROOT / "assets" / "prompts" / "doom-map01-panorama.jpg"
    choose(window, panorama)
    wait_until(lambda: not window.reading_pending)
    assert window.reading_depth.shape == (60, 80)                      # the first view's reading
    drag(window.depth_view, [(0.4, 0.5), (0.6, 0.5)], Qt.MouseButton.LeftButton)
    wait_until(lambda: not window.reading_pending)
    window.play(["--frames", "5"])
    wait_until(lambda: started)
    scene = open_scene(Path(started[0][started[0].index("--scene") + 1]))
    assert scene.picture.shape[1] > 4 * scene.picture.shape[0]       # the whole turn, not its first view
    assert scene.depth.shape == (60, 80) and scene.source == panorama.name


def test_a_world_without_depth_reads_pictures_without_it(launcher, memory_pack, tiny_pack):
    from app.launcher import NO_DEPTH

    window, _ = launcher
    window.choose_world(memory_pack)
    window.reading_controls["depth_scale"].setValue(3.0)
    window.choose_world(tiny_pack)
    assert window.reading_pages.currentIndex() == 1
    assert window.reading_line.text() == NO_DEPTH == "This world reads pictures without depth"
    assert not any(control.isEnabled() for control in window.reading_controls.values())
    assert window.reading_arguments() == [] and "--depth-scale" not in window.play_arguments()
    assert not window.reading_timer.isActive()


def test_open_scene_checks_the_scene_before_starting_the_player(launcher, tiny_pack, tmp_path, monkeypatch):
    """A damaged scene is its one line in the message area and starts nothing; a good one starts the player
    with --scene and the chosen world."""
    import numpy as np

    from engine.runtime import WorldSession
    from engine.runtime.scene import save_scene

    window, _ = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    window.choose_world(tiny_pack)
    damaged = tmp_path / "room.dwscene"
    damaged.write_bytes(b"PK\x03\x04 cut short")
    window.open_scene_file(damaged)
    wait_until(lambda: window.checking_scene is None)
    assert window.status.text() == "room.dwscene is damaged (cut short or corrupt: File is not a zip file)"
    assert started == [] and window.process is None
    with WorldSession.open(tiny_pack, device="cpu") as world:
        world.reset(np.full((48, 64, 3), 90, np.uint8))
        save_scene(tmp_path / "kept.dwscene", world.scene())
    window.open_scene_file(tmp_path / "kept.dwscene")
    wait_until(lambda: window.checking_scene is None)
    arguments = started[0]
    assert arguments[arguments.index("--scene") + 1] == str(tmp_path / "kept.dwscene")
    assert arguments[arguments.index("--world") + 1] == str(tiny_pack) and "--play" not in arguments


def test_the_player_refuses_a_reading_out_of_range(capsys):
    from app.player import build_parser, main

    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["--play", "x.png", "--fov", "200"])
    assert exited.value.code == 2
    assert "argument --fov: a number from 30 to 150, not 200" in capsys.readouterr().err
    for option, value in (("--depth-scale", "0"), ("--eye-height", "600"), ("--depth-scale", "deep"),
                          ("--relief", "4"), ("--relief", "-1")):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--play", "x.png", option, value])
        assert f"argument {option}: a number from" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--scene", "x.dwscene", "--fov", "100"])             # a scene keeps its own reading
    assert "a scene keeps its own reading" in capsys.readouterr().err


# --- clicks in the gallery, the recordings and the key table (QTest) -----------------------------------------
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


# --- the highlighted thumbnail is what Play starts, and a refused picture leaves it --------------------------
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


def test_a_transparent_picture_shows_on_the_worlds_background_in_its_thumbnail(launcher, tiny_pack, tmp_path):
    """The see-through parts of a picture are the same colour in its thumbnail, in the picture the world starts
    from and in the world's first frame."""
    from PySide6.QtGui import QColor

    from engine.runtime.images import BACKGROUND, load_prompt

    window, app = launcher
    window.choose_world(tiny_pack)
    picture = tmp_path / "cut-out.png"
    Image.new("RGBA", (64, 48), (250, 40, 40, 0)).save(picture)      # a painted figure's empty surroundings
    choose(window, picture)
    item = window.gallery.item(window.thumbnail_rows(str(picture))[0])
    wait_until(lambda: not item.icon().isNull(), seconds=10)
    thumbnail = item.icon().pixmap(window.gallery.iconSize()).toImage()
    preview = window.preview.pixmap().toImage()
    frame = load_prompt(picture, window.frame_size())
    assert tuple(frame[10, 10]) == BACKGROUND
    assert QColor(thumbnail.pixel(20, 20)).getRgb()[:3] == BACKGROUND == QColor(preview.pixel(20, 20)).getRgb()[:3]
    (tmp_path / "notes.png").write_text("a shopping list")          # no thumbnail, and none awaited
    window.settings.recent_images = [str(tmp_path / "notes.png")]
    window.refresh_prompts()
    wait_until(lambda: not window.thumbnails_pending, seconds=10)
    refused = window.gallery.item(window.thumbnail_rows(str(tmp_path / "notes.png"))[0])
    assert refused.text() == "notes" and refused.icon().isNull()


def test_open_image_starts_in_the_pictures_folder_then_where_the_last_picture_was(launcher, tmp_path,
                                                                                    monkeypatch):
    import json

    from PySide6.QtWidgets import QFileDialog

    window, app = launcher
    home = tmp_path / "home"
    (home / "Pictures").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    art = tmp_path / "art"
    art.mkdir()
    Image.new("RGB", (64, 48), (40, 90, 200)).save(art / "sea.png")
    asked = []

    def dialog(parent, caption, folder, filter):
        asked.append(folder)
        return str(art / "sea.png"), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    window.open_image()
    settle(app, window)
    assert window.prompt == str(art / "sea.png")
    window.open_image()
    settle(app, window)
    assert asked == [str(home / "Pictures"), str(art)]
    window.close()
    assert json.loads((tmp_path / "config" / "settings.json").read_text())["image_folder"] == str(art)


# --- the player's recordings ---------------------------------------------------------------------------------
def test_the_launcher_says_where_the_player_saved(launcher, tiny_pack, tmp_path):
    from app.settings import readable_folder

    window, app = launcher
    image = tiny_world_and_a_blue_prompt(window, tiny_pack, tmp_path)
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


def test_kept_scenes_are_listed_with_the_recordings_and_go_on_from_there(launcher, tiny_pack, tmp_path,
                                                                        monkeypatch):
    import os

    import numpy as np

    from engine.runtime import WorldSession
    from engine.runtime.scene import save_scene

    window, app = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    window.choose_world(tiny_pack)
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "walk.mp4").write_bytes(b"\0" * 2_400_000)
    (folder / "dreamwalk-20250101-120000-1234.png").write_bytes(b"\0" * 700)
    with WorldSession.open(tiny_pack, device="cpu") as world:
        world.reset(np.full((48, 64, 3), 90, np.uint8))
        save_scene(folder / "cave.dwscene", world.scene())
    for age, name in enumerate(["cave.dwscene", "dreamwalk-20250101-120000-1234.png", "walk.mp4"]):
        os.utime(folder / name, (1e9 - age, 1e9 - age))         # the newest first
    window.refresh_recordings()
    scene_size = round((folder / "cave.dwscene").stat().st_size / 1000)
    assert [window.recordings.item(row).text() for row in range(window.recordings.count())] == [
        f"cave.dwscene  ({scene_size} KB)", "dreamwalk-20250101-120000-1234.png  (1 KB)", "walk.mp4  (2.4 MB)"]
    assert "go on from this scene" in window.recordings.item(0).toolTip()
    click(window.recordings, window.recordings.visualItemRect(window.recordings.item(0)), double=True)
    wait_until(lambda: window.checking_scene is None)
    arguments = started[0]
    assert arguments[arguments.index("--scene") + 1] == str(folder / "cave.dwscene")
    assert arguments[arguments.index("--world") + 1] == str(tiny_pack)


def test_sizes_read_in_kilobytes_under_a_tenth_of_a_megabyte():
    from app.launcher.player import readable_size

    assert [readable_size(size) for size in (0, 1, 700, 12_345, 99_999, 100_000, 2_449_999, 2_450_001)] == [
        "0 KB", "1 KB", "1 KB", "12 KB", "100 KB", "0.1 MB", "2.4 MB", "2.5 MB"]


def test_names_in_the_lists_are_whole_or_lose_their_middle(launcher, tiny_pack, tmp_path):
    """The bundled pictures' names fit their cells whole; a name too long for its list keeps its start and end
    (a recording's size, a world's origin) and is whole in its tooltip."""
    from PySide6.QtCore import Qt

    window, app = launcher
    settle(app, window)
    cell = window.gallery.gridSize().width()
    names = {window.gallery.item(row).text(): window.gallery.item(row) for row in range(window.gallery.count())}
    assert "other-painted-castle" in names and "other-photo-courtyard" in names
    for name, item in names.items():                           # each shown whole, within its cell
        assert window.gallery.fontMetrics().horizontalAdvance(name) <= window.gallery.visualItemRect(item).width()
        assert window.gallery.visualItemRect(item).width() <= cell
    assert names["other-painted-castle"].toolTip().startswith("other-painted-castle.png: ")
    folder = tmp_path / "clips"
    folder.mkdir()
    long_name = "dreamwalk-" + "very-long-walk-through-the-painted-castle-" * 3 + "1234.mp4"
    (folder / long_name).write_bytes(b"\0" * 700)
    window.refresh_recordings()
    recordings, item = window.recordings, window.recordings.item(0)
    assert item.text() == f"{long_name}  (1 KB)" and item.toolTip().startswith(str(folder / long_name))
    # No scrolling sideways: an item is drawn as wide as the list, its text elided to fit as the view elides it.
    for view in (recordings, window.worlds):
        assert view.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
    shown = recordings.fontMetrics().elidedText(item.text(), recordings.textElideMode(), recordings.viewport().width())
    assert shown.startswith("dreamwalk-very") and shown.endswith("1234.mp4  (1 KB)") and "…" in shown


# --- settings: no sampler steps, the devices this system has, the keys ---------------------------------------
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


def test_display_size_and_smooth_scaling_reach_the_player(launcher, memory_pack, tiny_pack, prompt):
    """The display size for worlds with a memory (Auto: the player's own choice) and smooth scaling: saved in
    the settings and passed on the command line, from a picture and from a scene."""
    from app.launcher import Launcher
    from app.player import DISPLAY_SIZES, build_parser
    from app.settings import load_settings

    window, _ = launcher
    window.choose_world(memory_pack)
    choose(window, prompt)
    sizes = [window.display_size.itemText(row) for row in range(window.display_size.count())]
    assert sizes == ["Auto", "640x480", "320x240", "160x120"] and window.display_size.currentText() == "Auto"
    assert "worlds with a memory" in window.display_size.toolTip()
    arguments = window.play_arguments()
    assert "--size" not in arguments and "--smooth" not in arguments
    for text, size in zip(sizes[1:], DISPLAY_SIZES):
        window.display_size.setCurrentText(text)
        arguments = window.play_arguments()
        assert arguments[arguments.index("--size") + 1] == text
        assert build_parser().parse_args(arguments[1:]).size == size
    window.smooth.setChecked(True)
    parsed = build_parser().parse_args(window.play_arguments()[1:])
    assert parsed.smooth and parsed.size == (160, 120)
    parsed = build_parser().parse_args(window.scene_arguments("kept.dwscene")[1:])
    assert parsed.scene == "kept.dwscene" and parsed.smooth and parsed.size == (160, 120)
    window.choose_world(tiny_pack)                        # a world without a memory shows its own frame size
    arguments = window.play_arguments()
    assert "--size" not in arguments and "--smooth" in arguments
    window.close()
    saved = load_settings()[0]
    assert saved.display_size == "160x120" and saved.smooth
    reopened = Launcher()
    try:
        assert reopened.display_size.currentText() == "160x120" and reopened.smooth.isChecked()
    finally:
        reopened.close()


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
