"""The gallery panel: the prompt pictures as thumbnails (recent ones first, then the bundled ones), opened,
dropped or pasted pictures, and the picture Play starts, decoded in the PromptLoader's thread."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (QApplication, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from app.launcher.paths import PROMPTS
from app.launcher.tiles import TILE, fit, to_pixmap
from app.launcher.workers import PromptLoader, SceneCheck, worker_thread
from app.settings import data_folder

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
THUMBNAIL = 112


def prompt_captions() -> dict[str, str]:
    """Captions of the bundled prompts (assets/prompts/captions.json), by full path; {} when absent or broken."""
    try:
        captions = json.loads((PROMPTS / "captions.json").read_text())
        return {str(PROMPTS / name): str(text) for name, text in captions.items()}
    except (OSError, ValueError, AttributeError):
        return {}


class GalleryPanel:
    """The launcher's prompt pictures (a part of the Launcher window). It owns ``prompt`` (what Play starts; the
    gallery always highlights it), ``loading`` (a picture being decoded, to become the prompt) and the loader's
    thread, on which scenes are checked too."""

    def init_gallery(self) -> None:
        self.prompt: str | None = None
        self.loading: str | None = None
        self.requests = 0

    def build_prompts(self) -> QWidget:
        box = QGroupBox("Prompt image")
        layout = QVBoxLayout(box)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QPixmap(THUMBNAIL, THUMBNAIL * 3 // 4).size())
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.currentItemChanged.connect(lambda item, _: item and self.choose_prompt(item.data(Qt.UserRole)))
        self.gallery.itemClicked.connect(self.prompt_clicked)
        layout.addWidget(self.gallery, 1)
        buttons = QHBoxLayout()
        open_button = QPushButton("Open image...")
        open_button.clicked.connect(self.open_image)
        buttons.addWidget(open_button)
        buttons.addWidget(QLabel("or drop / paste an image"))
        buttons.addStretch(1)
        scene_button = QPushButton("Open scene...")
        scene_button.setToolTip("Go on from a scene kept in the player (F6) in the chosen world")
        scene_button.clicked.connect(self.open_scene)
        buttons.addWidget(scene_button)
        layout.addLayout(buttons)
        self.preview = QLabel("preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(*TILE)
        layout.addWidget(self.build_reading(self.preview))
        return box

    def refresh_prompts(self) -> None:
        bundled = sorted(p for p in PROMPTS.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if PROMPTS.exists() else []
        recent = [Path(p) for p in self.settings.recent_images if Path(p).exists()]
        with QSignalBlocker(self.gallery):           # rebuilding the list chooses nothing
            self.gallery.clear()
            for path in recent + [p for p in bundled if p not in recent]:
                self.add_thumbnail(path, self.gallery.count())
        self.mark_prompt()

    def add_thumbnail(self, path: Path, row: int) -> QListWidgetItem:
        item = QListWidgetItem(QIcon(str(path)), path.stem[:18])
        item.setData(Qt.UserRole, str(path))
        item.setToolTip(prompt_captions().get(str(path), str(path)))
        self.gallery.insertItem(row, item)
        return item

    def mark_prompt(self) -> None:
        """Highlight the thumbnail of the prompt Play starts (adding one for a picture opened, dropped or pasted),
        or none; quietly, so that marking is not choosing."""
        rows = self.thumbnail_rows(self.prompt)
        with QSignalBlocker(self.gallery):
            if self.prompt and not rows:
                self.add_thumbnail(Path(self.prompt), 0)
                rows = [0]
            self.gallery.setCurrentRow(rows[0] if rows else -1)
            if not rows:
                self.gallery.clearSelection()

    def thumbnail_rows(self, path: str | None) -> list[int]:
        return [row for row in range(self.gallery.count()) if self.gallery.item(row).data(Qt.UserRole) == path]

    def prompt_clicked(self, item: QListWidgetItem) -> None:
        """A click on the highlighted thumbnail chooses it again (the highlight may have come back to it after a
        picture was refused, or another is still being opened)."""
        path = item.data(Qt.UserRole)
        if path != (self.loading or self.prompt):
            self.choose_prompt(path)

    def open_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a prompt image", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff)")
        if path:
            self.choose_prompt(path)

    def paste_image(self) -> None:
        image = QApplication.clipboard().image()
        if image.isNull():
            self.say("the clipboard holds no image")
            return
        folder = data_folder() / "pasted"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"pasted-{len(list(folder.glob('pasted-*.png')))}.png"
        image.save(str(path))
        self.choose_prompt(str(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.choose_prompt(urls[0])

    def start_prompt_loader(self) -> None:
        self.loader, self.scene_check = PromptLoader(), SceneCheck()
        self.load_prompt.connect(self.loader.load)
        self.loader.loaded.connect(self.prompt_loaded)
        self.check_scene.connect(self.scene_check.check)
        self.scene_check.checked.connect(self.scene_checked)
        self.loader_thread = worker_thread(self, self.loader, self.scene_check)

    def choose_prompt(self, path: str) -> None:
        """Open ``path`` as the prompt, in the loader's thread; until it is decoded (or refused) Play waits."""
        self.requests += 1
        self.loading = str(path)
        rows = self.thumbnail_rows(self.loading)
        if rows:                                     # its thumbnail lights up at once (and back if it is refused)
            with QSignalBlocker(self.gallery):
                self.gallery.setCurrentRow(rows[0])
        self.say(f"opening {Path(path).name}...")
        self.load_prompt.emit(self.requests, str(path), self.frame_size())

    def prompt_loaded(self, request: int, path: str, frame: object) -> None:
        if request != self.requests:
            return                                    # a later choice is on its way
        self.loading = None
        if isinstance(frame, str):
            self.say(frame)                           # refused: the last good choice stays, and stays highlighted
        else:
            self.prompt = path
            self.preview.setPixmap(fit(to_pixmap(frame), TILE))
            caption = prompt_captions().get(str(path))
            self.say(f"prompt: {Path(path).name}" + (f" ({caption})" if caption else ""))
            self.schedule_reading()
        self.mark_prompt()
