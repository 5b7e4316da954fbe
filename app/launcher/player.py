"""The player panel: the player as a separate process (QProcess) started from a picture or a kept scene, its
output streamed into the log (Python's warnings left out), and the clips, screenshots and scenes it saved."""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QFileDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QVBoxLayout, QWidget)

from app.launcher.paths import ROOT
from app.settings import readable_folder, save_settings

SCENE_SUFFIX = ".dwscene"                   # a scene kept in the player (F6)
RECORDING_SUFFIXES = {".mp4", ".png", SCENE_SUFFIX}    # the player's clips, screenshots and kept scenes
SAVED_PREFIX = "dreamwalk: saved "          # the player's line for each clip, screenshot or scene it saves
# Python's warnings ("player.py:12: RuntimeWarning: ..."), such as pygame's after a fullscreen toggle: a
# library's note to its programmers, left out of the log the artist reads (the player's own errors stay).
WARNING_LINE = re.compile(r"^\S.*:\d+: \w*Warning: ")


def readable_size(size: int) -> str:
    """A file's size as people read it: "12 KB" under a tenth of a megabyte (never "0.0 MB"), else "3.4 MB"."""
    if size < 100_000:
        return f"{max(1, round(size / 1000)) if size else 0} KB"
    return f"{size / 1e6:.1f} MB"


class PlayerPanel:
    """The player process and its recordings (a part of the Launcher window). It owns ``process``, ``saved``
    (what the running player saved) and ``checking_scene`` (a scene being checked, to start once it opens)."""

    def init_player(self) -> None:
        self.process: QProcess | None = None
        self.saved: list[Path] = []
        self.checking_scene: str | None = None

    def build_recordings(self) -> QWidget:
        area = QWidget()
        layout = QVBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        self.recordings_label = QLabel()
        self.recordings_label.setWordWrap(True)
        layout.addWidget(self.recordings_label)
        self.recordings = QListWidget()
        # A name wider than the list loses its middle, not its end: the size stays in view (the tooltip has it all).
        self.recordings.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.recordings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recordings.itemDoubleClicked.connect(lambda item: self.open_recording(Path(item.data(Qt.UserRole))))
        layout.addWidget(self.recordings, 1)
        folder_button = QPushButton("Open recordings folder")
        folder_button.clicked.connect(self.open_recordings_folder)
        layout.addWidget(folder_button)
        return area

    def player_arguments(self, start: list[str]) -> list[str]:
        """The player's command line after the interpreter: ``start`` (--play IMAGE or --scene SCENE), the chosen
        world and the launcher's settings."""
        s = self.collect_settings()
        # A packaged app is its own interpreter: its executable takes main.py's arguments directly.
        entry = [] if getattr(sys, "frozen", False) else [str(ROOT / "main.py")]
        arguments = entry + start + ["--world", str(self.world), "--device", s.device,
                                     "--scale", str(s.window_scale), "--output", str(s.recordings())]
        if s.guidance_scale:
            arguments += ["--guidance", str(s.guidance_scale)]
        if s.dream_idle:
            arguments.append("--dream-idle")
        if s.display_size != "auto" and self.reads_depth:        # only a world with a memory shows any size
            arguments += ["--size", s.display_size]
        if s.smooth:
            arguments.append("--smooth")
        return arguments

    def play_arguments(self, extra: list[str] | None = None) -> list[str]:
        return self.player_arguments(["--play", str(self.prompt)]) + self.reading_arguments() + (extra or [])

    def scene_arguments(self, scene: str, world: Path | None = None) -> list[str]:
        """The player's arguments to go on from ``scene`` in ``world`` (default: the chosen world); it keeps its
        own reading."""
        arguments = self.player_arguments(["--scene", scene])
        if world is not None:
            arguments[arguments.index("--world") + 1] = str(world)
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
        """Check the scene at ``path`` in the loader's thread, then go on from it in the world it was kept in
        (scene_checked); a scene that cannot be opened is its one line here, and nothing starts."""
        if not self.world:
            self.say("choose a world first")
            return
        if self.player_running():
            return
        self.checking_scene = str(path)
        self.say(f"opening {path.name}...")
        self.check_scene.emit(str(path))

    def scene_checked(self, path: str, problem: str, world: tuple | None) -> None:
        """A scene goes on in the world it was kept in, found here whichever world is chosen. Where that world is
        not here (or a scene of format 1 names another world than the chosen one), the person chooses: the
        chosen world, or nothing."""
        if path != self.checking_scene:
            return                                    # another scene was chosen since
        self.checking_scene = None
        if problem:
            self.say(problem)
            return
        if not self.world or self.player_running():
            return
        mark, own = world
        name = Path(path).name
        if own is not None:
            if Path(own).resolve() != Path(self.world).resolve():
                self.log.appendPlainText(f"{name} opens in the world it was kept in, {mark.name} ({own})")
            self.start_player(self.scene_arguments(path, own))
            return
        chosen = self.world_name(self.world)
        if not mark.digest and mark.name == chosen:   # a scene of format 1 in the world of its name
            self.start_player(self.scene_arguments(path))
            return
        line = (f"{name} was kept in the world '{mark.name}', which is not here" if mark.digest
                else f"{name} was kept in the world '{mark.name}', not in {chosen}")
        if self.ask_other_world(line, chosen):
            self.start_player(self.scene_arguments(path))
        else:
            self.say(f"{line}: not opened")

    def ask_other_world(self, line: str, chosen: str) -> bool:
        """Whether the person opens a scene in the chosen world instead of its own."""
        box = QMessageBox(QMessageBox.Icon.Question, "Open scene", line + ".", parent=self)
        box.setInformativeText(f"Open it in the chosen world, {chosen}? It plays the scene's picture, depth and "
                               "memory there, as that world dreams them.")
        other = box.addButton(f"Open in {chosen}", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(other)
        box.exec()
        return box.clickedButton() is other

    @staticmethod
    def world_name(pack: Path) -> str:
        """A world's name as its manifest gives it (the pack's file name where it cannot be read)."""
        from engine.errors import DreamwalkError
        from engine.pack import read_pack_manifest

        try:
            return str(read_pack_manifest(pack)["name"])
        except DreamwalkError:
            return Path(pack).stem

    def start_player(self, arguments: list[str]) -> None:
        save_settings(self.collect_settings(), self.settings_file)      # the player reads the keys from there
        self.saved = []
        self.output_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.output_rest, self.in_warning = "", False
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self.show_output)
        self.process.finished.connect(self.player_finished)
        self.process.start(sys.executable, arguments)
        self.play_button.setEnabled(False)
        self.say("starting the player...")

    def show_output(self, last: bool = False) -> None:
        """The player's output, whole lines at a time (a line may come in two reads), into the log, without
        Python's warnings; a line saying a file was saved is remembered and said. ``last``: the exit, so the
        line still open is whole too."""
        text = self.output_rest + self.output_decoder.decode(bytes(self.process.readAllStandardOutput()), final=last)
        lines = text.replace("\r\n", "\n").split("\n")
        self.output_rest = "" if last else lines.pop()
        shown = []
        for line in lines:
            # A warning is its line and the indented source line under it; an error's traceback starts unindented.
            self.in_warning = bool(WARNING_LINE.match(line)) or (self.in_warning and line[:1] in (" ", "\t"))
            if not self.in_warning:
                shown.append(line)
        text = "\n".join(shown).strip("\n")          # a traceback's indented lines keep their indent
        if text:
            self.log.appendPlainText(text)
        for line in shown:
            if line.startswith(SAVED_PREFIX):
                self.saved.append(Path(line[len(SAVED_PREFIX):].split(" ", 1)[1]))
                self.say(line[len("dreamwalk: "):])

    def player_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self.show_output(last=True)                      # the last lines may come with the exit
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
            item = QListWidgetItem(f"{path.name}  ({readable_size(path.stat().st_size)})")
            item.setData(Qt.UserRole, str(path))
            item.setToolTip(f"{path}\nDouble-click to " + ("go on from this scene in its world"
                                                            if path.suffix.lower() == SCENE_SUFFIX else "open it"))
            self.recordings.addItem(item)

    def open_recording(self, path: Path) -> None:
        """A kept scene goes on in its world; a clip or screenshot opens in the system's own app."""
        if path.suffix.lower() == SCENE_SUFFIX:
            self.open_scene_file(path)
        else:
            self.open_path(path)

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
