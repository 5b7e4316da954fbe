"""The launcher (PySide6): pick a prompt image and a world, adjust settings, press Play.

Long work never runs on the Qt thread: the player is a separate process (QProcess) whose output and
errors stream into the launcher, and probing the compute devices runs in a worker thread.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Qt, QThread, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.settings import Settings, data_folder, load_settings, save_settings

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "assets" / "prompts"
BUNDLED_WORLDS = ROOT / "assets" / "worlds"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
THUMBNAIL = 112


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


class DeviceProbe(QObject):
    """Asks ONNX Runtime which providers really work, off the Qt thread."""

    finished = Signal(str)

    def __init__(self, pack: Path | None) -> None:
        super().__init__()
        self.pack = pack

    def run(self) -> None:
        try:
            import onnxruntime

            from engine.pack import open_pack
            from engine.runtime.providers import choose_provider
            from engine.runtime.session import choose_precision

            available = ", ".join(p.replace("ExecutionProvider", "") for p in onnxruntime.get_available_providers())
            text = f"installed: {available}"
            if self.pack is not None:
                pack = open_pack(self.pack)
                try:
                    provider, note = choose_provider("auto", pack.graph_path("decoder"))
                    precision = choose_precision("auto", provider, pack.has_fp16, pack.has_int8)
                finally:
                    pack.close()
                text += (f"; auto uses {provider.replace('ExecutionProvider', '')} {precision}"
                         + (f" ({note})" if note else ""))
        except Exception as error:  # any failure is reported in the window, never raised into Qt
            text = f"device probe failed: {error}"
        self.finished.emit(text)


class Launcher(QMainWindow):
    def __init__(self, settings_file: Path | None = None) -> None:
        super().__init__()
        self.settings_file = settings_file
        self.settings, problem = load_settings(settings_file)
        self.prompt: str | None = None
        self.world: Path | None = None
        self.process: QProcess | None = None
        self.setWindowTitle("Dreamwalk")
        self.setAcceptDrops(True)
        self.status = QLabel(problem or "Pick a prompt image and a world, then Play.")
        self.status.setWordWrap(True)
        self.build()
        self.refresh_prompts()
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
        layout.addWidget(self.gallery, 1)
        buttons = QHBoxLayout()
        open_button = QPushButton("Open image...")
        open_button.clicked.connect(self.open_image)
        buttons.addWidget(open_button)
        buttons.addWidget(QLabel("or drop / paste an image"))
        layout.addLayout(buttons)
        self.preview = QLabel("preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(150)
        layout.addWidget(QLabel("What the world starts from (cropped and resized to its frame):"))
        layout.addWidget(self.preview)
        return box

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
        self.recordings = QListWidget()
        layout.addWidget(QLabel("Recordings"))
        layout.addWidget(self.recordings, 1)
        folder_button = QPushButton("Open recordings folder")
        folder_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.settings.recordings()))))
        layout.addWidget(folder_button)
        return box

    def build_settings(self) -> QWidget:
        box = QGroupBox("Settings")
        form = QFormLayout(box)
        s = self.settings
        self.device = QComboBox()
        self.device.addItems(["auto", "cuda", "directml", "coreml", "cpu"])
        self.device.setCurrentText(s.device)
        self.device_info = QLabel("probing devices...")
        self.device_info.setWordWrap(True)
        self.steps = QSpinBox(minimum=0, maximum=16, value=s.steps, specialValueText="world default")
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.25, value=s.guidance_scale,
                                       specialValueText="world default")
        self.sensitivity = QDoubleSpinBox(minimum=0.01, maximum=2.0, singleStep=0.01, value=s.mouse_sensitivity)
        self.invert = QCheckBox(checked=s.invert_look)
        self.scale = QSpinBox(minimum=1, maximum=20, value=s.window_scale)
        self.dream_idle = QCheckBox(checked=s.dream_idle)
        self.dream_idle.setToolTip("Off: the view holds while no control is touched. On: the world keeps dreaming "
                                   "(it was never shown a player standing still, so the view drifts).")
        self.folder_button = QPushButton(str(s.recordings()))
        self.folder_button.clicked.connect(self.choose_recordings_folder)
        for label, widget in [("Device", self.device), ("", self.device_info), ("Quality (steps)", self.steps),
                              ("Action guidance", self.guidance), ("Mouse sensitivity (°/px)", self.sensitivity),
                              ("Invert look", self.invert), ("Window scale", self.scale),
                              ("Dream while idle", self.dream_idle),
                              ("Recordings", self.folder_button)]:
            form.addRow(label, widget)
        bindings = ", ".join(f"{k} {'/'.join(v)}" for k, v in s.bindings.items())
        keys = QLabel(f"Keys: {bindings}")
        keys.setWordWrap(True)
        form.addRow(keys)
        self.play_button = QPushButton("Play")
        self.play_button.setMinimumHeight(40)
        self.play_button.clicked.connect(self.play)
        form.addRow(self.play_button)
        return box

    # --- prompts ------------------------------------------------------------------------------
    def refresh_prompts(self) -> None:
        self.gallery.clear()
        bundled = sorted(p for p in PROMPTS.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if PROMPTS.exists() else []
        recent = [Path(p) for p in self.settings.recent_images if Path(p).exists()]
        captions = prompt_captions()
        for path in recent + [p for p in bundled if p not in recent]:
            item = QListWidgetItem(QIcon(str(path)), path.stem[:18])
            item.setData(Qt.UserRole, str(path))
            item.setToolTip(captions.get(str(path), str(path)))
            self.gallery.addItem(item)

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
        path = data_folder() / "pasted" / f"pasted-{len(self.settings.recent_images)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(path))
        self.choose_prompt(str(path))

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.choose_prompt(urls[0])

    def choose_prompt(self, path: str) -> None:
        from engine.errors import DreamwalkError
        from engine.runtime.images import load_prompt

        size = self.frame_size()
        try:
            frame = load_prompt(path, size)
        except DreamwalkError as error:
            self.say(str(error))
            return
        self.prompt = path
        scale = max(1, 240 // size[1])
        self.preview.setPixmap(to_pixmap(frame).scaled(size[0] * scale, size[1] * scale))
        caption = prompt_captions().get(str(path))
        self.say(f"prompt: {Path(path).name}" + (f" ({caption})" if caption else ""))

    def frame_size(self) -> tuple[int, int]:
        return getattr(self, "_frame_size", (64, 48))

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
            return
        self.world = path
        frame, training = manifest["frame"], manifest["training"]
        self._frame_size = (int(frame["width"]), int(frame["height"]))
        self.details.setText(
            f"<b>{manifest['name']}</b><br>{manifest['description']}<br>{frame['width']}x{frame['height']} at "
            f"{frame['fps']} fps<br>trained on {training['data']} ({float(training['hours']):.1f} h, "
            f"{training['hardware']})<br>{metrics_summary(manifest.get('metrics', {}))}"
            f"<br>license: {manifest['license'] or 'not given'}")
        if self.prompt:
            self.choose_prompt(self.prompt)
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

    def collect_settings(self) -> Settings:
        s = self.settings
        s.device, s.steps, s.guidance_scale = self.device.currentText(), self.steps.value(), self.guidance.value()
        s.mouse_sensitivity, s.invert_look, s.window_scale = self.sensitivity.value(), self.invert.isChecked(), self.scale.value()
        s.dream_idle = self.dream_idle.isChecked()
        return s

    def play_arguments(self, extra: list[str] | None = None) -> list[str]:
        s = self.collect_settings()
        # A packaged app is its own interpreter: its executable takes main.py's arguments directly.
        entry = [] if getattr(sys, "frozen", False) else [str(ROOT / "main.py")]
        arguments = entry + ["--play", str(self.prompt), "--world", str(self.world),
                     "--device", s.device, "--scale", str(s.window_scale), "--output", str(s.recordings())]
        if s.steps:
            arguments += ["--steps", str(s.steps)]
        if s.guidance_scale:
            arguments += ["--guidance", str(s.guidance_scale)]
        if s.dream_idle:
            arguments.append("--dream-idle")
        return arguments + (extra or [])

    def play(self, extra: list[str] | None = None) -> None:
        if not self.prompt or not self.world:
            self.say("choose a prompt image and a world first")
            return
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.say("the player is already running")
            return
        self.settings.remember_image(self.prompt)
        save_settings(self.collect_settings(), self.settings_file)
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self.show_output)
        self.process.finished.connect(self.player_finished)
        self.process.start(sys.executable, self.play_arguments(extra))
        self.play_button.setEnabled(False)
        self.say("starting the player...")

    def show_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace").strip()
        if text:
            self.log.appendPlainText(text)

    def player_finished(self, code: int, _status) -> None:
        self.play_button.setEnabled(True)
        self.say("the player closed" if code == 0 else f"the player stopped with an error (exit {code}); see the log")
        self.refresh_recordings()

    def refresh_recordings(self) -> None:
        self.recordings.clear()
        folder = self.settings.recordings()
        clips = sorted(folder.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.exists() else []
        for clip in clips[:30]:
            self.recordings.addItem(f"{clip.name}  ({clip.stat().st_size / 2**20:.1f} MiB)")

    def probe_devices(self) -> None:
        self.probe_thread = QThread(self)
        self.probe = DeviceProbe(self.world)
        self.probe.moveToThread(self.probe_thread)
        self.probe_thread.started.connect(self.probe.run)
        self.probe.finished.connect(self.device_info.setText)
        self.probe.finished.connect(self.probe_thread.quit)
        self.probe_thread.start()

    def say(self, text: str) -> None:
        self.status.setText(text)

    def closeEvent(self, event) -> None:  # noqa: N802
        save_settings(self.collect_settings(), self.settings_file)
        if self.probe_thread.isRunning():
            self.probe_thread.quit()
            self.probe_thread.wait(2000)
        super().closeEvent(event)


def main(screenshot: str | None = None) -> int:
    """Open the launcher. With ``screenshot``, pick the first bundled prompt, wait for the device probe,
    save a PNG of the window there and exit (for docs and the Xvfb test)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = Launcher()
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

        def when_probed(_: str = "") -> None:
            QTimer.singleShot(300, save)                 # let the last repaint land

        window.probe.finished.connect(when_probed)
        QTimer.singleShot(10_000, save)                  # a probe that never answers still gets a picture
    return app.exec()
