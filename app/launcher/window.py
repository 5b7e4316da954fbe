"""The launcher's window: its panels side by side (gallery with the reading, worlds with the recordings,
settings with Play), the message line and the player's log, and the signals to the workers' threads."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMainWindow, QPlainTextEdit, QVBoxLayout, QWidget

from app.launcher.gallery import GalleryPanel
from app.launcher.paths import PROMPTS
from app.launcher.player import SCENE_SUFFIX, PlayerPanel
from app.launcher.reading import ReadingPanel
from app.launcher.settings import SettingsPanel
from app.launcher.world import WorldPanel
from app.settings import load_settings, save_settings
from engine.pack import PACK_SUFFIX


class Launcher(GalleryPanel, ReadingPanel, WorldPanel, SettingsPanel, PlayerPanel, QMainWindow):
    """Pick a prompt image and a world, adjust settings, press Play. Each panel's state and handlers live in its
    module; the window lays them out and owns the signals that carry work to the workers' threads."""

    load_prompt = Signal(int, str, object)        # to the PromptLoader's thread: request number, path, frame size
    check_scene = Signal(str)                     # to the SceneCheck (on the loader's thread): path
    make_thumbnail = Signal(str, object)          # to the ThumbnailMaker: path, thumbnail size
    compute_reading = Signal(int, str, str, object, object, object)   # to the ReadingWorker: request, world,
                                                                      # prompt, size, PictureSettings, DepthEdit
    keep_painted_scene = Signal(int, str, str, object, object, object, str)   # to the ReadingWorker: the same, and
                                                                              # the scene's path
    import_pack = Signal(str, str)                # to the WorldImporter: the pack, the file it is copied to

    def __init__(self, settings_file: Path | None = None) -> None:
        super().__init__()
        self.settings_file = settings_file
        self.settings, problem = load_settings(settings_file)
        self.init_gallery()
        self.init_reading()
        self.init_worlds()
        self.init_settings()
        self.init_player()
        self.setWindowTitle("Dreamwalk")
        self.setAcceptDrops(True)
        self.status = QLabel(problem or "Pick a prompt image and a world, then Play.")
        self.status.setWordWrap(True)
        self.build()
        self.start_prompt_loader()
        self.start_reading_worker()
        self.start_world_importer()
        self.refresh_prompts()
        if self.gallery.count():
            self.choose_prompt(self.gallery.item(0).data(Qt.UserRole))    # the most recent picture, or the first
        self.refresh_worlds()
        self.refresh_recordings()
        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste_image)
        self.probe_devices()

    def build(self) -> None:
        root = QWidget()
        columns = QHBoxLayout(root)
        columns.addWidget(self.build_prompts(), 3)
        columns.addWidget(self.build_worlds(), 2)
        columns.addWidget(self.build_settings(), 2)
        outer = QWidget()
        layout = QVBoxLayout(outer)
        layout.addWidget(root, 1)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumHeight(110)
        layout.addWidget(self.status)
        layout.addWidget(self.log)
        self.setCentralWidget(outer)

    def say(self, text: str) -> None:
        self.status.setText(text)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Files dropped anywhere on the window (the lists pass drops on): a world pack is imported as a world and
        a kept scene goes on in its world, never read as pictures; a picture becomes the prompt."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        for pack in [path for path in paths if path.suffix.lower() == PACK_SUFFIX]:
            self.import_world_file(pack)
        scenes = [path for path in paths if path.suffix.lower() == SCENE_SUFFIX]
        pictures = [path for path in paths if path.suffix.lower() not in (PACK_SUFFIX, SCENE_SUFFIX)]
        if scenes:
            self.open_scene_file(scenes[0])
        elif pictures:
            self.choose_prompt(str(pictures[0]))
        event.acceptProposedAction()

    def stop_workers(self) -> None:
        self.reading_timer.stop()
        for thread in (self.probe_thread, self.loader_thread, self.thumbnail_thread, self.reading_thread,
                       self.import_thread):
            thread.quit()
            thread.wait(5000)                         # a picture being decoded finishes first

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        save_settings(self.collect_settings(), self.settings_file)
        self.stop_workers()
        super().closeEvent(event)


def main(screenshot: str | None = None) -> int:
    """Open the launcher. With ``screenshot``, pick the first bundled prompt, wait for the device probe,
    save a PNG of the window there and exit (for docs and the Xvfb test)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = Launcher()
    app.aboutToQuit.connect(window.stop_workers)      # also when the screenshot ends the app without a close
    window.resize(1200, 720)
    window.show()
    if screenshot:
        rows = [row for row in range(window.gallery.count())
                if Path(window.gallery.item(row).data(Qt.UserRole)).parent == PROMPTS]
        if rows or window.gallery.count():
            window.gallery.setCurrentRow(rows[0] if rows else 0)

        def save() -> None:
            ok = window.grab().save(screenshot)
            print(f"saved {screenshot}" if ok else f"dreamwalk: error: cannot write {screenshot}",
                  file=sys.stdout if ok else sys.stderr)
            app.exit(0 if ok else 1)

        def when_probed(_: object = None) -> None:
            if window.loading or window.thumbnails_pending:
                QTimer.singleShot(100, when_probed)       # the preview or a thumbnail is still being decoded
                return
            QTimer.singleShot(300, save)                 # let the last repaint land

        window.probe.finished.connect(when_probed)
        QTimer.singleShot(10_000, save)                  # a probe that never answers still gets a picture
    return app.exec()
