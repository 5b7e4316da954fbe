"""The gallery panel: the prompt pictures as thumbnails (recent ones first, then the bundled ones; made in the
ThumbnailMaker's thread as play sees the picture), opened, dropped or pasted pictures, and the picture Play
starts, decoded in the PromptLoader's thread."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QSize, QStandardPaths, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QApplication, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from app.launcher.paths import PROMPTS
from app.launcher.tiles import TILE, fit, to_pixmap
from app.launcher.workers import PromptLoader, SceneCheck, ThumbnailMaker, worker_thread
from app.settings import data_folder

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
THUMBNAIL = 112
CELL = (36, 6)                                # pixels a thumbnail's cell adds to it across (for its name) and down


def prompt_captions() -> dict[str, str]:
    """Captions of the bundled prompts (assets/prompts/captions.json), by full path; {} when absent or broken."""
    try:
        captions = json.loads((PROMPTS / "captions.json").read_text())
        return {str(PROMPTS / name): str(text) for name, text in captions.items()}
    except (OSError, ValueError, AttributeError):
        return {}


class GalleryPanel:
    """The launcher's prompt pictures (a part of the Launcher window). It owns ``prompt`` (what Play starts; the
    gallery always highlights it), ``loading`` (a picture being decoded, to become the prompt), the loader's
    thread, on which scenes are checked too, and ``thumbnails_pending``, the thumbnails still being made."""

    def init_gallery(self) -> None:
        self.prompt: str | None = None
        self.loading: str | None = None
        self.requests = 0
        self.thumbnails_pending = 0

    def build_prompts(self) -> QWidget:
        box = QGroupBox("Prompt image")
        layout = QVBoxLayout(box)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMBNAIL, THUMBNAIL * 3 // 4))
        # Every thumbnail gets the same cell; a name longer than it loses its middle (the tooltip has it whole).
        line = self.gallery.fontMetrics().height()
        self.gallery.setGridSize(QSize(THUMBNAIL + CELL[0], THUMBNAIL * 3 // 4 + line + 2 * CELL[1]))
        self.gallery.setTextElideMode(Qt.TextElideMode.ElideMiddle)
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
        scene_button.setToolTip("Go on from a scene kept in the player (F6), in the world it was kept in")
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
        """An item for the picture at ``path``; its thumbnail follows from the ThumbnailMaker's thread."""
        item = QListWidgetItem(path.stem)
        item.setData(Qt.UserRole, str(path))
        caption = prompt_captions().get(str(path))
        item.setToolTip(f"{path.name}: {caption}" if caption else str(path))
        self.gallery.insertItem(row, item)
        self.thumbnails_pending += 1
        self.make_thumbnail.emit(str(path), (self.gallery.iconSize().width(), self.gallery.iconSize().height()))
        return item

    def thumbnail_made(self, path: str, thumbnail: object) -> None:
        self.thumbnails_pending -= 1
        if isinstance(thumbnail, str):
            return                                    # refused: the reason is said when the picture is chosen
        icon = QIcon(to_pixmap(thumbnail))
        for row in self.thumbnail_rows(path):
            self.gallery.item(row).setIcon(icon)

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
        path, _ = QFileDialog.getOpenFileName(self, "Open a prompt image", str(self.image_folder()),
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff)")
        if path:
            self.settings.image_folder = str(Path(path).parent)
            self.choose_prompt(path)

    def image_folder(self) -> Path:
        """Where Open image starts: the folder the last picture came from, else the user's Pictures, else home
        (never the folder the launcher happens to run in)."""
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        for folder in (self.settings.image_folder, pictures):
            if folder and Path(folder).is_dir():
                return Path(folder)
        return Path.home()

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

    def start_prompt_loader(self) -> None:
        self.loader, self.scene_check = PromptLoader(), SceneCheck()
        self.load_prompt.connect(self.loader.load)
        self.loader.loaded.connect(self.prompt_loaded)
        self.check_scene.connect(self.scene_check.check)
        self.scene_check.checked.connect(self.scene_checked)
        self.loader_thread = worker_thread(self, self.loader, self.scene_check)
        self.thumbnails = ThumbnailMaker()        # a thread of its own: a picture chosen does not wait for them
        self.make_thumbnail.connect(self.thumbnails.make)
        self.thumbnails.made.connect(self.thumbnail_made)
        self.thumbnail_thread = worker_thread(self, self.thumbnails)

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
            from engine.runtime.images import panorama_words

            span = self.reading_controls["panorama_span"]
            panorama = panorama_words(path, self.reading_controls["field_of_view"].value(), span.value())
            self.prompt_is_panorama = bool(panorama)     # used whole, not cropped: say so, and how far round
            span.setEnabled(self.reads_depth and self.prompt_is_panorama)
            self.say(f"prompt: {Path(path).name}" + (f" ({caption})" if caption else "")
                     + (f"; {panorama}" if panorama else ""))
            self.schedule_reading()
        self.mark_prompt()
