"""Walkthroughs: a clip's action log (engine.runtime.action_log) played again through a world, offline, into
an MP4.

Rendering replays the log's actions from the same start at any size and frame rate: the same camera path over
the same seconds, sharper than the window showed it. The MP4 is fragmented like the player's clips, so an
interrupted render keeps a playable file of every frame written.
"""

from __future__ import annotations

import errno
import json
import signal
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from engine.actions import Action
from engine.errors import ActionError, DreamwalkError
from engine.files import write_text
from engine.images import bilinear_resize

SHEET_FRAMES, SHEET_COLUMNS, SHEET_WIDTH = 12, 4, 320     # a contact sheet: frames, per row, pixels wide


def check_video_size(size: Sequence[int]) -> None:
    """Refuse a frame size H.264 in yuv420p cannot hold: its colour is stored at half the width and height."""
    width, height = size
    if width % 2 or height % 2 or width < 2 or height < 2:
        raise DreamwalkError(f"a walkthrough cannot be {width}x{height}: H.264 video needs an even width and "
                             "height (such as 640x480)")


def source_frame(index: int, fps: Fraction, world_fps: Fraction) -> int:
    """Which of the world's frames is on screen at the video's frame ``index``: the one whose time span
    holds the video frame's time (the same seconds, whatever the two frame rates)."""
    return index * world_fps // fps


def render_walkthrough(session: Any, start: Callable[[], np.ndarray], actions: Sequence[dict[str, Any]],
                       out: str | Path, fps: float | None = None,
                       progress: Callable[[int, int], None] | None = None, sheet: str | Path | None = None) -> int:
    """Start ``session`` with ``start()``, step it through ``actions`` and write every frame, the start's
    included, to ``out`` as H.264 MP4 at the session's frame size. ``fps`` other than the world's resamples
    in time (each video frame shows the world's frame on screen at its time). Where the session has a pose,
    ``OUT.poses.json`` gets the camera's (x, y, z, yaw, pitch) for each video frame. ``progress(done, total)``
    follows each video frame. ``sheet``: also a contact sheet (a PNG of SHEET_FRAMES frames evenly spread over
    the walk, in rows of SHEET_COLUMNS). Returns the video frames written."""
    out = Path(out)
    check_video_size(session.frame_size)
    for index, action in enumerate(actions):
        try:
            Action.coerce(action)
        except (ActionError, TypeError, AttributeError) as error:
            raise DreamwalkError(f"action {index + 1} of the walkthrough is not an action: {error}") from None
    world_fps = Fraction(session.fps).limit_denominator(1000)
    video_fps = world_fps if fps is None else Fraction(fps).limit_denominator(1000)
    if video_fps <= 0:
        raise DreamwalkError(f"a walkthrough's frame rate must be above 0, not {fps}")
    world_frames = len(actions) + 1
    total = -(-world_frames * video_fps // world_fps)        # ceil: every video frame whose time the world covers
    video = _open_video(out, session.frame_size, video_fps)
    poses_path = out.with_suffix(".poses.json")
    poses_path.unlink(missing_ok=True)             # an earlier render's camera path is not this one's
    poses: list[list[float]] = []
    written = 0
    picks = set(np.linspace(0, world_frames - 1, min(SHEET_FRAMES, world_frames)).round().astype(int).tolist())
    kept: list[np.ndarray] = []
    try:
        for index in range(world_frames):
            frame = start() if index == 0 else session.step(actions[index - 1])
            if sheet is not None and index in picks:
                kept.append(frame)
            pose = getattr(session, "pose", None)
            while written < total and source_frame(written, video_fps, world_fps) == index:
                with _held_signals():
                    video.add(frame)
                    if pose is not None:
                        poses.append([float(x) for x in pose])
                    written += 1
                    if progress is not None:
                        progress(written, total)
    finally:
        video.close()
        if sheet is not None and kept:
            write_sheet(kept, Path(sheet))
        if poses:
            try:
                write_text(poses_path, json.dumps(poses))
            except OSError as error:
                raise DreamwalkError(f"cannot write the camera path to {poses_path}: "
                                     f"{error.strerror or error}") from error
    return written


def write_sheet(frames: list[np.ndarray], path: Path, columns: int = SHEET_COLUMNS, width: int = SHEET_WIDTH) -> None:
    """Frames tiled in rows of ``columns``, each scaled to ``width`` pixels wide, as a PNG."""
    from PIL import Image

    height = round(width * frames[0].shape[0] / frames[0].shape[1])
    tiles = [bilinear_resize(frame, (width, height)) for frame in frames]
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[i: i + columns], axis=1) for i in range(0, len(tiles), columns)]
    try:
        Image.fromarray(np.concatenate(rows, axis=0)).save(path)
    except OSError as error:
        raise DreamwalkError(f"cannot write the contact sheet to {path}: {error.strerror or error}") from error


@contextmanager
def _held_signals() -> Iterator[None]:
    """Ctrl-C and ``kill`` wait for the end of the block (POSIX): an encoded packet dropped halfway through
    muxing would spoil every frame up to the next keyframe, so a frame is written whole or not at all."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


class VideoWriter:
    """An H.264 MP4 written frame by frame (fragmented: what was written plays however the writing ends).
    A frame that cannot be written (a full disk) closes it and raises ``error`` saying what ``stopped``."""

    def __init__(self, path: Path, size: Sequence[int], fps: Fraction, stopped: str = "the walkthrough stopped",
                 error: type[DreamwalkError] = DreamwalkError) -> None:
        import av

        self.path = path
        self.size = tuple(size)
        self.stopped, self.error = stopped, error
        self.frames = 0
        self._container = av.open(str(path), mode="w", format="mp4",
                                  options={"movflags": "frag_keyframe+empty_moov+default_base_moof"})
        self._stream = self._container.add_stream("libx264", rate=fps)
        self._stream.width, self._stream.height, self._stream.pix_fmt = *self.size, "yuv420p"
        self._stream.options = {"crf": "18", "preset": "veryfast", "g": str(max(1, round(fps)))}

    def add(self, frame: np.ndarray) -> None:
        import av

        if frame.shape != (self.size[1], self.size[0], 3):
            raise DreamwalkError(f"the world showed a frame of shape {frame.shape}, not the {self.size[0]}x"
                                 f"{self.size[1]} the walkthrough is written at")
        try:
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                self._container.mux(packet)
        except (OSError, av.error.FFmpegError) as error:
            self.close()
            full = getattr(error, "errno", None) == errno.ENOSPC or "No space left" in str(error)
            reason = "the disk is full" if full else str(error)
            raise self.error(f"{self.stopped} after {self.frames} frames ({reason}); "
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


def _open_video(path: Path, size: Sequence[int], fps: Fraction) -> VideoWriter:
    import av

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return VideoWriter(path, size, fps)
    except (OSError, av.error.FFmpegError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DreamwalkError(f"cannot write the walkthrough to {path}: {reason}") from error


def resolve_world(world: str) -> Path:
    """A world pack by path, or by manifest name among the bundled worlds (what an action log names)."""
    from engine.pack import PackError, read_pack_manifest
    from engine.runtime.session import DEFAULT_WORLDS, bundled_worlds

    if Path(world).exists():
        return Path(world)
    for pack in bundled_worlds():
        try:
            if read_pack_manifest(pack).get("name") == world:
                return pack
        except PackError:
            continue
    raise DreamwalkError(f"no world pack at {world}, and no world named {world!r} among the bundled worlds in "
                         f"{DEFAULT_WORLDS}; give its pack with --world PACK")
