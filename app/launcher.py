"""The launcher (PySide6): pick a prompt image and a world, adjust settings, press Play.

Long work never runs on the Qt thread: the player is a separate process (QProcess) whose output and
errors stream into the launcher; decoding a prompt picture (seconds for a 50-megapixel PNG), checking a scene,
computing the world's reading of the picture (its depth and a moving preview) and probing the compute devices
run in worker threads.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess, QSignalBlocker, Qt, QThread, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGridLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMainWindow, QPlainTextEdit, QPushButton, QSpinBox, QStackedWidget, QTabWidget,
                               QVBoxLayout, QWidget)

from app.key_table import KeyBindingsTable
from app.settings import Settings, data_folder, load_settings, readable_folder, save_settings

if TYPE_CHECKING:
    from engine.runtime.memory import PictureSettings

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "assets" / "prompts"
BUNDLED_WORLDS = ROOT / "assets" / "worlds"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
RECORDING_SUFFIXES = {".mp4", ".png"}       # the player's clips and screenshots
THUMBNAIL = 112
SAVED_PREFIX = "dreamwalk: saved "          # the player's line for each clip or screenshot it saves
TILE = (144, 108)                           # the picture, its depth and the moving preview are shown this large
READING_WIDTH = 320                         # the moving preview is computed this wide, at the world's aspect
READING_FPS = 12
READING_DELAY_MS = 150                      # a control's changes are read once it rests this long
NO_DEPTH = "This world reads pictures without depth"
# The reading's controls: the player's option, range, step, decimals and the default (PictureSettings).
READING_CONTROLS = {"depth_scale": ("--depth-scale", 0.1, 10.0, 0.1, 2, 1.0),
                    "eye_height": ("--eye-height", 1.0, 500.0, 1.0, 0, 41.0),
                    "field_of_view": ("--fov", 30.0, 150.0, 5.0, 0, 90.0)}


def user_worlds() -> Path:
    return data_folder() / "worlds"


def prompt_captions() -> dict[str, str]:
    """Captions of the bundled prompts (assets/prompts/captions.json), by full path; {} when absent or broken."""
    import json
    try:
        captions = json.loads((PROMPTS / "captions.json").read_text())
        return {str(PROMPTS / name): str(text) for name, text in captions.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def metrics_summary(metrics: dict) -> str:
    """One line of a pack's evaluation for people: quality 16 frames ahead on maps (or rooms) it never saw."""
    try:
        ahead = metrics["autoregressive"]
        psnr, copy = ahead["psnr"]["16"], metrics["copy_prompt_psnr"]["16"]
        unseen = "rooms" if metrics.get("source") == "miniworld" else "maps"
        error = ahead.get("stderr", {}).get("dtpsnr", {}).get("16")
        spread = f" ± {error:.2f}" if error is not None else ""
        return (f"16 frames ahead in unseen {unseen} ({metrics['windows']} windows): {psnr:.1f} dB PSNR "
                f"(holding the prompt still: {copy:.1f} dB), actions change it by {ahead['dtpsnr']['16']:.2f}"
                f"{spread} dB, sharpness {ahead['sharpness_ratio']['16']:.2f} of real frames")
    except (KeyError, TypeError, ValueError):
        return "not evaluated yet"


def to_pixmap(frame) -> QPixmap:
    """(h, w, 3) uint8 -> QPixmap (copied, so the array may go)."""
    height, width = frame.shape[:2]
    image = QImage(frame.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def fit(pixmap: QPixmap, box: tuple[int, int]) -> QPixmap:
    """A pixmap as large as fits ``box`` (width, height) at its own aspect: a small frame enlarged a whole number
    of times (sharp pixels), anything else smoothly."""
    width, height = box
    whole = min(width // pixmap.width(), height // pixmap.height())
    if whole >= 2:
        return pixmap.scaled(pixmap.width() * whole, pixmap.height() * whole)
    return pixmap.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class DeviceProbe(QObject):
    """Asks ONNX Runtime which devices exist here and which really work, off the Qt thread. ``finished`` carries
    {"choices": devices to offer, "installed": ..., "auto": what auto runs, "notes": {device: fallback line},
    "detail": why CUDA does not work} (without a world, only what needs no graph to probe)."""

    finished = Signal(object)

    def __init__(self, pack: Path | None) -> None:
        super().__init__()
        self.pack = pack

    def run(self) -> None:
        try:
            result = self.probe()
        except Exception as error:  # any failure is reported in the window, never raised into Qt
            result = {"error": f"device probe failed: {error}"}
        self.finished.emit(result)

    def probe(self) -> dict:
        import onnxruntime

        from engine.pack import open_pack
        from engine.runtime.providers import choose_provider, device_choices, load_cuda_libraries
        from engine.runtime.session import choose_precision

        installed = onnxruntime.get_available_providers()
        result = {"choices": device_choices(installed), "notes": {},
                  "installed": ", ".join(p.replace("ExecutionProvider", "") for p in installed)}
        if self.pack is None:
            return result
        pack = open_pack(self.pack)
        try:
            provider, _ = choose_provider("auto", pack.graph_path("decoder"))
            precision = choose_precision("auto", provider, pack.has_fp16, pack.has_int8)
            result["auto"] = f"{provider.replace('ExecutionProvider', '')} {precision}"
            for device in result["choices"][2:]:                      # the accelerators, after auto and cpu
                result["notes"][device] = choose_provider(device, pack.graph_path("decoder"))[1]
        finally:
            pack.close()
        if result["notes"].get("cuda"):
            missing = load_cuda_libraries()
            result["detail"] = (f"CUDA is installed, but {missing} was not found" if missing
                                else "CUDA is installed, but no NVIDIA GPU answered")
        return result


DEVICE_WORDS = {"cpu": "the CPU", "cuda": "the NVIDIA GPU (CUDA)", "directml": "the graphics card (DirectML)",
                "coreml": "CoreML"}


def describe_devices(result: dict, device: str) -> str:
    """The line under the device menu: what ``device`` runs on here, in words."""
    if "error" in result:
        return result["error"]
    if "auto" not in result:
        return f"installed: {result['installed']}"           # no world to probe the devices with yet
    if result["notes"].get(device):
        return result["notes"][device]
    if device == "auto":
        unusable = [note.split(";")[0] for note in result["notes"].values() if note]
        return f"auto uses {result['auto']}" + (f" ({unusable[0][0].lower()}{unusable[0][1:]})" if unusable else "")
    return f"runs on {DEVICE_WORDS.get(device, device)}"


class PromptLoader(QObject):
    """Decodes prompt pictures off the Qt thread; ``loaded`` carries (request number, path, frame or the reason
    the picture was refused)."""

    loaded = Signal(int, str, object)

    def load(self, request: int, path: str, size: tuple) -> None:
        from engine.errors import DreamwalkError
        from engine.runtime.images import load_prompt

        try:
            self.loaded.emit(request, path, load_prompt(path, size))
        except DreamwalkError as error:
            self.loaded.emit(request, path, str(error))


class SceneCheck(QObject):
    """Opens a scene file off the Qt thread (a scene's memory is megabytes); ``checked`` carries (path, the reason
    it cannot be opened, or "" when it can)."""

    checked = Signal(str, str)

    def check(self, path: str) -> None:
        from engine.runtime.scene import SceneError, open_scene

        try:
            open_scene(path)
        except SceneError as error:
            self.checked.emit(path, str(error))
            return
        self.checked.emit(path, "")


class ReadingWorker(QObject):
    """Computes how a world reads a picture (engine.runtime.preview) off the Qt thread, keeping the last world's
    depth network and the last picture; ``ready`` carries (request number, {"depth": (h, w, 3) uint8, "frames":
    [(h, w, 3) uint8, ...]} or the reason there is no reading)."""

    ready = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self.world: str | None = None
        self.preview = None
        self.picture_key: tuple | None = None
        self.picture = None

    def compute(self, request: int, world: str, prompt: str, size: tuple, settings: PictureSettings) -> None:
        from engine.errors import DreamwalkError
        from engine.runtime.images import load_prompt
        from engine.runtime.preview import PicturePreview

        try:
            if world != self.world:
                self.preview = PicturePreview(world)
                self.world = world
            if (prompt, size) != self.picture_key:
                self.picture = load_prompt(prompt, size)
                self.picture_key = (prompt, size)
            depth = self.preview.depth(self.picture)
            result = {"depth": self.preview.depth_image(depth),
                      "frames": self.preview.parallax(self.picture, settings, size)}
        except DreamwalkError as error:
            result = str(error)
        except Exception as error:  # any failure is reported in the window, never raised into Qt
            result = f"the world's reading failed: {error}"
        self.ready.emit(request, result)


class Launcher(QMainWindow):
    load_prompt = Signal(int, str, object)        # to the PromptLoader's thread: request number, path, frame size
    check_scene = Signal(str)                     # to the SceneCheck (on the loader's thread): path
    compute_reading = Signal(int, str, str, object, object)   # to the ReadingWorker: request, world, prompt, size,
                                                              # PictureSettings

    def __init__(self, settings_file: Path | None = None) -> None:
        super().__init__()
        self.settings_file = settings_file
        self.settings, problem = load_settings(settings_file)
        self.prompt: str | None = None            # what Play starts; the gallery always highlights it
        self.loading: str | None = None           # a picture being decoded, to become the prompt
        self.requests = 0
        self.world: Path | None = None
        self.reads_depth = False                  # the chosen world has a depth network: its reading is shown
        self.reading_requests = 0
        self.reading_pending = False              # a reading asked for has not come back yet
        self.reading_frames: list[QPixmap] = []
        self.reading_frame = 0
        self.checking_scene: str | None = None    # a scene being checked, to start once it opens
        self.process: QProcess | None = None
        self.saved: list[Path] = []               # what the running player saved
        self.devices: dict = {}
        self.setWindowTitle("Dreamwalk")
        self.setAcceptDrops(True)
        self.status = QLabel(problem or "Pick a prompt image and a world, then Play.")
        self.status.setWordWrap(True)
        self.build()
        self.start_prompt_loader()
        self.start_reading_worker()
        self.refresh_prompts()
        if self.gallery.count():
            self.choose_prompt(self.gallery.item(0).data(Qt.UserRole))    # the most recent picture, or the first
        self.refresh_worlds()
        self.refresh_recordings()
        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste_image)
        self.probe_devices()

    # --- layout -------------------------------------------------------------------------------
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
        layout.addWidget(self.build_reading())
        return box

    def build_reading(self) -> QWidget:
        """The picture as the world starts from it, beside the world's reading of it: its depth and the picture
        seen from a swaying camera, with the reading's controls (engine.runtime.memory.PictureSettings) under
        the picture; one line instead, and the controls disabled, for worlds without depth."""
        area = QWidget()
        grid = QGridLayout(area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("What the world starts from:"), 0, 0)
        grid.addWidget(QLabel("World's reading:"), 0, 1)
        grid.addWidget(self.preview, 1, 0, Qt.AlignmentFlag.AlignTop)
        self.reading_pages = QStackedWidget()
        tiles = QWidget()
        row = QHBoxLayout(tiles)
        row.setContentsMargins(0, 0, 0, 0)
        self.depth_view, self.moving_view = QLabel(), QLabel()
        self.depth_view.setToolTip("The depth the world sees in the picture: near is bright, far is dark")
        self.moving_view.setToolTip("The picture as a place: the camera sways beside where the player starts")
        for view in (self.depth_view, self.moving_view):
            view.setFixedSize(*TILE)
            view.setAlignment(Qt.AlignmentFlag.AlignCenter)
            row.addWidget(view)
        row.addStretch(1)
        self.reading_line = QLabel(NO_DEPTH)
        self.reading_line.setWordWrap(True)
        self.reading_line.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.reading_pages.addWidget(tiles)
        self.reading_pages.addWidget(self.reading_line)
        grid.addWidget(self.reading_pages, 1, 1)
        controls = QFormLayout()
        self.reading_controls: dict[str, QDoubleSpinBox] = {}
        for (name, (_, low, high, step, decimals, default)), label in zip(
                READING_CONTROLS.items(), ("Depth", "Eye height", "Field of view")):
            control = QDoubleSpinBox(minimum=low, maximum=high, singleStep=step, decimals=decimals, value=default)
            control.setKeyboardTracking(False)            # typed values count once complete
            control.valueChanged.connect(self.schedule_reading)
            controls.addRow(label, control)
            self.reading_controls[name] = control
        self.reading_controls["depth_scale"].setPrefix("× ")
        self.reading_controls["depth_scale"].setToolTip("The depth the world sees, multiplied: larger is farther")
        self.reading_controls["eye_height"].setToolTip("Map units from the eye down to the floor in the picture "
                                                       "(where the floor is for walking; the preview is the same)")
        self.reading_controls["field_of_view"].setSuffix("°")
        self.reading_controls["field_of_view"].setToolTip("Degrees across the picture's width")
        grid.addLayout(controls, 2, 0)
        grid.setColumnStretch(1, 1)
        self.reading_delay = QTimer(self, singleShot=True, interval=READING_DELAY_MS)
        self.reading_delay.timeout.connect(self.request_reading)
        self.reading_timer = QTimer(self, interval=round(1000 / READING_FPS))
        self.reading_timer.timeout.connect(self.next_reading_frame)
        self.show_reading_available(False)
        return area

    def build_worlds(self) -> QWidget:
        box = QGroupBox("World")
        layout = QVBoxLayout(box)
        self.worlds = QListWidget()
        self.worlds.currentItemChanged.connect(lambda item, _: item and self.choose_world(Path(item.data(Qt.UserRole))))
        layout.addWidget(self.worlds, 1)
        import_button = QPushButton("Import world...")
        import_button.clicked.connect(self.import_world)
        layout.addWidget(import_button)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        self.recordings_label = QLabel()
        self.recordings_label.setWordWrap(True)
        layout.addWidget(self.recordings_label)
        self.recordings = QListWidget()
        self.recordings.setToolTip("Double-click to open a clip or screenshot")
        self.recordings.itemDoubleClicked.connect(lambda item: self.open_path(Path(item.data(Qt.UserRole))))
        layout.addWidget(self.recordings, 1)
        folder_button = QPushButton("Open recordings folder")
        folder_button.clicked.connect(self.open_recordings_folder)
        layout.addWidget(folder_button)
        return box

    def build_settings(self) -> QWidget:
        box = QGroupBox("Settings")
        layout = QVBoxLayout(box)
        tabs = QTabWidget()
        tabs.addTab(self.build_options(), "Options")
        tabs.addTab(self.build_keys(), "Keys")
        layout.addWidget(tabs, 1)
        self.play_button = QPushButton("Play")
        self.play_button.setMinimumHeight(40)
        self.play_button.clicked.connect(self.play)
        layout.addWidget(self.play_button)
        return box

    def build_options(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        s = self.settings
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu"])           # the accelerators that exist here come with the probe
        self.device.setCurrentText(s.device if s.device in ("auto", "cpu") else "auto")
        self.device.currentTextChanged.connect(self.show_device)
        self.device_info = QLabel("probing devices...")
        self.device_info.setWordWrap(True)
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.25, value=s.guidance_scale,
                                       specialValueText="world default")
        self.guidance.setToolTip("How strongly the world follows your controls; higher can look harsher")
        self.sensitivity = QDoubleSpinBox(minimum=0.01, maximum=2.0, singleStep=0.01, value=s.mouse_sensitivity)
        self.invert = QCheckBox(checked=s.invert_look)
        self.scale = QSpinBox(minimum=1, maximum=20, value=s.window_scale)
        self.dream_idle = QCheckBox(checked=s.dream_idle)
        self.dream_idle.setToolTip("Off: the view holds while no control is touched. On: the world keeps dreaming "
                                   "(it was never shown a player standing still, so the view drifts).")
        self.folder_button = QPushButton(str(s.recordings()))
        self.folder_button.clicked.connect(self.choose_recordings_folder)
        for label, widget in [("Device", self.device), ("", self.device_info),
                              ("Action guidance", self.guidance), ("Mouse sensitivity (°/px)", self.sensitivity),
                              ("Invert look", self.invert), ("Window scale", self.scale),
                              ("Dream while idle", self.dream_idle),
                              ("Recordings", self.folder_button)]:
            form.addRow(label, widget)
        return page

    def build_keys(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.keys = KeyBindingsTable(self.settings.bindings)
        self.keys.message.connect(self.say)
        layout.addWidget(QLabel("Double-click a control, then press its new key:"))
        layout.addWidget(self.keys, 1)
        defaults = QPushButton("Restore default keys")
        defaults.clicked.connect(self.keys.restore_defaults)
        layout.addWidget(defaults)
        return page

    # --- prompts ------------------------------------------------------------------------------
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

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.choose_prompt(urls[0])

    def start_prompt_loader(self) -> None:
        self.loader_thread = QThread(self)
        self.loader = PromptLoader()
        self.loader.moveToThread(self.loader_thread)
        self.load_prompt.connect(self.loader.load)
        self.loader.loaded.connect(self.prompt_loaded)
        self.scene_check = SceneCheck()
        self.scene_check.moveToThread(self.loader_thread)
        self.check_scene.connect(self.scene_check.check)
        self.scene_check.checked.connect(self.scene_checked)
        self.loader_thread.start()

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

    def prompt_loaded(self, request: int, path: str, frame) -> None:
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

    def frame_size(self) -> tuple[int, int]:
        return getattr(self, "_frame_size", (64, 48))

    # --- the world's reading of the picture ---------------------------------------------------
    def start_reading_worker(self) -> None:
        self.reading_thread = QThread(self)
        self.reading_worker = ReadingWorker()
        self.reading_worker.moveToThread(self.reading_thread)
        self.compute_reading.connect(self.reading_worker.compute)
        self.reading_worker.ready.connect(self.reading_ready)
        self.reading_thread.start()

    def show_reading_available(self, available: bool) -> None:
        """The reading's tiles and controls for a world with depth; its one line, controls disabled, without."""
        self.reads_depth = available
        self.reading_requests += 1                    # a reading on its way is of another world
        self.reading_pending = False
        self.reading_timer.stop()
        self.reading_frames = []
        self.depth_view.clear()
        self.moving_view.clear()
        self.reading_line.setText(NO_DEPTH)
        self.reading_pages.setCurrentIndex(0 if available else 1)
        for control in self.reading_controls.values():
            control.setEnabled(available)
        self.schedule_reading()

    def picture_settings(self) -> PictureSettings:
        from engine.runtime.memory import PictureSettings

        return PictureSettings(**{name: control.value() for name, control in self.reading_controls.items()})

    def schedule_reading(self) -> None:
        """Read the prompt again once the controls rest (every change restarts the wait); a reading on its way
        is of what changed."""
        if self.reads_depth and self.prompt and self.world:
            self.reading_requests += 1
            self.reading_pending = True
            self.reading_delay.start()

    def request_reading(self) -> None:
        if not (self.reads_depth and self.prompt and self.world):
            self.reading_pending = False
            return
        self.reading_requests += 1
        width, height = self.frame_size()
        size = (READING_WIDTH, max(1, round(READING_WIDTH * height / width)))
        self.compute_reading.emit(self.reading_requests, str(self.world), str(self.prompt), size,
                                  self.picture_settings())

    def reading_ready(self, request: int, result: dict | str) -> None:
        if request != self.reading_requests:
            return                                    # the controls, the picture or the world changed since
        self.reading_pending = False
        if isinstance(result, str):
            self.reading_timer.stop()
            self.reading_frames = []
            self.reading_line.setText(result)
            self.reading_pages.setCurrentIndex(1)
            return
        self.reading_pages.setCurrentIndex(0)
        self.depth_view.setPixmap(fit(to_pixmap(result["depth"]), TILE))
        self.reading_frames = [fit(to_pixmap(frame), TILE) for frame in result["frames"]]
        self.reading_frame = 0
        self.moving_view.setPixmap(self.reading_frames[0])
        self.reading_timer.start()

    def next_reading_frame(self) -> None:
        if self.reading_frames:
            self.reading_frame = (self.reading_frame + 1) % len(self.reading_frames)
            self.moving_view.setPixmap(self.reading_frames[self.reading_frame])

    # --- worlds -------------------------------------------------------------------------------
    def refresh_worlds(self) -> None:
        from engine.runtime.session import bundled_worlds

        self.worlds.clear()
        packs = [(p, "bundled") for p in bundled_worlds(BUNDLED_WORLDS)]
        folder = user_worlds()
        packs += [(p, "yours") for p in sorted(folder.glob("*.dwpack"))] if folder.exists() else []
        for path, origin in packs:
            item = QListWidgetItem(f"{path.stem} ({origin})")
            item.setData(Qt.UserRole, str(path))
            self.worlds.addItem(item)
        if packs:
            self.worlds.setCurrentRow(0)
        else:
            self.details.setText("No world yet: import a .dwpack world.")

    def choose_world(self, path: Path) -> None:
        from engine.errors import DreamwalkError
        from engine.pack import read_pack_manifest

        try:       # the manifest alone: the player verifies every graph when it opens the world
            manifest = read_pack_manifest(path)
        except DreamwalkError as error:
            self.details.setText(f"This world cannot be used: {error}")
            self.world = None
            self.show_reading_available(False)
            return
        self.world = path
        self.show_reading_available("depth" in manifest["graphs"] and "memory" in manifest)
        frame, training = manifest["frame"], manifest["training"]
        self._frame_size = (int(frame["width"]), int(frame["height"]))
        self.details.setText(
            f"<b>{manifest['name']}</b><br>{manifest['description']}<br>{frame['width']}x{frame['height']} at "
            f"{frame['fps']} fps<br>trained on {training['data']} ({float(training['hours']):.1f} h, "
            f"{training['hardware']})<br>{metrics_summary(manifest.get('metrics', {}))}"
            f"<br>license: {manifest['license'] or 'not given'}")
        if self.loading or self.prompt:
            self.choose_prompt(self.loading or self.prompt)      # the preview, cropped to this world's frame
        if hasattr(self, "probe_thread") and not self.probe_thread.isRunning():
            self.probe_devices()                      # what this world would run on

    def import_world(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a world", "", "Dreamwalk worlds (*.dwpack)")
        if path:
            self.import_world_file(Path(path))

    def import_world_file(self, path: Path) -> bool:
        """Validate a pack before copying it into the user's worlds folder."""
        from engine.errors import DreamwalkError
        from engine.pack import open_pack

        try:
            open_pack(path).close()
            target = user_worlds() / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        except (DreamwalkError, OSError) as error:
            self.say(f"{path.name} was not imported: {error}")
            return False
        self.refresh_worlds()
        self.say(f"imported {path.name}")
        return True

    # --- settings and play --------------------------------------------------------------------
    def choose_recordings_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Recordings folder", str(self.settings.recordings()))
        if folder:
            self.settings.recordings_folder = folder
            self.folder_button.setText(folder)
            self.refresh_recordings()

    def collect_settings(self) -> Settings:
        s = self.settings
        s.device, s.guidance_scale = self.device.currentText(), self.guidance.value()
        s.mouse_sensitivity, s.invert_look, s.window_scale = self.sensitivity.value(), self.invert.isChecked(), self.scale.value()
        s.dream_idle = self.dream_idle.isChecked()
        return s                                     # the key table edits s.bindings in place

    def play_arguments(self, extra: list[str] | None = None) -> list[str]:
        s = self.collect_settings()
        # A packaged app is its own interpreter: its executable takes main.py's arguments directly.
        entry = [] if getattr(sys, "frozen", False) else [str(ROOT / "main.py")]
        arguments = entry + ["--play", str(self.prompt), "--world", str(self.world),
                     "--device", s.device, "--scale", str(s.window_scale), "--output", str(s.recordings())]
        if s.guidance_scale:
            arguments += ["--guidance", str(s.guidance_scale)]
        if s.dream_idle:
            arguments.append("--dream-idle")
        return arguments + self.reading_arguments() + (extra or [])

    def reading_arguments(self) -> list[str]:
        """The player's options for the reading's controls that differ from the defaults (worlds with depth)."""
        if not self.reads_depth:
            return []
        arguments = []
        for name, (option, *_, default) in READING_CONTROLS.items():
            value = self.reading_controls[name].value()
            if value != default:
                arguments += [option, f"{value:g}"]
        return arguments

    def scene_arguments(self, scene: str) -> list[str]:
        """The player's arguments to go on from ``scene`` in the chosen world (it keeps its own reading)."""
        s = self.collect_settings()
        entry = [] if getattr(sys, "frozen", False) else [str(ROOT / "main.py")]
        arguments = entry + ["--scene", scene, "--world", str(self.world), "--device", s.device,
                             "--scale", str(s.window_scale), "--output", str(s.recordings())]
        if s.guidance_scale:
            arguments += ["--guidance", str(s.guidance_scale)]
        if s.dream_idle:
            arguments.append("--dream-idle")
        return arguments

    def player_running(self) -> bool:
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.say("the player is already running")
            return True
        return False

    def play(self, extra: list[str] | None = None) -> None:
        if self.loading:
            self.say(f"still opening {Path(self.loading).name}; press Play again in a moment")
            return
        if not self.prompt or not self.world:
            self.say("choose a prompt image and a world first")
            return
        if self.player_running():
            return
        self.settings.remember_image(self.prompt)
        self.start_player(self.play_arguments(extra))

    def open_scene(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a scene", str(self.settings.recordings()),
                                              "Dreamwalk scenes (*.dwscene)")
        if path:
            self.open_scene_file(Path(path))

    def open_scene_file(self, path: Path) -> None:
        """Check the scene at ``path`` in the loader's thread, then go on from it in the chosen world; a scene
        that cannot be opened is its one line here, and nothing starts."""
        if not self.world:
            self.say("choose a world first")
            return
        if self.player_running():
            return
        self.checking_scene = str(path)
        self.say(f"opening {path.name}...")
        self.check_scene.emit(str(path))

    def scene_checked(self, path: str, problem: str) -> None:
        if path != self.checking_scene:
            return                                    # another scene was chosen since
        self.checking_scene = None
        if problem:
            self.say(problem)
        elif self.world and not self.player_running():
            self.start_player(self.scene_arguments(path))

    def start_player(self, arguments: list[str]) -> None:
        save_settings(self.collect_settings(), self.settings_file)      # the player reads the keys from there
        self.saved = []
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self.show_output)
        self.process.finished.connect(self.player_finished)
        self.process.start(sys.executable, arguments)
        self.play_button.setEnabled(False)
        self.say("starting the player...")

    def show_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace").strip()
        if text:
            self.log.appendPlainText(text)
        for line in text.splitlines():
            if line.startswith(SAVED_PREFIX):
                self.saved.append(Path(line[len(SAVED_PREFIX):].split(" ", 1)[1]))
                self.say(line[len("dreamwalk: "):])

    def player_finished(self, code: int, _status) -> None:
        self.show_output()                               # the last lines may come with the exit
        self.play_button.setEnabled(True)
        if code != 0:
            self.say(f"the player stopped with an error (exit {code}); see the log")
        elif self.saved:
            folders = sorted({readable_folder(path.parent) for path in self.saved})
            self.say(f"the player closed; it saved {len(self.saved)} file{'s' * (len(self.saved) > 1)} in "
                     f"{', '.join(folders)}: {', '.join(path.name for path in self.saved)} "
                     "(double-click a recording to open it)")
        else:
            self.say("the player closed")
        self.refresh_recordings()

    def refresh_recordings(self) -> None:
        self.recordings.clear()
        folder = self.settings.recordings()
        self.recordings_label.setText(f"Recordings in {readable_folder(folder)}")
        self.recordings_label.setToolTip(str(folder))
        found = [p for p in folder.glob("*") if p.suffix.lower() in RECORDING_SUFFIXES] if folder.exists() else []
        for path in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:50]:
            item = QListWidgetItem(f"{path.name}  ({path.stat().st_size / 2**20:.1f} MiB)")
            item.setData(Qt.UserRole, str(path))
            item.setToolTip(str(path))
            self.recordings.addItem(item)

    def open_path(self, path: Path) -> None:
        """A clip, screenshot or folder in the system's own app for it (video player, image viewer, file manager)."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.say(f"nothing on this system opens {path}")

    def open_recordings_folder(self) -> None:
        folder = self.settings.recordings()
        try:
            folder.mkdir(parents=True, exist_ok=True)     # before the first clip it does not exist yet
        except OSError as error:
            self.say(f"cannot create the recordings folder {folder}: {error.strerror or error}")
            return
        self.open_path(folder)

    def probe_devices(self) -> None:
        self.probe_thread = QThread(self)
        self.probe = DeviceProbe(self.world)
        self.probe.moveToThread(self.probe_thread)
        self.probe_thread.started.connect(self.probe.run)
        self.probe.finished.connect(self.devices_probed)
        self.probe.finished.connect(self.probe_thread.quit)
        self.probe_thread.start()

    def devices_probed(self, result: dict) -> None:
        """Offer the devices that exist here; a saved one that does not (settings from another computer, or an
        older Dreamwalk that offered every device everywhere) becomes auto."""
        wanted = self.device.currentText() if self.devices else self.settings.device   # first probe: the saved one
        self.devices = result
        choices = result.get("choices")
        if choices:
            with QSignalBlocker(self.device):
                self.device.clear()
                self.device.addItems(choices)
                self.device.setCurrentText(wanted if wanted in choices else "auto")
            if wanted not in choices:
                self.say(f"the device {wanted!r} does not exist on this computer; using auto")
        self.show_device(self.device.currentText())

    def show_device(self, device: str) -> None:
        self.device_info.setText(describe_devices(self.devices, device) if self.devices else "probing devices...")
        self.device_info.setToolTip(self.devices.get("detail", ""))

    def say(self, text: str) -> None:
        self.status.setText(text)

    def stop_workers(self) -> None:
        self.reading_timer.stop()
        for thread in (self.probe_thread, self.loader_thread, self.reading_thread):
            thread.quit()
            thread.wait(5000)                         # a picture being decoded finishes first

    def closeEvent(self, event) -> None:  # noqa: N802
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
            if window.loading:
                QTimer.singleShot(100, when_probed)       # the preview is still being decoded
                return
            QTimer.singleShot(300, save)                 # let the last repaint land

        window.probe.finished.connect(when_probed)
        QTimer.singleShot(10_000, save)                  # a probe that never answers still gets a picture
    return app.exec()
