"""The world panel: the bundled worlds and the user's, the chosen world's details from its manifest, and
importing a world pack (verified and copied in the WorldImporter's thread)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout,
                               QWidget)

from app.launcher.paths import BUNDLED_WORLDS, user_worlds
from app.launcher.workers import WorldImporter, worker_thread


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


class WorldPanel:
    """The launcher's worlds (a part of the Launcher window). It owns ``world`` (the pack Play starts), its frame
    size, and the importer's thread; ``imports_pending`` counts the packs still being verified."""

    def init_worlds(self) -> None:
        self.world: Path | None = None
        self.world_frame_size = (64, 48)
        self.imports_pending = 0

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
        layout.addWidget(self.build_recordings(), 1)
        return box

    def frame_size(self) -> tuple[int, int]:
        return self.world_frame_size

    def start_world_importer(self) -> None:
        self.importer = WorldImporter()
        self.import_pack.connect(self.importer.import_pack)
        self.importer.imported.connect(self.world_imported)
        self.import_thread = worker_thread(self, self.importer)

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
        world takes seconds); the list of worlds and the message follow when it answers."""
        self.imports_pending += 1
        self.say(f"importing {path.name}...")
        self.import_pack.emit(str(path), str(user_worlds()))

    def world_imported(self, path: str, problem: str) -> None:
        self.imports_pending -= 1
        if problem:
            self.say(f"{Path(path).name} was not imported: {problem}")
            return
        self.refresh_worlds()
        self.say(f"imported {Path(path).name}")
