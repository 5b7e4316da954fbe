"""Scenes: what an artist keeps to come back to a world (``NAME.dwscene``).

A scene is the picture at its own resolution, its depth, the artist's settings, the seed, the camera's
pose and the world memory after exploring. On disk it is one zip (deflate) of exactly these members:

    scene.json                  format version, world (name, digest, pack's path), seed, settings, pose,
                                source, frames, sizes
    picture.png                 the picture, RGB
    depth.npy                   optional: (h, w) float32, map units along the view axis, 0 where unknown
    memory/positions.npy ...    optional: the six arrays of engine.memory.MemoryState, all or none

A scene is a file people share, so opening one trusts nothing in it: arrays are read without pickle,
sizes are checked from the zip directory before anything is decompressed, and every value is checked
before a Scene is returned. A scene opens in the world it was kept in (engine.runtime.worlds); one of
format 1, kept before scenes named more than the world's name, opens as it did. Saving writes a hidden file
beside the scene and renames it over the old one, so a failed save (a full disk, a crash) leaves the old scene
as it was.
"""

from __future__ import annotations

import errno
import io
import json
import math
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DreamwalkError
from engine.files import replacing
from engine.memory import MemoryState
from engine.pack import is_world_digest
from engine.runtime.images import ImageError, check_picture_size
from engine.runtime.picture_settings import PictureSettings, read_settings, settings_dict
from engine.runtime.worlds import WorldMark, is_absolute_path

SCENE_VERSION = 2                    # 2: the world's digest and its pack's path beside its name
MAX_MEMBER_BYTES = 512 * 2**20       # uncompressed, per member: a 50-megapixel depth map is 200 MB
MAX_TOTAL_BYTES = 2**30              # uncompressed, all members together
MAX_JSON_BYTES = 2**20               # scene.json is a few hundred bytes

# Each memory array: its dtype and the shape of one point's entry.
MEMORY_ARRAYS: dict[str, tuple[np.dtype, tuple[int, ...]]] = {
    "positions": (np.dtype(np.float32), (3,)),
    "colours": (np.dtype(np.uint8), (3,)),
    "keys": (np.dtype(np.int64), ()),
    "stamps": (np.dtype(np.int64), ()),
    "sorted_keys": (np.dtype(np.int64), ()),
    "slots_by_key": (np.dtype(np.int64), ()),
}
MEMORY_MEMBERS = {f"memory/{name}.npy": name for name in MEMORY_ARRAYS}
MEMBERS = {"scene.json", "picture.png", "depth.npy", *MEMORY_MEMBERS}
FIRST_JSON_KEYS = {"dreamwalk_scene", "world", "seed", "settings", "pose", "source", "frames", "memory", "picture",
                   "depth"}
JSON_KEYS = FIRST_JSON_KEYS | {"world_digest", "world_path"}


class SceneError(DreamwalkError):
    """A scene that cannot be saved or opened, with the reason."""


class _Invalid(ValueError):
    """A value of a scene that is wrong; its message names the member and what is wrong with it."""


def _check_settings(values: Any) -> None:
    """Refuse (_Invalid) settings a world cannot read a picture with."""
    try:
        read_settings(values)
    except ValueError as error:
        raise _Invalid(str(error)) from None


@dataclass
class Scene:
    picture: np.ndarray                               # (H, W, 3) uint8 at the picture's own resolution
    world: str                                        # the world pack's manifest name
    world_digest: str = ""                            # engine.pack.world_digest ("": a scene of format 1)
    world_path: str = ""                              # the world pack's absolute path when it was kept
    depth: np.ndarray | None = None                   # (h, w) float32 along the view axis, > 0 where known
    seed: int = 0
    settings: dict[str, float] = field(default_factory=lambda: settings_dict(PictureSettings()))
    pose: np.ndarray = field(default_factory=lambda: np.zeros(5))     # (5,) float64: x, y, z, yaw, pitch
    memory: MemoryState | None = None                 # the world memory after exploring
    source: str = ""                                  # the picture's file name, for recordings to name
    frames: int = 0                                   # frames played when saved

    @property
    def world_mark(self) -> WorldMark:
        return WorldMark(self.world, self.world_digest, self.world_path)


def save_scene(path: str | Path, scene: Scene) -> None:
    """Write ``scene`` to ``path`` (NAME.dwscene), whole or not at all (engine.files.replacing): on any failure
    an existing scene is untouched."""
    path = Path(path)
    try:
        _check_scene(scene)
        if not scene.world_digest:
            raise _Invalid(f"it does not say which world it was kept in (the world '{scene.world}' has no digest "
                           "and no path)")
    except _Invalid as error:
        raise SceneError(f"cannot save the scene to {path}: {error}") from None
    try:
        with replacing(path) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("scene.json", json.dumps(_scene_json(scene), indent=1))
            archive.writestr("picture.png", _png_bytes(scene.picture))
            if scene.depth is not None:
                _write_array(archive, "depth.npy", scene.depth)
            if scene.memory is not None:
                for member, name in MEMORY_MEMBERS.items():
                    _write_array(archive, member, getattr(scene.memory, name))
    except OSError as error:
        full = error.errno == errno.ENOSPC
        reason = "the disk is full" if full else (error.strerror or str(error))
        raise SceneError(f"cannot save the scene to {path}: {reason}") from error


def open_scene(path: str | Path) -> Scene:
    """The scene at ``path``, every member checked; any problem is one SceneError line naming the file."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise SceneError(f"no scene at {path}")
    if path.is_dir():
        raise SceneError(f"{name} is not a Dreamwalk scene (a folder)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _checked_directory(archive, name)
            header = _read_header(archive, infos, name)
            return _read_scene(archive, header, name)
    except zipfile.BadZipFile as error:
        if _starts_like_a_zip(path):
            raise SceneError(f"{name} is damaged (cut short or corrupt: {error})") from None
        raise SceneError(f"{name} is not a Dreamwalk scene (not a zip file)") from None
    except OSError as error:
        raise SceneError(f"cannot read {path}: {error.strerror or error}") from error


def _checked_directory(archive: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after refusing unknown or repeated members and sizes too large to read."""
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.filename not in MEMBERS:
            raise SceneError(f"{name} has an unexpected member {info.filename!r}")
        if info.filename in infos:
            raise SceneError(f"{name} has the member {info.filename!r} twice")
        if info.file_size > MAX_MEMBER_BYTES:
            raise SceneError(f"{name} is too large ({info.filename} would be {_mib(info.file_size)}; a scene "
                             f"member may be {_mib(MAX_MEMBER_BYTES)} at most)")
        infos[info.filename] = info
    total = sum(info.file_size for info in infos.values())
    if total > MAX_TOTAL_BYTES:
        raise SceneError(f"{name} is too large ({_mib(total)} uncompressed; a scene may be "
                         f"{_mib(MAX_TOTAL_BYTES)} at most)")
    if "scene.json" not in infos:
        raise SceneError(f"{name} is not a Dreamwalk scene (no scene.json)")
    if "picture.png" not in infos:
        raise SceneError(f"{name} is damaged (no picture.png)")
    memory = [member for member in MEMORY_MEMBERS if member in infos]
    if memory and len(memory) != len(MEMORY_MEMBERS):
        missing = next(member for member in MEMORY_MEMBERS if member not in infos)
        raise SceneError(f"{name} is damaged (its memory lacks {missing})")
    return infos


def _read_header(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], name: str) -> dict[str, Any]:
    """scene.json, checked for its format version, keys and types, and against the members present."""
    info = infos["scene.json"]
    if info.file_size > MAX_JSON_BYTES:
        raise SceneError(f"{name} is damaged (scene.json is {info.file_size:,} bytes)")
    try:
        header = json.loads(_read_member(archive, info, name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SceneError(f"{name} is damaged (scene.json: {error})") from None
    if not isinstance(header, dict) or "dreamwalk_scene" not in header:
        raise SceneError(f"{name} is not a Dreamwalk scene (scene.json has no format version)")
    version = header["dreamwalk_scene"]
    if not _is_int(version) or version < 1:
        raise SceneError(f"{name} is damaged (scene.json: format version {version!r})")
    if version > SCENE_VERSION:
        raise SceneError(f"{name} was saved by a newer Dreamwalk (scene format {version}; this version opens "
                         f"format {SCENE_VERSION})")
    try:
        _check_header(header, version)
    except _Invalid as error:
        raise SceneError(f"{name} is damaged (scene.json: {error})") from None
    if ("depth.npy" in infos) != (header["depth"] is not None):
        raise SceneError(f"{name} is damaged (scene.json and the members disagree on whether it has a depth)")
    if ("memory/keys.npy" in infos) != (header["memory"] is not None):
        raise SceneError(f"{name} is damaged (scene.json and the members disagree on whether it has a memory)")
    return header


def _check_header(header: dict[str, Any], version: int) -> None:
    keys = JSON_KEYS if version >= 2 else FIRST_JSON_KEYS
    missing, unknown = sorted(keys - header.keys()), sorted(header.keys() - keys)
    if missing:
        raise _Invalid(f"no {missing[0]!r}")
    if unknown:
        raise _Invalid(f"an unknown key {unknown[0]!r}")
    for key in ("world", "source"):
        if not isinstance(header[key], str):
            raise _Invalid(f"{key} must be a string, not {header[key]!r}")
    if version >= 2:
        _check_world(header["world_digest"], header["world_path"])
    for key in ("seed", "frames"):
        if not _is_int(header[key]) or header[key] < 0:
            raise _Invalid(f"{key} must be a whole number 0 or more, not {header[key]!r}")
    _check_settings(header["settings"])
    pose = header["pose"]
    if not isinstance(pose, list) or len(pose) != 5 or not all(_is_number(x) and math.isfinite(x) for x in pose):
        raise _Invalid(f"pose must be 5 finite numbers (x, y, z, yaw, pitch), not {pose!r}")
    memory = header["memory"]
    if memory is not None:
        if not isinstance(memory, dict) or memory.keys() != {"count", "clock"} or not all(
                _is_int(value) and value >= 0 for value in memory.values()):
            raise _Invalid(f"memory must be null or {{\"count\", \"clock\"}} of whole numbers, not {memory!r}")
    for key in ("picture", "depth"):
        size = header[key]
        if size is None and key == "depth":
            continue
        if not isinstance(size, list) or len(size) != 2 or not all(_is_int(x) and x > 0 for x in size):
            raise _Invalid(f"{key} must be [width, height], not {size!r}")


def _read_scene(archive: zipfile.ZipFile, header: dict[str, Any], name: str) -> Scene:
    picture = _read_picture(archive, archive.getinfo("picture.png"), name)
    if list(picture.shape[1::-1]) != header["picture"]:
        raise SceneError(f"{name} is damaged (picture.png is {picture.shape[1]}x{picture.shape[0]}, but scene.json "
                         f"says {header['picture'][0]}x{header['picture'][1]})")
    depth = None
    if header["depth"] is not None:
        width, height = header["depth"]
        depth = _read_array(archive, "depth.npy", np.dtype(np.float32), (height, width), name)
    memory = None
    if header["memory"] is not None:
        arrays = {}
        for member, key in MEMORY_MEMBERS.items():
            dtype, entry = MEMORY_ARRAYS[key]
            arrays[key] = _read_array(archive, member, dtype, (None, *entry), name)
        memory = MemoryState(**arrays, count=header["memory"]["count"], clock=header["memory"]["clock"])
    scene = Scene(picture=picture, world=header["world"], world_digest=header.get("world_digest", ""),
                  world_path=header.get("world_path", ""), depth=depth, seed=header["seed"],
                  settings=settings_dict(read_settings(header["settings"])),
                  pose=np.array(header["pose"], np.float64), memory=memory, source=header["source"],
                  frames=header["frames"])
    try:
        _check_scene(scene)
    except _Invalid as error:
        raise SceneError(f"{name} is damaged ({error})") from None
    return scene


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as error:
        raise SceneError(f"{name} is damaged ({info.filename}: {error})") from None


def _read_picture(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    from PIL import Image

    data = _read_member(archive, info, name)
    try:
        with warnings.catch_warnings():        # a huge picture is refused below in our own words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=["PNG"])
        with opened:
            check_picture_size(f"the picture in {name}", *opened.size)
            if opened.mode != "RGB":
                raise SceneError(f"{name} is damaged (picture.png is {opened.mode}, not RGB)")
            opened.load()
            return np.asarray(opened, dtype=np.uint8).copy()
    except ImageError as error:
        raise SceneError(str(error)) from None
    except Image.DecompressionBombError:
        raise SceneError(f"{name} is too large (picture.png is over {2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f} "
                         "megapixels)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise SceneError(f"{name} is damaged (picture.png: {error})") from None


def _read_array(archive: zipfile.ZipFile, member: str, dtype: np.dtype, shape: tuple[int | None, ...],
                name: str) -> np.ndarray:
    """A .npy member of ``dtype`` and ``shape`` (None: any length), its header checked before its data is
    read; never unpickled."""
    data = _read_member(archive, archive.getinfo(member), name)
    stream = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(stream)
        if major not in (1, 2):
            raise ValueError(f"npy format version {major} (a scene writes 1 or 2)")
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        declared_shape, _, declared_dtype = read_header(stream)
    except (ValueError, OSError, EOFError, SyntaxError) as error:
        raise SceneError(f"{name} is damaged ({member}: {error})") from None
    if declared_dtype.hasobject:
        raise SceneError(f"{name} is damaged ({member} holds Python objects, which a scene never loads)")
    if declared_dtype != dtype:
        raise SceneError(f"{name} is damaged ({member} is {declared_dtype}, not {dtype})")
    if len(declared_shape) != len(shape) or any(want is not None and got != want
                                                 for got, want in zip(declared_shape, shape)):
        expected = "(" + ", ".join("N" if want is None else str(want) for want in shape) + ")"
        raise SceneError(f"{name} is damaged ({member} has shape {declared_shape}, not {expected})")
    stream.seek(0)
    try:
        return np.ascontiguousarray(np.load(stream, allow_pickle=False))
    except (ValueError, OSError, EOFError) as error:
        raise SceneError(f"{name} is damaged ({member}: {error})") from None


def _check_scene(scene: Scene) -> None:
    """Refuse (_Invalid) a scene whose values a world could not start from."""
    picture = scene.picture
    if not isinstance(picture, np.ndarray) or picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3:
        raise _Invalid(f"the picture must be (H, W, 3) uint8, not {_describe(picture)}")
    try:
        check_picture_size("the picture", picture.shape[1], picture.shape[0])
    except ImageError as error:
        raise _Invalid(str(error)) from None
    if not isinstance(scene.world, str) or not isinstance(scene.source, str):
        raise _Invalid("the world and the source must be strings")
    if scene.world_digest or scene.world_path:
        _check_world(scene.world_digest, scene.world_path)
    for key in ("seed", "frames"):
        value = getattr(scene, key)
        if not _is_int(value) or value < 0:
            raise _Invalid(f"{key} must be a whole number 0 or more, not {value!r}")
    _check_settings(scene.settings)
    pose = np.asarray(scene.pose)
    if pose.shape != (5,) or not np.issubdtype(pose.dtype, np.number) or not np.isfinite(pose).all():
        raise _Invalid(f"the pose must be 5 finite numbers (x, y, z, yaw, pitch), not {_describe(scene.pose)}")
    depth = scene.depth
    if depth is not None:
        if not isinstance(depth, np.ndarray) or depth.dtype != np.float32 or depth.ndim != 2 or min(depth.shape) < 1:
            raise _Invalid(f"depth.npy must be (h, w) float32, not {_describe(depth)}")
        if not np.isfinite(depth).all():
            raise _Invalid("depth.npy holds values that are not finite")
        if (depth < 0).any():
            raise _Invalid("depth.npy holds negative depths")
    if scene.memory is not None:
        _check_memory(scene.memory)


def _check_world(digest: Any, path: Any) -> None:
    """Refuse (_Invalid) a world digest that is not one, or a path that is not a pack's absolute path."""
    if not is_world_digest(digest):
        raise _Invalid(f"world_digest must be a world's digest (64 hex digits), not {digest!r}")
    if not isinstance(path, str) or not is_absolute_path(path):
        raise _Invalid(f"world_path must be the absolute path of the world's pack, not {path!r}")


def _check_memory(memory: MemoryState) -> None:
    for member, key in MEMORY_MEMBERS.items():
        array = getattr(memory, key)
        dtype, entry = MEMORY_ARRAYS[key]
        shaped = isinstance(array, np.ndarray) and array.ndim == 1 + len(entry) and array.shape[1:] == entry
        if not shaped or array.dtype != dtype:
            raise _Invalid(f"{member} must be (N{''.join(f', {n}' for n in entry)}) {dtype}, not {_describe(array)}")
    count, clock = memory.count, memory.clock
    if not _is_int(count) or not _is_int(clock) or count < 0 or clock < 0:
        raise _Invalid(f"the memory's count and clock must be whole numbers 0 or more, not {count!r}, {clock!r}")
    held = len(memory.positions)
    for key in ("colours", "keys", "stamps"):
        if len(getattr(memory, key)) != held:
            raise _Invalid(f"memory/{key}.npy holds {len(getattr(memory, key))} points, but memory/positions.npy "
                           f"holds {held}")
    if count > held:
        raise _Invalid(f"the memory counts {count} points, but memory/positions.npy holds {held}")
    for key in ("sorted_keys", "slots_by_key"):
        if len(getattr(memory, key)) != count:
            raise _Invalid(f"memory/{key}.npy holds {len(getattr(memory, key))} keys, but the memory counts {count}")
    if not np.isfinite(memory.positions[:count]).all():
        raise _Invalid("memory/positions.npy holds values that are not finite")
    if (np.diff(memory.sorted_keys) <= 0).any():
        raise _Invalid("memory/sorted_keys.npy is not in increasing order")
    slots = memory.slots_by_key
    if len(slots) and (slots.min() < 0 or slots.max() >= count):
        raise _Invalid(f"memory/slots_by_key.npy holds slots outside 0-{count - 1}")
    if not np.array_equal(memory.keys[slots], memory.sorted_keys):
        raise _Invalid("memory/slots_by_key.npy does not point at the keys in memory/sorted_keys.npy")


def _scene_json(scene: Scene) -> dict[str, Any]:
    memory = scene.memory
    return {
        "dreamwalk_scene": SCENE_VERSION,
        "world": scene.world,
        "world_digest": scene.world_digest,
        "world_path": scene.world_path,
        "seed": int(scene.seed),
        "settings": settings_dict(read_settings(scene.settings)),
        "pose": [float(x) for x in scene.pose],
        "source": scene.source,
        "frames": int(scene.frames),
        "memory": None if memory is None else {"count": int(memory.count), "clock": int(memory.clock)},
        "picture": [int(scene.picture.shape[1]), int(scene.picture.shape[0])],
        "depth": None if scene.depth is None else [int(scene.depth.shape[1]), int(scene.depth.shape[0])],
    }


def _png_bytes(picture: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture), mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _write_array(archive: zipfile.ZipFile, member: str, array: np.ndarray) -> None:
    with archive.open(member, "w") as stream:
        np.save(stream, np.ascontiguousarray(array), allow_pickle=False)


def _starts_like_a_zip(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == b"PK\x03\x04"


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.shape} {value.dtype}"
    return type(value).__name__


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"
