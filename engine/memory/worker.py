"""The world builder's worker process: PatchMatch holds Python's lock while it solves, so a player refines
its surround here (``python -m engine.memory.worker``; the desktop app runs itself with ``--builder-worker``),
and builds there too what the player puts in its world (engine.memory.builder.build_for_play).

Requests and answers cross the worker's pipes as numpy archives, each after its length; nothing is pickled.
"""

from __future__ import annotations

import io
import struct
import sys
import time
from dataclasses import asdict, dataclass
from typing import BinaryIO

import numpy as np

from engine.config import from_dict
from engine.memory.builder import (BuilderConfig, Correspondence, Cylinder, PictureView, PlaySizes, PlaySurround,
                                   Surround, build_for_play, solve_surround)

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


@dataclass
class Refinement:
    """What a player asks the worker for: the surround of ``picture`` solved at ``config.width`` from the
    coarse ``start``, then built for play from the prompt at its own size and at the lift size."""
    solve_picture: np.ndarray
    picture: np.ndarray
    lifted: np.ndarray
    depth: np.ndarray
    eye_height: float
    field_of_view: float
    config: BuilderConfig
    start: Correspondence
    sizes: PlaySizes

    def message(self) -> dict[str, np.ndarray]:
        return {"solve_picture": self.solve_picture, "picture": self.picture, "lifted": self.lifted,
                "depth": self.depth, "numbers": np.array([self.eye_height, self.field_of_view]),
                "config": np.array([asdict(self.config)[name] for name in CONFIG_FIELDS], np.int64),
                "start_source": self.start.source, "start_width": np.int64(self.start.cylinder.width),
                "start_view": np.array(self.start.view.size, np.int64),
                "sizes": np.array([self.sizes.lift, self.sizes.texture, self.sizes.mesh], np.int64)}

    @classmethod
    def from_message(cls, message: dict[str, np.ndarray]) -> "Refinement":
        config = from_dict(BuilderConfig, dict(zip(CONFIG_FIELDS, (int(value) for value in message["config"]))))
        eye_height, field_of_view = (float(value) for value in message["numbers"])
        start = Correspondence(Cylinder(int(message["start_width"])),
                               PictureView(tuple(int(v) for v in message["start_view"]), field_of_view),
                               message["start_source"])
        return cls(message["solve_picture"], message["picture"], message["lifted"], message["depth"], eye_height,
                   field_of_view, config, start, PlaySizes(*(int(value) for value in message["sizes"])))

    def run(self) -> PlaySurround:
        refined = solve_surround(self.solve_picture, self.field_of_view, self.config.width, self.config, self.start)
        return build_for_play(refined, self.picture, self.lifted, self.depth, self.eye_height, self.sizes)


def surround_message(surround: PlaySurround) -> dict[str, np.ndarray]:
    message = {}
    for name in ("points", "texture", "mesh"):
        part: Surround | None = getattr(surround, name)
        if part is not None:
            message.update({f"{name}_width": np.int64(part.cylinder.width), f"{name}_colour": part.colour,
                            f"{name}_distance": part.distance, f"{name}_built": part.built})
    return message


def read_surround(message: dict[str, np.ndarray]) -> PlaySurround:
    parts = {name: Surround(Cylinder(int(message[f"{name}_width"])), message[f"{name}_colour"],
                            message[f"{name}_distance"], message[f"{name}_built"])
             for name in ("points", "texture", "mesh") if f"{name}_width" in message}
    return PlaySurround(**parts)


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """A request in, its refined surround out (and the seconds it took), until the player closes the pipe."""
    try:
        while (message := read_message(requests)) is not None:
            began = time.perf_counter()
            answer = surround_message(Refinement.from_message(message).run())
            answer["seconds"] = np.float64(time.perf_counter() - began)
            write_message(answers, answer)
    except (BrokenPipeError, KeyboardInterrupt):        # the player went away: nothing left to answer
        pass


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
