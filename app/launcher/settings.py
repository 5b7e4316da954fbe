"""The settings panel: the player's options (the device, probed in the DeviceProbe's thread, guidance, mouse,
window, display size, recordings folder) and the key bindings, edited into the Settings the player reads."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QThread
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QLabel,
                               QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from app.key_table import KeyBindingsTable
from app.launcher.workers import DeviceProbe
from app.player import DISPLAY_SIZES
from app.settings import Settings

DEVICE_WORDS = {"cpu": "the CPU", "cuda": "the NVIDIA GPU (CUDA)", "directml": "the graphics card (DirectML)",
                "coreml": "CoreML"}
AUTO_SIZE = "Auto"                          # the display size menu's first entry: the player chooses


def size_name(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


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


class SettingsPanel:
    """The launcher's settings (a part of the Launcher window): ``settings`` as loaded, edited by its widgets and
    the key table, and ``devices``, the last device probe's answer."""

    def init_settings(self) -> None:
        self.devices: dict = {}

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
        self.smooth = QCheckBox(checked=s.smooth)
        self.smooth.setToolTip("Off: sharp pixels. On: the frame is scaled up smoothly.")
        self.display_size = QComboBox()
        self.display_size.addItems([AUTO_SIZE, *map(size_name, DISPLAY_SIZES)])
        self.display_size.setCurrentText(s.display_size if s.display_size in map(size_name, DISPLAY_SIZES)
                                         else AUTO_SIZE)
        self.display_size.setToolTip("For worlds with a memory, which can show any size. Auto: as large as this "
                                     "computer keeps up with.")
        self.dream_idle = QCheckBox(checked=s.dream_idle)
        self.dream_idle.setToolTip("Off: the view holds while no control is touched. On: the world keeps dreaming "
                                   "(it was never shown a player standing still, so the view drifts).")
        self.folder_button = QPushButton(str(s.recordings()))
        self.folder_button.clicked.connect(self.choose_recordings_folder)
        for label, widget in [("Device", self.device), ("", self.device_info),
                              ("Action guidance", self.guidance), ("Mouse sensitivity (°/px)", self.sensitivity),
                              ("Invert look", self.invert), ("Window scale", self.scale),
                              ("Smooth scaling", self.smooth), ("Display size", self.display_size),
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
        s.dream_idle, s.smooth = self.dream_idle.isChecked(), self.smooth.isChecked()
        s.display_size = "auto" if self.display_size.currentText() == AUTO_SIZE else self.display_size.currentText()
        return s                                     # the key table edits s.bindings in place

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
