"""The launcher's workers: each a QObject moved to a thread of its own, answering by signal, so that decoding a
picture or its thumbnail, checking a scene, reading a picture, verifying a world pack and probing the devices never
block the Qt thread."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

if TYPE_CHECKING:
    from engine.runtime.depth_brush import DepthEdit
    from engine.runtime.picture_settings import PictureSettings


def worker_thread(parent: QObject, *workers: QObject) -> QThread:
    """A started thread of ``parent``'s that ``workers`` live in: their slots, reached by queued signals, run
    there, never on the Qt thread."""
    thread = QThread(parent)
    for worker in workers:
        worker.moveToThread(thread)
    thread.start()
    return thread


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


class ThumbnailMaker(QObject):
    """Makes the gallery's thumbnails off the Qt thread, as play decodes the picture (transparency on the same
    background, turned by its EXIF, cropped to the thumbnail's aspect); ``made`` carries (path, (h, w, 3) uint8 or
    the reason the picture cannot be a prompt)."""

    made = Signal(str, object)

    def make(self, path: str, size: tuple) -> None:
        from engine.errors import DreamwalkError
        from engine.runtime.images import load_prompt

        try:
            self.made.emit(path, load_prompt(path, size))
        except DreamwalkError as error:
            self.made.emit(path, str(error))


class SceneCheck(QObject):
    """Opens a scene file off the Qt thread (a scene's memory is megabytes) and looks for the world it was kept
    in (engine.runtime.worlds: where it was, else by its digest among the bundled worlds and the user's);
    ``checked`` carries (path, the reason it cannot be opened or "" when it can, and then (the scene's
    WorldMark, its world's pack or None where none is found))."""

    checked = Signal(str, str, object)

    def check(self, path: str) -> None:
        from app.launcher.paths import user_worlds
        from engine.runtime.scene import SceneError, open_scene
        from engine.runtime.worlds import find_world

        try:
            scene = open_scene(path)
        except SceneError as error:
            self.checked.emit(path, str(error), None)
            return
        self.checked.emit(path, "", (scene.world_mark, find_world(scene.world_mark, [user_worlds()])))


class WorldImporter(QObject):
    """Verifies a world pack (opening it hashes every graph: seconds for a large world) and copies it to a file,
    off the Qt thread; ``imported`` carries (path, the reason it was not imported, or "" when it was).
    The copy is written beside its name first, so a half-copied pack never shows in the list of worlds, and one
    that replaces a world replaces it whole."""

    imported = Signal(str, str)

    def import_pack(self, path: str, copy_to: str) -> None:
        from engine.errors import DreamwalkError
        from engine.files import replacing
        from engine.pack import open_pack

        source, target = Path(path), Path(copy_to)
        try:
            open_pack(source).close()
            with replacing(target) as partial:
                shutil.copyfile(source, partial)
        except (DreamwalkError, OSError) as error:
            self.imported.emit(path, str(error))
            return
        self.imported.emit(path, "")


class ReadingWorker(QObject):
    """Computes how a world reads a picture (engine.runtime.preview) off the Qt thread, keeping the last world's
    depth network and the last picture; ``ready`` carries (request number, {"depth": (h, w) float32, the depth
    the world plays before the brush's work, "far": where it puts a sky, "frames": [(h, w, 3) uint8, ...] with
    the brush's work} or the reason there is no reading). ``keep_scene`` writes a scene of the picture read
    with the brush's work, for the player to start from; ``kept`` carries (request number, the scene's path,
    the reason it was not written or "")."""

    ready = Signal(int, object)
    kept = Signal(int, str, str)

    def __init__(self) -> None:
        super().__init__()
        self.world: str | None = None
        self.preview = None
        self.picture_key: tuple | None = None
        self.picture = None

    def open_world(self, world: str) -> None:
        from engine.runtime.preview import PicturePreview

        if world != self.world:
            self.preview = PicturePreview(world)
            self.world = world

    def compute(self, request: int, world: str, prompt: str, size: tuple, settings: PictureSettings,
                edit: DepthEdit | None) -> None:
        from engine.errors import DreamwalkError
        from engine.runtime.images import load_prompt

        try:
            self.open_world(world)
            key = (prompt, size, settings.field_of_view, settings.panorama_span)
            if key != self.picture_key:                   # (a panorama's first view depends on both)
                self.picture = load_prompt(prompt, size, settings.field_of_view, settings.panorama_span)
                self.picture_key = key
            result = {"depth": self.preview.read(self.picture, settings), "far": self.preview.far,
                      "frames": self.preview.parallax(self.picture, settings, size, edit=edit)}
        except DreamwalkError as error:
            result = str(error)
        except Exception as error:  # any failure is reported in the window, never raised into Qt
            result = f"the world's reading failed: {error}"
        self.ready.emit(request, result)

    def keep_scene(self, request: int, world: str, prompt: str, size: tuple, settings: PictureSettings,
                   edit: DepthEdit | None, path: str) -> None:
        """Write a scene at ``path`` of ``prompt`` in ``world`` (whose frames are ``size``), the picture at the
        resolution play draws it at and its depth read as play reads it, with the brush's ``edit``."""
        from engine.errors import DreamwalkError
        from engine.runtime.images import load_panorama, load_prompt
        from engine.runtime.memory import panorama_focal, surface_size
        from engine.runtime.scene import save_scene

        try:
            self.open_world(world)
            picture = load_prompt(prompt, surface_size(tuple(size)), settings.field_of_view, settings.panorama_span)
            # A panorama is kept whole: the scene's world lies round it as play's does.
            panorama = load_panorama(prompt, settings.field_of_view,
                                     panorama_focal(tuple(size), settings.field_of_view), settings.panorama_span)
            save_scene(path, self.preview.scene(picture, settings, edit, source=Path(prompt).name,
                                                whole=None if panorama is None else panorama[0]))
        except DreamwalkError as error:
            self.kept.emit(request, path, str(error))
            return
        except Exception as error:  # any failure is reported in the window, never raised into Qt
            self.kept.emit(request, path, f"the painted depth could not be kept: {error}")
            return
        self.kept.emit(request, path, "")
