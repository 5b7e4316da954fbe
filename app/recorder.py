"""Clip recording: H.264 MP4 at the world's frame rate, upscaled, with the action log beside it.

The MP4 is fragmented (a self-contained fragment every keyframe), so a crash, a kill or a full disk
leaves a file that plays up to the last fragment written; the action log (engine.runtime.action_log) is one
JSON line per frame, flushed as it goes. ``--agent replay:LOG`` feeds a log's actions back from its first frame.
"""

from __future__ import annotations

import errno
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DreamwalkError
from engine.runtime.action_log import ActionLogWriter, log_path
from engine.runtime.walkthrough import VideoWriter


class RecordingError(DreamwalkError):
    """A clip that cannot be written (unwritable folder, full disk); what was written is kept."""


class ClipRecorder:
    def __init__(self, path: Path, fps: float, frame_size: tuple[int, int], scale: int, meta: dict[str, Any]) -> None:
        import av

        self.path = Path(path)
        self.log_path = log_path(self.path)
        self.scale = scale
        size = (frame_size[0] * scale, frame_size[1] * scale)
        self._log: ActionLogWriter | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._video = VideoWriter(self.path, size, Fraction(fps).limit_denominator(1000), "recording stopped",
                                      RecordingError)
            self._log = ActionLogWriter(self.log_path, fps, absolute_paths(meta))
        except (OSError, av.error.FFmpegError) as error:
            raise RecordingError(f"cannot record to {self.path}: {getattr(error, 'strerror', None) or error}") from error

    @property
    def frames(self) -> int:
        return self._video.frames

    def add(self, frame: np.ndarray, action: dict[str, Any] | None, pose: Any = None) -> None:
        """Append one frame, the action that led to it (None for the first frame) and, for worlds with a
        memory, the camera's pose after it (so a walkthrough can be checked against the path played)."""
        big = np.repeat(np.repeat(frame, self.scale, axis=0), self.scale, axis=1)
        index = self.frames
        try:
            self._video.add(big)
        except RecordingError:
            self._log.close()
            raise
        try:
            self._log.write(index, action, pose)
        except OSError as error:
            self.close()
            full = error.errno == errno.ENOSPC
            raise RecordingError(f"recording stopped after {index + 1} frames ({'the disk is full' if full else error}); "
                                 f"{self.path.name} keeps every frame written") from error

    def close(self) -> None:
        self._video.close()
        if self._log is not None:
            self._log.close()


def absolute_paths(meta: dict[str, Any]) -> dict[str, Any]:
    """The log's header with its prompt and scene as absolute paths: a render finds them wherever it runs."""
    return {**meta, **{key: str(Path(meta[key]).resolve()) for key in ("prompt", "scene") if meta.get(key)}}
