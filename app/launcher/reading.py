"""The reading panel: the picture as the world starts from it, beside the world's reading of it (its depth and
the picture seen from a swaying camera, computed by the ReadingWorker), with the reading's controls; one line
instead, and the controls disabled, for worlds without depth."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QStackedWidget, QWidget

from app.launcher.tiles import TILE, fit, to_pixmap
from app.launcher.workers import ReadingWorker, worker_thread
from engine.runtime.picture_settings import SETTING_RANGES, PictureSettings

READING_WIDTH = 320                         # the moving preview is computed this wide, at the world's aspect
READING_FPS = 12
READING_DELAY_MS = 150                      # a control's changes are read once it rests this long
NO_DEPTH = "This world reads pictures without depth"


class ReadingControl(NamedTuple):
    """One of the reading's controls; its range is the runtime's (SETTING_RANGES, as scenes and the player check
    it) and its default PictureSettings'."""
    option: str                             # the player's option
    label: str
    step: float
    decimals: int


READING_CONTROLS = {"depth_scale": ReadingControl("--depth-scale", "Depth", 0.1, 2),
                    "eye_height": ReadingControl("--eye-height", "Eye height", 1.0, 0),
                    "field_of_view": ReadingControl("--fov", "Field of view", 5.0, 0)}


class ReadingPanel:
    """The world's reading of the prompt (a part of the Launcher window): it owns the reading's tiles, controls,
    timers and the ReadingWorker's thread; a reading is asked for once the controls rest, and an answer to an
    older request (another world, picture or setting) is dropped."""

    def init_reading(self) -> None:
        self.reads_depth = False                  # the chosen world has a depth network: its reading is shown
        self.reading_requests = 0
        self.reading_pending = False              # a reading asked for has not come back yet
        self.reading_frames: list[QPixmap] = []
        self.reading_frame = 0

    def build_reading(self, picture: QLabel) -> QWidget:
        """``picture`` (the prompt's tile) beside the world's reading of it, the reading's controls under it."""
        area = QWidget()
        grid = QGridLayout(area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("What the world starts from:"), 0, 0)
        grid.addWidget(QLabel("World's reading:"), 0, 1)
        grid.addWidget(picture, 1, 0, Qt.AlignmentFlag.AlignTop)
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
        grid.addLayout(self.build_reading_controls(), 2, 0)
        grid.setColumnStretch(1, 1)
        self.reading_delay = QTimer(self, singleShot=True, interval=READING_DELAY_MS)
        self.reading_delay.timeout.connect(self.request_reading)
        self.reading_timer = QTimer(self, interval=round(1000 / READING_FPS))
        self.reading_timer.timeout.connect(self.next_reading_frame)
        self.show_reading_available(False)
        return area

    def build_reading_controls(self) -> QFormLayout:
        controls = QFormLayout()
        defaults = PictureSettings()
        self.reading_controls: dict[str, QDoubleSpinBox] = {}
        for name, control_of in READING_CONTROLS.items():
            low, high = SETTING_RANGES[name]
            control = QDoubleSpinBox(minimum=low, maximum=high, singleStep=control_of.step,
                                     decimals=control_of.decimals, value=getattr(defaults, name))
            control.setKeyboardTracking(False)            # typed values count once complete
            control.valueChanged.connect(self.schedule_reading)
            controls.addRow(control_of.label, control)
            self.reading_controls[name] = control
        self.reading_controls["depth_scale"].setPrefix("× ")
        self.reading_controls["depth_scale"].setToolTip("The depth the world sees, multiplied: larger is farther")
        self.reading_controls["eye_height"].setToolTip("Map units from the eye down to the floor in the picture "
                                                       "(where the floor is for walking; the preview is the same)")
        self.reading_controls["field_of_view"].setSuffix("°")
        self.reading_controls["field_of_view"].setToolTip("Degrees across the picture's width")
        return controls

    def start_reading_worker(self) -> None:
        self.reading_worker = ReadingWorker()
        self.compute_reading.connect(self.reading_worker.compute)
        self.reading_worker.ready.connect(self.reading_ready)
        self.reading_thread = worker_thread(self, self.reading_worker)

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
        return PictureSettings(**{name: control.value() for name, control in self.reading_controls.items()})

    def reading_arguments(self) -> list[str]:
        """The player's options for the reading's controls that differ from the defaults (worlds with depth)."""
        if not self.reads_depth:
            return []
        defaults, arguments = PictureSettings(), []
        for name, control_of in READING_CONTROLS.items():
            value = self.reading_controls[name].value()
            if value != getattr(defaults, name):
                arguments += [control_of.option, f"{value:g}"]
        return arguments

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
