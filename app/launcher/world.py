"""The world panel: the bundled worlds and the user's, the chosen world's details from its manifest, and
importing a world pack (verified and copied in the WorldImporter's thread)."""

from __future__ import annotations

from collections import deque
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QInputDialog, QLabel, QListWidget, QListWidgetItem, QMenu,
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from app.launcher.paths import BUNDLED_WORLDS, user_worlds
from app.launcher.workers import WorldImporter, worker_thread
from app.settings import readable_folder
from engine.pack import PACK_SUFFIX
from engine.reports import EvalReport

NOT_IN_NAMES = '/\\:*?"<>|'                # characters no file name may hold on some system the launcher runs on


def name_problem(name: str) -> str:
    """Why ``name`` cannot be a world's file name (before its .dwpack), or "" when it can."""
    if not name:
        return "a world needs a name"
    if name.startswith("."):
        return "a name starting with a dot would hide the world"
    if any(c in NOT_IN_NAMES or not c.isprintable() for c in name):
        return f"a world's name cannot hold any of {' '.join(NOT_IN_NAMES)}"
    return ""


def free_name(stem: str, taken: set[str]) -> str:
    """``stem`` with the first number from 2 that makes a file name (stem-N.dwpack) not in ``taken``."""
    number = 2
    while f"{stem}-{number}{PACK_SUFFIX}" in taken:
        number += 1
    return f"{stem}-{number}{PACK_SUFFIX}"


def metrics_summary(metrics: dict) -> str:
    """One line of a pack's evaluation for people: quality 16 frames ahead on maps (or rooms) it never saw."""
    try:
        summary = EvalReport.from_json(metrics).summary()
    except (KeyError, TypeError, ValueError, AttributeError):
        summary = None
    return summary or "not evaluated yet"


class WorldPanel:
    """The launcher's worlds (a part of the Launcher window). It owns ``world`` (the pack Play starts), its frame
    size, and the importer's thread; ``imports_pending`` counts the packs still being verified, and
    ``import_targets`` holds where each is copied, in the order they were asked for (the importer answers in that
    order). The user's worlds can be renamed and removed from the list's context menu; the bundled ones stay."""

    def init_worlds(self) -> None:
        self.world: Path | None = None
        self.world_frame_size = (64, 48)
        self.imports_pending = 0
        self.import_targets: deque[Path] = deque()

    def build_worlds(self) -> QWidget:
        box = QGroupBox("World")
        layout = QVBoxLayout(box)
        self.worlds = QListWidget()
        self.worlds.setTextElideMode(Qt.TextElideMode.ElideMiddle)           # "(yours)" stays in view
        self.worlds.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.worlds.currentItemChanged.connect(lambda item, _: item and self.choose_world(Path(item.data(Qt.UserRole))))
        self.worlds.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.worlds.customContextMenuRequested.connect(self.show_world_menu)
        layout.addWidget(self.worlds, 1)
        import_button = QPushButton("Import world...")
        import_button.clicked.connect(self.import_world)
        layout.addWidget(import_button)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        layout.addWidget(self.build_recordings(), 1)
        return box

    def frame_size(self) -> tuple[int, int]:
        return self.world_frame_size

    def start_world_importer(self) -> None:
        self.importer = WorldImporter()
        self.import_pack.connect(self.importer.import_pack)
        self.importer.imported.connect(self.world_imported)
        self.import_thread = worker_thread(self, self.importer)

    def refresh_worlds(self, select: Path | None = None) -> None:
        """List the bundled worlds and the user's, and choose ``select``, or else the world chosen before, or else
        the first."""
        from engine.runtime.session import bundled_worlds

        keep = str(select or self.world)
        self.worlds.clear()
        packs = [(p, "bundled") for p in bundled_worlds(BUNDLED_WORLDS)]
        folder = user_worlds()
        packs += [(p, "yours") for p in sorted(folder.glob(f"*{PACK_SUFFIX}"))] if folder.exists() else []
        for path, origin in packs:
            item = QListWidgetItem(f"{path.stem} ({origin})")
            item.setData(Qt.UserRole, str(path))
            item.setToolTip(f"{path.stem}: {path}")
            self.worlds.addItem(item)
        rows = [row for row, (path, _) in enumerate(packs) if str(path) == keep]
        if packs:
            self.worlds.setCurrentRow(rows[0] if rows else 0)
        else:
            self.world = None
            self.show_reading_available(False)
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
        self.world_frame_size = (int(frame["width"]), int(frame["height"]))
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

    def import_world_file(self, path: Path) -> None:
        """Verify a pack, then copy it into the user's worlds folder, in the importer's thread (hashing a large
        world takes seconds); the list of worlds, with the new world chosen, and the message follow when it
        answers. A world of the same name there already is replaced only if the person says so."""
        path = Path(path)
        target = self.import_target(path)
        if target is None:
            return
        self.imports_pending += 1
        self.import_targets.append(target)
        self.say(f"importing {path.name}...")
        self.import_pack.emit(str(path), str(target))

    def import_target(self, path: Path) -> Path | None:
        """Where the pack at ``path`` is copied: its own name among the user's worlds or, when a world has that name
        already, what the person answers: replace it, keep both (the new one under a free name), or cancel (None)."""
        folder = user_worlds()
        target = folder / f"{path.stem}{PACK_SUFFIX}"
        taken = {p.name for p in folder.glob(f"*{PACK_SUFFIX}")} if folder.exists() else set()
        taken |= {pending.name for pending in self.import_targets}
        if target.name not in taken:
            return target
        if target.exists() and path.resolve() == target.resolve():
            self.refresh_worlds(select=target)
            self.say(f"{path.stem} is one of your worlds already")
            return None
        both = folder / free_name(path.stem, taken)
        box = QMessageBox(QMessageBox.Icon.Question, "Import a world", f"You have a world named {path.stem} already.",
                          parent=self)
        box.setInformativeText(f"Replace it with the one from {readable_folder(path.parent)}, or keep both "
                               f"(the new one as {both.stem})?")
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        keep_both = box.addButton("Keep both", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep_both)
        box.exec()
        answer = {replace: target, keep_both: both}.get(box.clickedButton())
        if answer is None:
            self.say(f"{path.name} was not imported")
        return answer

    def world_imported(self, path: str, problem: str) -> None:
        self.imports_pending -= 1
        target = self.import_targets.popleft()
        if problem:
            self.say(f"{Path(path).name} was not imported: {problem}")
            return
        self.refresh_worlds(select=target)
        line = f"imported {Path(path).name}" + (f" as {target.stem}" if target.stem != Path(path).stem else "")
        self.log.appendPlainText(line)                # the message line moves on; the log keeps it
        self.say(line)

    def users_world(self, path: Path) -> bool:
        return path.parent.resolve() == user_worlds().resolve()

    def show_world_menu(self, position: QPoint) -> None:
        item = self.worlds.itemAt(position)
        if item is not None:
            self.world_menu(Path(item.data(Qt.UserRole))).exec(self.worlds.viewport().mapToGlobal(position))

    def world_menu(self, path: Path) -> QMenu:
        """Rename and remove for the user's worlds; a bundled world's are disabled, with the reason."""
        menu = QMenu(self)
        rename = menu.addAction("Rename...", lambda: self.rename_world(path))
        remove = menu.addAction("Remove...", lambda: self.remove_world(path))
        if not self.users_world(path):
            rename.setEnabled(False)
            remove.setEnabled(False)
            menu.addSeparator()
            menu.addAction("Bundled with Dreamwalk: it stays as it is").setEnabled(False)
        return menu

    def rename_world(self, path: Path) -> None:
        """Rename the user's world at ``path`` (its file in the worlds folder) to a name the person types."""
        if not self.users_world(path):
            self.say(f"{path.stem} is bundled with Dreamwalk and cannot be renamed")
            return
        name, ok = QInputDialog.getText(self, "Rename world", f"New name for {path.stem}:", text=path.stem)
        name = name.strip()
        if not ok or name == path.stem:
            return
        target = path.with_name(f"{name}{PACK_SUFFIX}") if not name_problem(name) else path
        problem = name_problem(name) or self.move_world(path, target)
        if problem:
            self.say(f"{path.stem} was not renamed: {problem}")
            return
        self.refresh_worlds(select=target if self.world == path else None)
        self.say(f"renamed {path.stem} to {name}")

    @staticmethod
    def move_world(path: Path, target: Path) -> str:
        """Rename the file at ``path`` to ``target``; why it was not, or "" when it was."""
        if target.exists() and not target.samefile(path):       # the same file: only the name's case changes
            return f"there is a world named {target.stem} already"
        try:
            path.rename(target)
        except OSError as error:
            return f"{error.strerror or error} ({readable_folder(path.parent)})"
        return ""

    def remove_world(self, path: Path) -> None:
        """Delete the user's world at ``path`` once the person confirms; the bundled worlds cannot be removed."""
        if not self.users_world(path):
            self.say(f"{path.stem} is bundled with Dreamwalk and cannot be removed")
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Remove world", f"Remove the world {path.stem}?", parent=self)
        box.setInformativeText(f"Its file {path.name} is deleted from {readable_folder(path.parent)}.")
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not remove:
            return
        try:
            path.unlink()
        except OSError as error:
            self.say(f"{path.stem} was not removed: {error.strerror or error} ({readable_folder(path.parent)})")
            return
        if self.world == path:
            self.world = None
        self.refresh_worlds()
        self.say(f"removed {path.stem}")
