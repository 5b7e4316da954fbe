"""Clip recording: H.264 MP4 at the world's frame rate, upscaled, with the action log beside it.

The MP4 is fragmented (a self-contained fragment every keyframe), so a crash, a kill or a full disk
leaves a file that plays up to the last fragment written; the action log is one JSON line per frame,
flushed as it goes. ``--replay LOG`` feeds a log's actions back from its first frame.
"""

from __future__ import annotations

import errno
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DreamwalkError
from engine.runtime.walkthrough import read_action_log  # noqa: F401  (the player's --agent replay:LOG reads it here)


class RecordingError(DreamwalkError):
    """A clip that cannot be written (unwritable folder, full disk); what was written is kept."""


class ClipRecorder:
    def __init__(self, path: Path, fps: float, frame_size: tuple[int, int], scale: int, meta: dict[str, Any]) -> None:
        import av

        self.path = Path(path)
        self.log_path = self.path.with_suffix(".actions.jsonl")
        self.scale = scale
        self.frames = 0
        width, height = frame_size[0] * scale, frame_size[1] * scale
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(str(self.path), mode="w", format="mp4",
                                      options={"movflags": "frag_keyframe+empty_moov+default_base_moof"})
            self._stream = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
            self._stream.width, self._stream.height, self._stream.pix_fmt = width, height, "yuv420p"
            self._stream.options = {"crf": "18", "preset": "veryfast", "g": str(max(1, round(fps)))}
            self._log = open(self.log_path, "w", encoding="utf-8")
            self._log.write(json.dumps({"dreamwalk_actions": 1, "fps": fps, **meta}) + "\n")
            self._log.flush()
        except OSError as error:
            raise RecordingError(f"cannot record to {self.path}: {error.strerror or error}") from error

    def add(self, frame: np.ndarray, action: dict[str, Any] | None) -> None:
        """Append one frame and the action that led to it (None for the first frame)."""
        import av

        big = np.repeat(np.repeat(frame, self.scale, axis=0), self.scale, axis=1)
        try:
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")):
                self._container.mux(packet)
            self._log.write(json.dumps({"frame": self.frames, "action": action}) + "\n")
            self._log.flush()
        except (OSError, av.error.FFmpegError) as error:
            self.close()
            full = getattr(error, "errno", None) == errno.ENOSPC or "No space left" in str(error)
            reason = "the disk is full" if full else str(error)
            raise RecordingError(f"recording stopped after {self.frames} frames ({reason}); "
                                 f"{self.path.name} keeps every frame written") from error
        self.frames += 1

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        except Exception:  # a full disk while flushing: the fragments already written stay playable
            pass
        finally:
            try:
                self._container.close()
            except Exception:
                pass
            self._container = None
            self._log.close()

