"""Action logs: the actions a clip was played with, written beside it as ``CLIP.actions.jsonl``.

A header line

    {"dreamwalk_actions": 2, "fps": F, "world": NAME, "world_digest": D, "world_path": PACK, "prompt": PATH,
     "seed": S}                                                                  (and "scene": PATH if any)

then one line per frame, ``{"frame": i, "action": {...}}`` counting from 0, the action null for the first frame,
and for a world with a memory the camera's ``"pose"`` (x, y, z, yaw, pitch) after it. The world is the one the
clip was played in (engine.runtime.worlds: its name, digest and pack's absolute path); the prompt's and the
scene's paths are absolute, the prompt "" for a clip started from a scene. The player's recorder writes a log
line by line, flushed as it goes (``ActionLogWriter``); `dreamwalk render` and the player's
``--agent replay:LOG`` read it back (``read_log_header``, ``read_action_log``), and play it in its world.
Logs of format 1 (no world digest or path, frames not checked) still read.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from engine.actions import Action
from engine.errors import DreamwalkError
from engine.pack import is_world_digest
from engine.runtime.worlds import WorldMark, is_absolute_path

LOG_VERSION = 2                       # 2: the world's digest and its pack's path; every line checked
LOG_SUFFIX = ".actions.jsonl"
HEADER_KEYS = {"dreamwalk_actions", "fps", "world", "world_digest", "world_path", "prompt", "seed", "scene"}
FRAME_KEYS = {"frame", "action", "pose"}


def log_path(clip: str | Path) -> Path:
    """Where a clip's action log lies: beside it, ``CLIP.actions.jsonl``."""
    return Path(clip).with_suffix(LOG_SUFFIX)


class ActionLogWriter:
    """Writes a log's header at once and then one line per frame, each flushed: a crash, a kill or a full disk
    keeps every frame written. ``meta``: the header's world, world_digest, world_path, prompt, seed (and scene).
    Raises OSError where the disk refuses."""

    def __init__(self, path: str | Path, fps: float, meta: dict[str, Any]) -> None:
        self.path = Path(path)
        header = {"dreamwalk_actions": LOG_VERSION, "fps": fps, **meta}
        _check_header(header, self.path)                    # never a log that would not read back
        self._file = open(self.path, "w", encoding="utf-8")
        try:
            self._line(header)
        except OSError:
            self._file.close()
            raise

    def write(self, frame: int, action: dict[str, Any] | None, pose: Any = None) -> None:
        """Frame ``frame``, the action that led to it (None for the first) and the camera's pose after it."""
        record: dict[str, Any] = {"frame": frame, "action": action}
        if pose is not None:
            record["pose"] = [float(value) for value in pose]
        self._line(record)

    def _line(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def read_log_header(path: str | Path) -> dict[str, Any]:
    """The header line of an action log, checked: ``fps`` (a positive number), ``world``, ``prompt`` and
    ``seed``, ``scene`` where the clip started from one, and in a log of format 2 the world's digest and path."""
    header = _first_line(path)
    _check_header(header, path)
    return header


def log_world(header: dict[str, Any]) -> WorldMark | None:
    """The world a log's clip was played in (engine.runtime.worlds); None for a log of format 1, which names
    its world's name alone."""
    if header["dreamwalk_actions"] < 2:
        return None
    return WorldMark(header["world"], header["world_digest"], header["world_path"])


def clip_world(path: str | Path) -> WorldMark | None:
    """The world the clip of the log at ``path`` was played in; None for a log of format 1 (whose header may
    hold no more than its version and frame rate)."""
    header = _first_line(path)
    if header["dreamwalk_actions"] < 2:
        return None
    _check_header(header, path)
    return log_world(header)


def _first_line(path: str | Path) -> dict[str, Any]:
    """The header line of the log at ``path``, of a format this version reads."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as log:
            first = log.readline(2**16)
    except FileNotFoundError:
        raise DreamwalkError(f"no action log at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DreamwalkError(f"cannot read the action log {path}: {error}") from error
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        header = None
    _check_version(header, path)
    return header


def read_action_log(path: str | Path) -> list[dict[str, Any]]:
    """The actions of a clip's log, in order, one per dreamed frame. A line that is not JSON, or not a frame
    (an object with "frame" and "action"), is one error naming its line in the file. A log of format 2 is
    checked whole: its header, and each frame's number, action and pose; of a log of format 1 only the
    format version (a replay of an older log needs nothing else of it)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DreamwalkError(f"cannot read the action log {path}: {error}") from error
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DreamwalkError(f"line {number} of the action log {path} is not JSON ({error.msg})") from None
        if records and not (isinstance(record, dict) and "frame" in record and "action" in record):
            raise DreamwalkError(f"line {number} of the action log {path} is not a frame (an object with "
                                 "\"frame\" and \"action\")")
        if records and records[0]["dreamwalk_actions"] >= 2:
            _check_frame(record, len(records) - 1, f"line {number} of the action log {path}")
        records.append(record)
        if len(records) == 1:
            _check_version(record, path)
            if record["dreamwalk_actions"] >= 2:
                _check_header(record, path)
    _check_version(records[0] if records else None, path)
    return [record["action"] for record in records[1:] if record["action"] is not None]


def _check_version(header: Any, path: str | Path) -> None:
    """Refuse a first line that is not an action log's header, or one of a format this version cannot read."""
    if not isinstance(header, dict) or not _is_int(header.get("dreamwalk_actions")):
        raise DreamwalkError(f"{path} is not a Dreamwalk action log")
    if header["dreamwalk_actions"] > LOG_VERSION:
        raise DreamwalkError(f"{path} was written by a newer Dreamwalk (action log format "
                             f"{header['dreamwalk_actions']}; this version reads {LOG_VERSION})")
    if header["dreamwalk_actions"] < 1:
        raise DreamwalkError(f"{path} is not a Dreamwalk action log")


def _check_header(header: dict[str, Any], path: str | Path) -> None:
    def refuse(key: str) -> DreamwalkError:
        return DreamwalkError(f"the action log {path} has no valid {key} in its header ({key}: {header.get(key)!r})")

    fps = header.get("fps")
    if not _is_number(fps) or not (math.isfinite(fps) and fps > 0):
        raise DreamwalkError(f"the action log {path} has no valid frame rate in its header (fps: {fps!r})")
    for key in ("world", "prompt"):
        if not isinstance(header.get(key), str):
            raise refuse(key)
    if not _is_int(header.get("seed")):
        raise refuse("seed")
    if "scene" in header and not isinstance(header["scene"], str):
        raise refuse("scene")
    if header["dreamwalk_actions"] < 2:
        return
    unknown = sorted(header.keys() - HEADER_KEYS)
    if unknown:
        raise DreamwalkError(f"the action log {path} has an unknown key {unknown[0]!r} in its header")
    if not is_world_digest(header.get("world_digest")):
        raise refuse("world_digest")
    absolute = {"world_path": True, "prompt": "scene" not in header, "scene": "scene" in header}
    for key, needed in absolute.items():
        value = header.get(key)
        if needed and not (isinstance(value, str) and is_absolute_path(value)):
            raise refuse(key)


def _check_frame(record: dict[str, Any], index: int, where: str) -> None:
    """Refuse a frame line of a log of format 2 that is not the next frame: its number, its action (null only
    for the first frame) and its pose."""
    unknown = sorted(record.keys() - FRAME_KEYS)
    if unknown:
        raise DreamwalkError(f"{where} has an unknown key {unknown[0]!r}")
    if not _is_int(record["frame"]) or record["frame"] != index:
        raise DreamwalkError(f"{where} is frame {record['frame']!r}, not frame {index}: the log is out of order")
    action = record["action"]
    if (action is None) != (index == 0):
        raise DreamwalkError(f"{where} has " + ("no action: only the first frame has none" if action is None
                                                else "an action, but the first frame has none"))
    if action is not None:
        try:
            Action.coerce(action)
        except DreamwalkError as error:
            raise DreamwalkError(f"{where} has an action that is not one ({error})") from None
    pose = record.get("pose", [0.0] * 5)
    if not isinstance(pose, list) or len(pose) != 5 or not all(_is_number(x) and math.isfinite(x) for x in pose):
        raise DreamwalkError(f"{where} has a pose that is not 5 finite numbers (x, y, z, yaw, pitch): {pose!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
