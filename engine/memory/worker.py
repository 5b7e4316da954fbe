"""The world builder's worker process: PatchMatch holds Python's lock while it solves, so a player solves
its surround here, coarse and then refined (``python -m engine.memory.worker``; the desktop app runs itself
with ``--builder-worker``), and builds there too what the player puts in its world
(engine.memory.builder.build_for_play).

Requests and answers cross the worker's pipes as numpy archives, each after its length; nothing is pickled.
"""

from __future__ import annotations

import io
import struct
import sys
import time
from dataclasses import asdict, astuple, dataclass
from typing import BinaryIO

import numpy as np

from engine.config import from_dict
from engine.memory.builder import (BuilderConfig, Correspondence, Cylinder, PictureView, PlaySizes, PlaySurround,
                                   Surround, build_for_play, solve_surround)
from engine.memory.panorama import PanoramaView

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
class SurroundRequest:
    """What a player asks the worker for: the surround of ``picture`` solved coarse (``config.coarse_width``)
    and built for play at ``coarse_sizes``, then solved again at ``config.width`` from the coarse solve and
    built at ``sizes``: from the prompt at its own size and at the lift size (``lifted``), with ``depth``.
    The prompt is a view ``field_of_view`` degrees across, or where ``span`` (radians) is given a panorama
    that wide (``equirect``: an equirectangular one) whose first view, ``front`` (width, height), the prompt
    shows itself."""
    solve_picture: np.ndarray
    picture: np.ndarray
    lifted: np.ndarray
    depth: np.ndarray
    eye_height: float
    field_of_view: float
    config: BuilderConfig
    coarse_sizes: PlaySizes
    sizes: PlaySizes
    span: float = 0.0
    equirect: bool = False
    front: tuple[int, int] = (0, 0)

    @property
    def view(self) -> PictureView | PanoramaView:
        size = self.picture.shape[1::-1]
        return PanoramaView(size, self.span, self.equirect) if self.span else PictureView(size, self.field_of_view)

    @property
    def front_view(self) -> PictureView | None:
        return PictureView(self.front, self.field_of_view) if self.span else None

    def message(self) -> dict[str, np.ndarray]:
        return {"solve_picture": self.solve_picture, "picture": self.picture, "lifted": self.lifted,
                "depth": self.depth,
                "numbers": np.array([self.eye_height, self.field_of_view, self.span, self.equirect, *self.front]),
                "config": np.array([asdict(self.config)[name] for name in CONFIG_FIELDS], np.int64),
                "coarse_sizes": np.array(astuple(self.coarse_sizes), np.int64),
                "sizes": np.array(astuple(self.sizes), np.int64)}

    @classmethod
    def from_message(cls, message: dict[str, np.ndarray]) -> "SurroundRequest":
        config = from_dict(BuilderConfig, dict(zip(CONFIG_FIELDS, (int(value) for value in message["config"]))))
        eye_height, field_of_view, span, equirect, *front = (float(value) for value in message["numbers"])
        coarse_sizes, sizes = (PlaySizes(*(int(value) for value in message[name]))
                               for name in ("coarse_sizes", "sizes"))
        return cls(message["solve_picture"], message["picture"], message["lifted"], message["depth"], eye_height,
                   field_of_view, config, coarse_sizes, sizes, span, bool(equirect), (int(front[0]), int(front[1])))

    def coarse(self) -> tuple[Correspondence, PlaySurround]:
        """The coarse solve, and its surround built for play."""
        solved = solve_surround(self.solve_picture, self.view, self.config.coarse_width, self.config,
                                front=self.front_view)
        return solved, build_for_play(solved, self.picture, self.lifted, self.depth, self.eye_height,
                                      self.coarse_sizes)

    def refine(self, coarse: Correspondence) -> PlaySurround:
        refined = solve_surround(self.solve_picture, self.view, self.config.width, self.config, coarse,
                                 self.front_view)
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
    """A request in; its coarse surround out, then its refined one (each with the seconds it took), until the
    player closes the pipe."""
    try:
        while (message := read_message(requests)) is not None:
            request = SurroundRequest.from_message(message)
            began = time.perf_counter()
            solved, coarse = request.coarse()
            write_message(answers, {**surround_message(coarse), "seconds": np.float64(time.perf_counter() - began)})
            began = time.perf_counter()
            refined = request.refine(solved)
            write_message(answers, {**surround_message(refined), "seconds": np.float64(time.perf_counter() - began)})
    except (BrokenPipeError, KeyboardInterrupt):        # the player went away: nothing left to answer
        pass


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
