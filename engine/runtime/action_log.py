"""Action logs: the actions a clip was played with, written beside it as ``CLIP.actions.jsonl``.

A header line

    {"dreamwalk_actions": 1, "fps": F, "world": NAME, "prompt": PATH, "seed": S}   (and "scene": PATH if any)

then one line per frame, ``{"frame": i, "action": {...}}``, the action null for the first frame, and for a
world with a memory the camera's ``"pose"`` (x, y, z, yaw, pitch) after it. The player's recorder writes a log
line by line, flushed as it goes (``ActionLogWriter``); `dreamwalk render` and the player's
``--agent replay:LOG`` read it back (``read_log_header``, ``read_action_log``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from engine.errors import DreamwalkError

LOG_VERSION = 1
LOG_SUFFIX = ".actions.jsonl"


def log_path(clip: str | Path) -> Path:
    """Where a clip's action log lies: beside it, ``CLIP.actions.jsonl``."""
    return Path(clip).with_suffix(LOG_SUFFIX)


class ActionLogWriter:
    """Writes a log's header at once and then one line per frame, each flushed: a crash, a kill or a full disk
    keeps every frame written. Raises OSError where the disk refuses."""

    def __init__(self, path: str | Path, fps: float, meta: dict[str, Any]) -> None:
        self.path = Path(path)
        self._file = open(self.path, "w", encoding="utf-8")
        try:
            self._line({"dreamwalk_actions": LOG_VERSION, "fps": fps, **meta})
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
    ``seed``, and ``scene`` where the clip started from one."""
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
    fps = header.get("fps")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (math.isfinite(fps) and fps > 0):
        raise DreamwalkError(f"the action log {path} has no valid frame rate in its header (fps: {fps!r})")
    for key in ("world", "prompt"):
        if not isinstance(header.get(key), str):
            raise DreamwalkError(f"the action log {path} has no valid {key} in its header ({key}: {header.get(key)!r})")
    seed = header.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DreamwalkError(f"the action log {path} has no valid seed in its header (seed: {seed!r})")
    if "scene" in header and not isinstance(header["scene"], str):
        raise DreamwalkError(f"the action log {path} has no valid scene in its header (scene: {header['scene']!r})")
    return header


def read_action_log(path: str | Path) -> list[dict[str, Any]]:
    """The actions of a clip's log, in order, one per dreamed frame. A line that is not JSON, or not a frame
    (an object with "frame" and "action"), is one error naming its line in the file. Only the header's
    format version is checked: a replay needs nothing else of it."""
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
        records.append(record)
    _check_version(records[0] if records else None, path)
    return [record["action"] for record in records[1:] if record["action"] is not None]


def _check_version(header: Any, path: str | Path) -> None:
    """Refuse a first line that is not an action log's header, or one of a format this version cannot read."""
    if not isinstance(header, dict) or not isinstance(header.get("dreamwalk_actions"), int):
        raise DreamwalkError(f"{path} is not a Dreamwalk action log")
    if header["dreamwalk_actions"] > LOG_VERSION:
        raise DreamwalkError(f"{path} was written by a newer Dreamwalk (action log format "
                             f"{header['dreamwalk_actions']}; this version reads {LOG_VERSION})")
    if header["dreamwalk_actions"] != LOG_VERSION:
        raise DreamwalkError(f"{path} is not a Dreamwalk action log")
