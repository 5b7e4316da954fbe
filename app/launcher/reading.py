"""The reading panel: the picture as the world starts from it, beside the world's reading of it (the depth it
plays, the floor at the eye height tinted, and the picture seen from a swaying camera, computed by the
ReadingWorker), with the reading's controls and a depth brush; one line instead, and the controls disabled, for
worlds without depth. Play with the brush's work starts the player from a scene that carries it."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel,
                               QPushButton, QRadioButton, QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from app.launcher.tiles import TILE, fit, to_pixmap
from app.launcher.workers import ReadingWorker, worker_thread
from app.settings import config_folder
from engine.memory.reading import floor_depth
from engine.runtime.depth_brush import FARTHER, NEARER, DepthEdit
from engine.runtime.picture_settings import SETTING_RANGES, PictureSettings
from engine.runtime.preview import PicturePreview

READING_WIDTH = 320                         # the moving preview is computed this wide, at the world's aspect
READING_FPS = 12
READING_DELAY_MS = 150                      # a control's changes are read once it rests this long
NO_DEPTH = "This world reads pictures without depth"
LEGEND = "bright: near · dark: far"
FLOOR_LEGEND = "cyan: the floor, eye height below"
BRUSH_SIZES = (2, 50, 15)                   # the brush's radius, % of the picture's width: least, most, default
PAINTED_SCENES = "painted"                  # the config folder's folder of scenes Play writes for painted depth


class ReadingControl(NamedTuple):
    """One of the reading's controls; its range is the runtime's (SETTING_RANGES, as scenes and the player check
    it) and its default PictureSettings'."""
    option: str                             # the player's option
    label: str
    step: float
    decimals: int


READING_CONTROLS = {"relief": ReadingControl("--relief", "Depth", 0.1, 2),
                    "depth_scale": ReadingControl("--depth-scale", "Size", 0.1, 2),
                    "eye_height": ReadingControl("--eye-height", "Eye height", 1.0, 0),
                    "field_of_view": ReadingControl("--fov", "Field of view", 5.0, 0),
                    "panorama_span": ReadingControl("--span", "Panorama", 5.0, 0)}
READING_SWITCHES = {"sky_far": ("--sky-near", "Sky far")}    # a switch's option turns its default off


class DepthCanvas(QLabel):
    """The depth map, painted on with the mouse: ``stroke_started`` (whether the right button began it: the other
    way), then ``stroke_moved`` with (x, y), shares of the picture's width and height, while a button is held,
    and ``stroke_ended``."""

    stroke_started = Signal(bool)
    stroke_moved = Signal(float, float)
    stroke_ended = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.painting: Qt.MouseButton | None = None
        self.paintable = False

    def picture_point(self, position: QPointF) -> tuple[float, float] | None:
        pixmap = self.pixmap()
        if pixmap.isNull():
            return None
        area = self.contentsRect()           # the pixmap is drawn at its size, centred
        left = area.x() + (area.width() - pixmap.width()) / 2
        top = area.y() + (area.height() - pixmap.height()) / 2
        return (position.x() - left) / pixmap.width(), (position.y() - top) / pixmap.height()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        point = self.picture_point(event.position())
        buttons = (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton)
        if not self.paintable or point is None or self.painting is not None or event.button() not in buttons:
            return super().mousePressEvent(event)
        self.painting = event.button()
        self.stroke_started.emit(event.button() == Qt.MouseButton.RightButton)
        self.stroke_moved.emit(*point)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        point = self.picture_point(event.position())
        if self.painting is not None and point is not None:
            self.stroke_moved.emit(*point)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.painting is not None and event.button() == self.painting:
            self.painting = None
            self.stroke_ended.emit()


class ReadingPanel:
    """The world's reading of the prompt (a part of the Launcher window): it owns the reading's tiles, controls,
    timers and the ReadingWorker's thread; a reading is asked for once the controls rest, and an answer to an
    older request (another world, picture or setting) is dropped."""

    def init_reading(self) -> None:
        self.reads_depth = False                  # the chosen world has a depth network: its reading is shown
        self.prompt_is_panorama = False           # the chosen picture is a panorama: how far round it reaches shown
        self.reading_requests = 0
        self.reading_pending = False              # a reading asked for has not come back yet
        self.reading_frames: list[QPixmap] = []
        self.reading_frame = 0
        self.reading_depth: np.ndarray | None = None          # the depth the world plays, before the brush
        self.reading_far = 0.0                                 # where the world puts a sky
        self.reading_of: tuple[str, str] | None = None         # (picture, world) of the reading shown
        self.depth_edits: dict[tuple[str, str], DepthEdit] = {}     # the brush's work, by (picture, world)
        self.scene_requests = 0
        self.keeping_scene: list[str] | None = None            # the player's extra arguments, while a painted
                                                               # scene is written for it

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
        self.depth_view, self.moving_view = DepthCanvas(), QLabel()
        self.depth_view.setToolTip("The depth the world plays: near is bright, far is dark; the floor at the eye "
                                   "height is cyan. Paint on it: left-drag nearer, right-drag farther")
        self.depth_view.setCursor(Qt.CursorShape.CrossCursor)
        self.depth_view.stroke_started.connect(self.start_stroke)
        self.depth_view.stroke_moved.connect(self.paint_stroke)
        self.depth_view.stroke_ended.connect(self.end_stroke)
        self.moving_view.setToolTip("The picture as a place: the camera sways beside where the player starts")
        for view in (self.depth_view, self.moving_view):
            view.setFixedSize(*TILE)
            view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        depth_column = QVBoxLayout()
        depth_column.setSpacing(2)
        depth_column.addWidget(self.depth_view)
        depth_column.addLayout(self.build_legend())
        depth_column.addStretch(1)
        row.addLayout(depth_column)
        row.addWidget(self.moving_view, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)
        self.reading_line = QLabel(NO_DEPTH)
        self.reading_line.setWordWrap(True)
        self.reading_line.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.reading_pages.addWidget(tiles)
        self.reading_pages.addWidget(self.reading_line)
        grid.addWidget(self.reading_pages, 1, 1)
        grid.addLayout(self.build_reading_controls(), 2, 0)
        grid.addLayout(self.build_brush(), 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        self.reading_delay = QTimer(self, singleShot=True, interval=READING_DELAY_MS)
        self.reading_delay.timeout.connect(self.request_reading)
        self.reading_timer = QTimer(self, interval=round(1000 / READING_FPS))
        self.reading_timer.timeout.connect(self.next_reading_frame)
        self.show_reading_available(False)
        return area

    def build_legend(self) -> QVBoxLayout:
        """What the depth map's shades mean: its colour ramp from near to far, and the floor's tint."""
        legend = QVBoxLayout()
        legend.setSpacing(1)
        ramp = QLabel()
        ramp.setPixmap(to_pixmap(PicturePreview.colour_ramp(TILE[0], 8)))
        words = QLabel(LEGEND)
        floor = QLabel(FLOOR_LEGEND)
        for label in (words, floor):
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * 0.85)
            label.setFont(font)
        legend.addWidget(ramp)
        legend.addWidget(words)
        legend.addWidget(floor)
        self.legend_labels = (ramp, words, floor)
        return legend

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
        self.reading_controls["relief"].setToolTip("How deep the picture reads: 0 flat, 1 as the world reads it, "
                                                   "more is deeper")
        self.reading_controls["depth_scale"].setPrefix("× ")
        self.reading_controls["depth_scale"].setToolTip("How large the place is: larger, and walking across it "
                                                        "takes longer")
        self.reading_controls["eye_height"].setToolTip("Map units from the eye down to the floor in the picture "
                                                       "(the floor you walk on: cyan on the depth map)")
        self.reading_controls["field_of_view"].setSuffix("°")
        self.reading_controls["field_of_view"].setToolTip("Degrees across the picture's width")
        span = self.reading_controls["panorama_span"]
        span.setSuffix("° round")
        span.setSpecialValueText("as its shape says")          # 0
        span.setToolTip("How far round a panorama reaches (a picture twice as wide as high or wider); "
                        "0: as its shape says")
        span.setEnabled(False)                                   # until a panorama is chosen
        self.reading_switches: dict[str, QCheckBox] = {}
        for name, (_, label) in READING_SWITCHES.items():
            switch = QCheckBox(checked=getattr(defaults, name))
            switch.toggled.connect(self.schedule_reading)
            controls.addRow(label, switch)
            self.reading_switches[name] = switch
        self.reading_switches["sky_far"].setToolTip("The sky, sun and moon read far")
        return controls

    def build_brush(self) -> QVBoxLayout:
        """The depth brush: which way a left-drag paints (a right-drag paints the other), its size, undo and
        clear."""
        brush = QVBoxLayout()
        brush.addWidget(QLabel("Paint depth on the map:"))
        ways = QHBoxLayout()
        self.brush_nearer, self.brush_farther = QRadioButton("Nearer", checked=True), QRadioButton("Farther")
        self.brush_nearer.setToolTip("A left-drag brings what it covers nearer (a right-drag pushes it farther)")
        self.brush_farther.setToolTip("A left-drag pushes what it covers farther (a right-drag brings it nearer)")
        self.brush_ways = QButtonGroup(self)
        for button in (self.brush_nearer, self.brush_farther):
            self.brush_ways.addButton(button)
            ways.addWidget(button)
        ways.addStretch(1)
        brush.addLayout(ways)
        buttons = QHBoxLayout()
        low, high, default = BRUSH_SIZES
        self.brush_size = QSpinBox(minimum=low, maximum=high, value=default, suffix=" %")
        self.brush_size.setToolTip("The brush's radius, of the picture's width")
        self.brush_undo, self.brush_clear = QPushButton("Undo"), QPushButton("Clear")
        self.brush_undo.clicked.connect(self.undo_stroke)
        self.brush_clear.clicked.connect(self.clear_strokes)
        buttons.addWidget(QLabel("Brush"))
        buttons.addWidget(self.brush_size)
        buttons.addWidget(self.brush_undo)
        buttons.addWidget(self.brush_clear)
        buttons.addStretch(1)
        brush.addLayout(buttons)
        self.brush_widgets = (self.brush_nearer, self.brush_farther, self.brush_size)
        return brush

    def start_reading_worker(self) -> None:
        self.reading_worker = ReadingWorker()
        self.compute_reading.connect(self.reading_worker.compute)
        self.keep_painted_scene.connect(self.reading_worker.keep_scene)
        self.reading_worker.ready.connect(self.reading_ready)
        self.reading_worker.kept.connect(self.painted_scene_kept)
        self.reading_thread = worker_thread(self, self.reading_worker)

    def show_reading_available(self, available: bool) -> None:
        """The reading's tiles and controls for a world with depth; its one line, controls disabled, without."""
        self.reads_depth = available
        self.reading_requests += 1                    # a reading on its way is of another world
        self.reading_pending = False
        self.reading_timer.stop()
        self.reading_frames = []
        self.reading_depth, self.reading_of = None, None
        self.depth_view.clear()
        self.moving_view.clear()
        self.reading_line.setText(NO_DEPTH)
        self.reading_pages.setCurrentIndex(0 if available else 1)
        for control in [*self.reading_controls.values(), *self.reading_switches.values()]:
            control.setEnabled(available)
        self.reading_controls["panorama_span"].setEnabled(available and self.prompt_is_panorama)
        self.show_brush()
        self.schedule_reading()

    def picture_settings(self) -> PictureSettings:
        return PictureSettings(**{name: control.value() for name, control in self.reading_controls.items()},
                               **{name: switch.isChecked() for name, switch in self.reading_switches.items()})

    def reading_arguments(self) -> list[str]:
        """The player's options for the reading's controls that differ from the defaults (worlds with depth)."""
        if not self.reads_depth:
            return []
        defaults, arguments = PictureSettings(), []
        for name, control_of in READING_CONTROLS.items():
            value = self.reading_controls[name].value()
            if value != getattr(defaults, name):
                arguments += [control_of.option, f"{value:g}"]
        for name, (option, _) in READING_SWITCHES.items():
            if self.reading_switches[name].isChecked() != getattr(defaults, name):
                arguments.append(option)
        return arguments

    # The depth brush: its work is kept for each picture in each world, and shown at once on the depth map; the
    # moving preview follows once a stroke ends.

    def depth_edit(self, create: bool = False) -> DepthEdit | None:
        """The brush's work on the picture shown (None before a reading, or without work unless ``create``)."""
        if self.reading_of is None or self.reading_depth is None:
            return None
        if create and self.reading_of not in self.depth_edits:
            self.depth_edits[self.reading_of] = DepthEdit(self.reading_depth.shape)
        return self.depth_edits.get(self.reading_of)

    def played_edit(self) -> DepthEdit | None:
        """The brush's work on what Play starts (the chosen picture in the chosen world), where there is some."""
        edit = self.depth_edits.get((str(self.prompt), str(self.world)))
        return edit if self.reads_depth and edit is not None and edit.edited else None

    def show_depth(self) -> None:
        """The depth map as the world plays it: the reading, the brush's work, the floor at the eye height."""
        if self.reading_depth is None:
            return
        edit, settings = self.depth_edit(), self.picture_settings()
        depth = self.reading_depth if edit is None else edit.apply(self.reading_depth, self.reading_far)
        floor = floor_depth(depth.shape, settings.field_of_view, settings.eye_height)
        self.depth_view.setPixmap(fit(to_pixmap(PicturePreview.depth_image(depth, floor)), TILE))

    def show_brush(self) -> None:
        """The brush's controls for a reading shown; Undo and Clear where there is work."""
        shown = self.reads_depth and self.reading_depth is not None
        edit = self.depth_edit()
        self.depth_view.paintable = shown
        for widget in self.brush_widgets:
            widget.setEnabled(shown)
        self.brush_undo.setEnabled(shown and edit is not None and edit.can_undo)
        self.brush_clear.setEnabled(shown and edit is not None and edit.edited)

    def start_stroke(self, other_way: bool) -> None:
        nearer = self.brush_nearer.isChecked() != other_way
        edit = self.depth_edit(create=True)
        if edit is not None:
            edit.begin(NEARER if nearer else FARTHER)

    def paint_stroke(self, x: float, y: float) -> None:
        edit = self.depth_edit()
        if edit is not None:
            edit.paint(x, y, self.brush_size.value() / 100)
            self.show_depth()

    def end_stroke(self) -> None:
        edit = self.depth_edit()
        if edit is not None:
            edit.end()
            self.depth_changed()

    def undo_stroke(self) -> None:
        edit = self.depth_edit()
        if edit is not None and edit.undo():
            self.depth_changed()

    def clear_strokes(self) -> None:
        edit = self.depth_edit()
        if edit is not None:
            edit.clear()
            self.depth_changed()

    def depth_changed(self) -> None:
        self.show_depth()
        self.show_brush()
        self.schedule_reading()

    def play(self, extra: list[str] | None = None) -> None:
        """Play (PlayerPanel.play); with the brush's work on the picture, from a scene of it that carries the
        painted depth, written first in the ReadingWorker's thread (the config folder's PAINTED_SCENES)."""
        if self.keeping_scene is not None:
            self.say("still keeping the painted depth; the player starts in a moment")
            return
        if self.played_edit() is None or self.loading:
            super().play(extra)
            return
        if self.player_running():
            return
        self.settings.remember_image(self.prompt)
        self.scene_requests += 1
        self.keeping_scene = list(extra or [])
        self.play_button.setEnabled(False)
        path = config_folder() / PAINTED_SCENES / f"{Path(self.prompt).stem}.dwscene"
        self.say(f"keeping the painted depth of {Path(self.prompt).name}...")
        self.keep_painted_scene.emit(self.scene_requests, str(self.world), str(self.prompt), self.frame_size(),
                                     self.picture_settings(), self.played_edit().copy(), str(path))

    def painted_scene_kept(self, request: int, path: str, problem: str) -> None:
        if request != self.scene_requests or self.keeping_scene is None:
            return
        extra, self.keeping_scene = self.keeping_scene, None
        self.play_button.setEnabled(True)
        if problem:
            self.say(problem)
        elif self.world and not self.player_running():
            self.start_player(self.scene_arguments(path) + extra)

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
        edit = self.depth_edits.get((str(self.prompt), str(self.world)))
        self.compute_reading.emit(self.reading_requests, str(self.world), str(self.prompt), size,
                                  self.picture_settings(), None if edit is None else edit.copy())

    def reading_ready(self, request: int, result: dict | str) -> None:
        if request != self.reading_requests:
            return                                    # the controls, the picture or the world changed since
        self.reading_pending = False
        if isinstance(result, str):
            self.reading_timer.stop()
            self.reading_frames = []
            self.reading_depth, self.reading_of = None, None
            self.show_brush()
            self.reading_line.setText(result)
            self.reading_pages.setCurrentIndex(1)
            return
        self.reading_pages.setCurrentIndex(0)
        self.reading_depth, self.reading_far = result["depth"], result["far"]
        self.reading_of = (str(self.prompt), str(self.world))
        self.show_depth()
        self.show_brush()
        self.reading_frames = [fit(to_pixmap(frame), TILE) for frame in result["frames"]]
        self.reading_frame = 0
        self.moving_view.setPixmap(self.reading_frames[0])
        self.reading_timer.start()

    def next_reading_frame(self) -> None:
        if self.reading_frames:
            self.reading_frame = (self.reading_frame + 1) % len(self.reading_frames)
            self.moving_view.setPixmap(self.reading_frames[self.reading_frame])
