"""Episode shards on disk: one zip file per episode, written atomically, verified when read.

A shard ``<name>.npz`` is a zip archive that ``numpy.load`` opens without pickles:

    frames.npy   (T, H, W, 3) uint8, native size
    actions.npy  (T, 12) float32 raw actions (engine.actions.actions_to_array: buttons 0/1, degrees)
    poses.npy    (T, 5) float32 x, y, z, yaw, pitch (absent when the simulator has no pose)
    depth.npy    (T, H, W) float16 distance along the view axis in the source's map units (absent unless
                 recorded with depth: ``dreamwalk collect --depth``)
    meta.json    source, map, seed, fps, tics per frame, policy, ...

It is written to a temporary file beside its final name, flushed to disk and renamed, so a shard is
either whole or absent: an interruption or a full disk never leaves half a shard under a real name.
"""

from __future__ import annotations

import errno
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from engine.actions import ACTION_DIM
from engine.errors import DataError
from engine.files import replacing

SHARD_SUFFIX = ".npz"
FORMAT_VERSION = 1
NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_shard(path: Path, frames: np.ndarray, actions: np.ndarray, poses: np.ndarray | None,
                meta: dict[str, Any], depth: np.ndarray | None = None) -> Path:
    """Write one episode atomically. Raises DataError (with the reason) when the disk refuses."""
    path = Path(path)
    frames, actions = np.asarray(frames), np.asarray(actions, dtype=np.float32)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if actions.shape != (len(frames), ACTION_DIM):
        raise ValueError(f"actions must be ({len(frames)}, {ACTION_DIM}), got {actions.shape}")
    if poses is not None and np.shape(poses) != (len(frames), 5):
        raise ValueError(f"poses must be ({len(frames)}, 5), got {np.shape(poses)}")
    if depth is not None and np.shape(depth) != frames.shape[:3]:
        raise ValueError(f"depth must be {frames.shape[:3]}, got {np.shape(depth)}")
    meta = {**meta, "format_version": FORMAT_VERSION, "frames": len(frames),
            "height": int(frames.shape[1]), "width": int(frames.shape[2])}
    try:
        with (replacing(path) as temporary,
              zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive):
            archive.writestr("meta.json", json.dumps(meta, indent=1))
            archive.writestr("actions.npy", _npy_bytes(actions))
            if poses is not None:
                archive.writestr("poses.npy", _npy_bytes(np.asarray(poses, dtype=np.float32)))
            archive.writestr("frames.npy", _npy_bytes(frames))
            if depth is not None:
                archive.writestr("depth.npy", _npy_bytes(np.asarray(depth, dtype=np.float16)))
    except OSError as error:
        if error.errno in NO_SPACE_ERRNOS:
            raise DataError(f"out of disk space writing {path}; finished shards are kept") from error
        raise DataError(f"cannot write {path}: {error.strerror or error}") from error
    return path


def read_meta(path: Path) -> dict[str, Any]:
    """The metadata of a shard without decompressing its frames."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("meta.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, zlib.error, EOFError, OSError) as error:
        raise DataError(f"corrupt or truncated shard {path}: {_reason(error)}") from error


def read_shard(path: Path, frames: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None, dict[str, Any]]:
    """frames, raw actions, poses (or None) and meta of one shard, checked for consistency.

    ``frames=False`` skips decompressing the frames (most of the file) and returns None for them.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = {"meta.json", "actions.npy", "frames.npy"} - names
            if missing:
                raise DataError(f"corrupt shard {path}: missing {', '.join(sorted(missing))}")
            meta = json.loads(archive.read("meta.json"))
            actions = _read_array(archive, "actions.npy")
            images = _read_array(archive, "frames.npy") if frames else None
            poses = _read_array(archive, "poses.npy") if "poses.npy" in names else None
    except DataError:
        raise
    except (zipfile.BadZipFile, json.JSONDecodeError, zlib.error, EOFError, ValueError, OSError) as error:
        raise DataError(f"corrupt or truncated shard {path}: {_reason(error)}") from error
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataError(f"shard {path} has format_version {meta.get('format_version')!r}; "
                        f"this Dreamwalk reads version {FORMAT_VERSION}")
    count = len(actions)
    bad_frames = images is not None and (images.ndim != 4 or images.dtype != np.uint8 or len(images) != count)
    if bad_frames or actions.shape != (count, ACTION_DIM) or \
            (poses is not None and poses.shape != (count, 5)) or meta.get("frames") != count:
        raise DataError(f"corrupt shard {path}: inconsistent shapes frames "
                        f"{None if images is None else images.shape}, actions {actions.shape}, "
                        f"poses {None if poses is None else poses.shape}")
    return images, actions, poses, meta


def read_depth(path: Path) -> np.ndarray | None:
    """The depth of a shard's frames, (T, H, W) float32 in map units along the view axis, or None where the
    shard was recorded without it (every shard of earlier collections)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            if "depth.npy" not in archive.namelist():
                return None
            meta = json.loads(archive.read("meta.json"))
            depth = _read_array(archive, "depth.npy")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, zlib.error, EOFError, ValueError, OSError) as error:
        raise DataError(f"corrupt or truncated shard {path}: {_reason(error)}") from error
    if depth.shape != (meta.get("frames"), meta.get("height"), meta.get("width")):
        raise DataError(f"corrupt shard {path}: depth of shape {depth.shape} for {meta.get('frames')} frames of "
                        f"{meta.get('width')}x{meta.get('height')}")
    return depth.astype(np.float32)


def _read_array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    with archive.open(name) as member:   # zipfile checks the CRC once the member is read to its end
        return np.lib.format.read_array(io.BytesIO(member.read()), allow_pickle=False)


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0]


def list_shards(folder: Path) -> list[Path]:
    """Shards of a folder (or the one shard a file path names), sorted by name; DataError when none."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.exists():
        raise DataError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise DataError(f"not a folder of episode shards: {folder}")
    shards = sorted(p for p in folder.rglob(f"*{SHARD_SUFFIX}") if not p.name.startswith("."))
    if not shards:
        raise DataError(f"no episode shards (*{SHARD_SUFFIX}) in {folder}; record some with 'dreamwalk collect'")
    return shards
