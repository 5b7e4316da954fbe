"""The world builder's worker process: PatchMatch holds Python's lock while it solves, so a player refines
its surround here (``python -m engine.memory.worker``; the desktop app runs itself with ``--builder-worker``).

Requests and answers cross the worker's pipes as numpy archives, each after its length; nothing is pickled.
"""

from __future__ import annotations

import io
import struct
import sys
from dataclasses import asdict
from typing import BinaryIO

import numpy as np

from engine.config import from_dict
from engine.memory.builder import BuilderConfig, Correspondence, Cylinder, PictureView, solve_surround

WORKER_FLAG = "--builder-worker"
CONFIG_FIELDS = tuple(asdict(BuilderConfig()))


def worker_command() -> list[str]:
    if getattr(sys, "frozen", False):                  # the desktop app: main.py answers the flag
        return [sys.executable, WORKER_FLAG]
    return [sys.executable, "-m", "engine.memory.worker"]


def write_message(stream: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    stream.write(struct.pack("<Q", buffer.tell()) + buffer.getvalue())
    stream.flush()


def read_message(stream: BinaryIO) -> dict[str, np.ndarray] | None:
    """The next message, or None where the pipe closed."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    (length,) = struct.unpack("<Q", head)
    body = stream.read(length)
    if len(body) < length:
        return None
    with np.load(io.BytesIO(body), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def request(picture: np.ndarray, field_of_view: float, config: BuilderConfig, start: Correspondence) -> dict:
    """A refinement to ask for: ``picture``'s surround at ``config.width``, started from ``start``."""
    return {"picture": picture, "field_of_view": np.float64(field_of_view),
            "config": np.array([asdict(config)[name] for name in CONFIG_FIELDS], np.int64),
            "start_source": start.source, "start_width": np.int64(start.cylinder.width),
            "start_view": np.array(start.view.size, np.int64)}


def answer(message: dict[str, np.ndarray]) -> Correspondence:
    config = from_dict(BuilderConfig, dict(zip(CONFIG_FIELDS, (int(value) for value in message["config"]))))
    picture, field_of_view = message["picture"], float(message["field_of_view"])
    start = Correspondence(Cylinder(int(message["start_width"])),
                           PictureView(tuple(int(v) for v in message["start_view"]), field_of_view),
                           message["start_source"])
    return solve_surround(picture, field_of_view, config.width, config, start)


def answer_message(correspondence: Correspondence) -> dict[str, np.ndarray]:
    return {"source": correspondence.source, "width": np.int64(correspondence.cylinder.width),
            "view": np.array(correspondence.view.size, np.int64),
            "field_of_view": np.float64(correspondence.view.field_of_view)}


def read_answer(message: dict[str, np.ndarray]) -> Correspondence:
    return Correspondence(Cylinder(int(message["width"])),
                          PictureView(tuple(int(v) for v in message["view"]), float(message["field_of_view"])),
                          message["source"])


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """A request in, its refined correspondence out, until the player closes the pipe."""
    try:
        while (message := read_message(requests)) is not None:
            write_message(answers, answer_message(answer(message)))
    except (BrokenPipeError, KeyboardInterrupt):        # the player went away: nothing left to answer
        pass


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
