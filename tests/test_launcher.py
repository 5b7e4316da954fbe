"""The Qt launcher with real widgets (offscreen), a real world pack and a real player process."""

import json

import pytest


@pytest.fixture
def launcher(tmp_path, monkeypatch):
    monkeypatch.setenv("DREAMWALK_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("DREAMWALK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    from PySide6.QtWidgets import QApplication

    from app.launcher import Launcher

    app = QApplication.instance() or QApplication([])
    window = Launcher()
    window.settings.recordings_folder = str(tmp_path / "clips")
    yield window, app
    window.close()


def test_import_choose_and_preview(launcher, tiny_pack, tmp_path):
    from PIL import Image

    window, _ = launcher
    broken = tmp_path / "broken.dwpack"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert not window.import_world_file(broken) and "was not imported" in window.status.text()
    assert window.import_world_file(tiny_pack)
    assert window.worlds.count() >= 1 and window.world is not None
    assert "tiny" in window.details.text() and "32x24" in window.details.text()
    image = tmp_path / "concept.png"
    Image.new("RGB", (800, 300), (200, 30, 30)).save(image)
    window.choose_prompt(str(image))
    assert window.prompt == str(image)
    pixmap = window.preview.pixmap()
    assert not pixmap.isNull() and pixmap.width() / pixmap.height() == pytest.approx(32 / 24)
    (tmp_path / "notes.png").write_text("text")
    window.choose_prompt(str(tmp_path / "notes.png"))
    assert "not an image" in window.status.text() and window.prompt == str(image)


def test_play_runs_the_player_as_a_separate_process(launcher, tiny_pack, tmp_path):
    from PIL import Image

    window, app = launcher
    window.import_world_file(tiny_pack)
    image = tmp_path / "prompt.png"
    Image.new("RGB", (64, 48), (20, 120, 200)).save(image)
    window.choose_prompt(str(image))
    window.steps.setValue(2)
    window.play(["--frames", "5", "--agent", "random", "--record", str(tmp_path / "clips" / "run.mp4")])
    assert not window.play_button.isEnabled()                 # the UI stays responsive while it runs
    assert window.process.waitForFinished(120_000)
    app.processEvents()
    assert window.process.exitCode() == 0, window.log.toPlainText()
    assert window.play_button.isEnabled() and "closed" in window.status.text()
    assert (tmp_path / "clips" / "run.mp4").stat().st_size > 0
    saved = json.loads((tmp_path / "config" / "settings.json").read_text())
    assert saved["steps"] == 2 and saved["recent_images"][0] == str(image)
