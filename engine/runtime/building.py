"""The world builder at play (engine.memory.builder): a surround around the prompt, solved coarse and then
refined in a process of its own while the world starts and plays.

What a frame shows depends only on the picture, the actions and the seed, never on how fast the machine is:
the coarse surround enters the world at the first step and the refined one at a fixed frame (``REFINED_AT``),
and a step that reaches either before the builder is done waits for it (the wait is part of that frame's
time). Replays, scenes, walkthrough renders, evaluation and an agent stepping as fast as it can all see the
world a player sees.

PatchMatch holds Python's lock while it runs (patchmatch-cython), so solving the surround, and building what
the player puts in its world from it, run in a worker process (engine.memory.worker), started when the world
opens so that its start-up overlaps the loading, and solving while the first frame is made; where none can be
started, they run at those frames in the player.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

import numpy as np

from engine.images import box_resize
from engine.memory.builder import BuilderConfig, Correspondence, Cylinder, PlaySizes, PlaySurround
from engine.memory.panorama import PanoramaView
from engine.memory.worker import SurroundRequest, read_message, read_surround, worker_command, write_message
from engine.runtime.providers import warn

REFINED_AT = 48                  # the frame from which the refined surround is in the world (2.7 s at 17.5/s)
SOLVE_SCALE = 4                  # the picture goes to the solver at this many times the refined solve's scale


@dataclass
class SurroundJob:
    """One prompt's surround: the coarse one (in the world from the first step) and the refined one (from
    ``REFINED_AT``), each None until taken."""
    request: SurroundRequest
    coarse: PlaySurround | None = None
    done: PlaySurround | None = None
    solved: Correspondence | None = None                       # the coarse solve, where this process made it
    timings: dict[str, float] = field(default_factory=dict)   # seconds: coarse, refined (solve), waited


class PlayBuilder:
    def __init__(self, config: BuilderConfig) -> None:
        self.config = config
        self._worker: subprocess.Popen | None = None
        self._pending: SurroundJob | None = None        # sent, an answer not read yet
        self._spawn()

    def _spawn(self) -> None:
        try:
            self._worker = subprocess.Popen(worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as error:
            warn(f"the world builder works in the player's own process ({error.strerror or error})")

    def start(self, picture: np.ndarray, lifted: np.ndarray, depth: np.ndarray, eye_height: float,
              field_of_view: float, coarse_sizes: PlaySizes, refined_sizes: PlaySizes,
              panorama: PanoramaView | None = None, front: tuple[int, int] = (0, 0)) -> SurroundJob:
        """The surround of ``picture`` (H, W, 3) uint8 (built from it and from ``lifted``, the picture at the
        lift size, with ``depth``) asked of the worker: coarse, then refined. The world goes on meanwhile; the
        first step takes the coarse one (``coarse``). ``panorama``: the picture is a panorama lying so round the
        camera, whose first view (``front``, width and height) the prompt shows itself."""
        span, equirect = (panorama.span, panorama.equirect) if panorama is not None else (0.0, False)
        request = SurroundRequest(picture, picture, lifted, depth, eye_height, field_of_view, self.config,
                                  coarse_sizes, refined_sizes, span, equirect, front)
        # The refined solve reads the picture at about its own scale: send it a few times that, not more.
        scale = SOLVE_SCALE * Cylinder(self.config.width).focal / request.view.focal
        if scale < 1:
            request.solve_picture = box_resize(picture, (max(2, round(picture.shape[1] * scale)),
                                                         max(2, round(picture.shape[0] * scale))))
        job = SurroundJob(request)
        if self._pending is not None and self._worker is not None:
            # A prompt left before its surround was refined: that solve is of no use and would hold up this
            # one (and its answers, never read, would fill the pipe): a new worker instead.
            self.close()
            self._spawn()
        if self._worker is not None:
            try:
                write_message(self._worker.stdin, job.request.message())
                self._pending = job
            except OSError:
                self._lost()
        return job

    def coarse(self, job: SurroundJob) -> PlaySurround:
        """The coarse surround (waits for the worker; solves it here where there is none)."""
        if job.coarse is None:
            began = time.perf_counter()
            answer = self._answer(job)
            if answer is not None:
                job.coarse, job.timings["coarse"] = read_surround(answer), float(answer["seconds"])
            else:
                job.solved, job.coarse = job.request.coarse()
                job.timings["coarse"] = time.perf_counter() - began
            job.timings["coarse waited"] = time.perf_counter() - began
        return job.coarse

    def refined(self, job: SurroundJob) -> PlaySurround:
        """The refined surround (waits for the worker; solves it here where there is none)."""
        self.coarse(job)
        began = time.perf_counter()
        if job.done is None:
            answer = self._answer(job)
            if answer is not None:
                self._pending = None
                job.done, job.timings["refined"] = read_surround(answer), float(answer["seconds"])
            else:
                solved = time.perf_counter()
                job.done = job.request.refine(job.solved if job.solved is not None else job.request.coarse()[0])
                job.timings["refined"] = time.perf_counter() - solved
        job.timings.setdefault("waited", time.perf_counter() - began)
        return job.done

    def _answer(self, job: SurroundJob) -> dict[str, np.ndarray] | None:
        """The worker's next answer for ``job`` (None: no worker, or it went away)."""
        if job is not self._pending or self._worker is None:
            return None
        answer = read_message(self._worker.stdout)
        if answer is None:
            self._lost()
        return answer

    def _lost(self) -> None:
        warn("the world builder's worker stopped; the player solves surrounds itself")
        self.close()

    def close(self) -> None:
        worker, busy, self._worker, self._pending = self._worker, self._pending is not None, None, None
        if worker is not None:
            if busy:                               # a solve nobody will read: not worth waiting for
                worker.kill()
            for stream in (worker.stdin, worker.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                worker.wait(timeout=2)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
