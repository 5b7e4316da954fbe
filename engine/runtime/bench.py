"""``dreamwalk bench run PACK``: how fast a world plays here, per provider, precision, cache binding and sampler
step count.

For each setting: time from ``WorldSession.open`` to the first dreamed frame, then the median and p99
time per frame and frames per second over ``frames`` steps of a scripted walk-and-turn (and for a world
with the builder, when its surround was ready). With ``rounds``
above 1 the settings instead take turns, round after round (each round opens the world, dreams 30 frames
to warm up, then times ``frames`` steps), so the CPU's drift during a run falls on every setting alike:
the way to compare two settings whose difference is smaller than that drift.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import numpy as np

from engine.models.sampling import evaluations_per_frame
from engine.reports.bench import BenchReport, BenchSetting, RoundsSetting
from engine.runtime.session import WorldSession


@dataclass
class BenchConfig:
    pack: str | None = None                   # default: the bundled world
    devices: list[str] = field(default_factory=lambda: ["auto"])
    steps: list[int | None] = field(default_factory=lambda: [None])          # None: the pack's
    frames: int = 300
    precisions: list[str] = field(default_factory=lambda: ["auto"])
    io_bindings: list[bool | None] = field(default_factory=lambda: [None])   # None: on for CUDA
    rounds: int = 1
    display_size: tuple[int, int] | None = None   # frames shown at this size (None: the world's own)
    prompt: str | None = None                 # start from this picture (None: the same noise every time); a
                                              # world that builds what a picture never showed is benched on one


def scripted_action(index: int) -> dict[str, Any]:
    return {"forward": index % 40 < 30, "turn": 6.0 if index % 80 < 40 else -6.0, "sprint": index % 100 < 20}


def bench_prompt(path: str | None = None) -> np.ndarray | str:
    """The picture a bench starts from: ``path``, or a full-size noise picture (the same every time)."""
    if path is not None:
        return path
    return np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)


def step_times(session: WorldSession, first: int, count: int) -> list[float]:
    """Seconds each of ``count`` steps of the scripted walk-and-turn takes, from its action ``first`` on."""
    times = []
    for index in range(first, first + count):
        begin = time.perf_counter()
        session.step(scripted_action(index))
        times.append(time.perf_counter() - begin)
    return times


def round_times(session: WorldSession, frames: int, warmup: int = 30) -> list[float]:
    """One round of ``alternating_rounds`` on a session already reset: ``warmup`` untimed steps, then the
    milliseconds of each of ``frames`` steps of the scripted walk-and-turn."""
    step_times(session, 0, warmup)
    return [1000 * seconds for seconds in step_times(session, 0, frames)]


def alternating_rounds(arms: dict[str, Callable[[], list[float]]], rounds: int) -> dict[str, list[list[float]]]:
    """Run each arm (a round: milliseconds per frame) in turn, round after round, so that the CPU's drift
    during a run falls on every arm; each arm's milliseconds per frame, round by round."""
    times: dict[str, list[list[float]]] = {arm: [] for arm in arms}
    for _ in range(rounds):
        for arm, one_round in arms.items():
            times[arm].append(one_round())
    return times


def rounds_setting(arm: str, measured: list[list[float]], frames: int) -> RoundsSetting:
    """One arm's medians and p99 over every frame of every round, the median of each round, frames per second."""
    every = [t for one in measured for t in one]
    return RoundsSetting(arm, len(measured), frames, statistics.median(every), float(np.percentile(every, 99)),
                         [statistics.median(one) for one in measured], 1000 / statistics.median(every))


def bench_setting(pack: str | Path, device: str, steps: int | None, frames: int,
                  precision: str = "auto", io_binding: bool | None = None,
                  display_size: tuple[int, int] | None = None, prompt: str | None = None) -> BenchSetting:
    started = time.perf_counter()
    session = WorldSession.open(pack, device=device, steps=steps, precision=precision, io_binding=io_binding,
                                display_size=display_size)
    try:
        session.reset(bench_prompt(prompt))
        session.step(scripted_action(0))
        first_frame = time.perf_counter() - started
        times = step_times(session, 1, frames)
        settings = session.settings
        guidance_passes = 2 if settings.guidance_scale != 1.0 else 1
        folded = session.folds                                    # the cache pass rides along with the next frame
        evaluations = (evaluations_per_frame(settings.name, settings.steps, settings.prior_sigma is not None)
                       * guidance_passes + (0 if folded else 1))
        return BenchSetting(
            provider=session.provider, precision=session.precision, io_binding=session.io_binding,
            sampler=settings.name, steps=settings.steps, cache_pass_folded=folded,
            network_evaluations_per_frame=evaluations, first_frame_s=first_frame,
            median_ms=1000 * statistics.median(times), p99_ms=1000 * float(np.percentile(times, 99)),
            fps=1.0 / statistics.median(times), frames=frames, size=list(session.frame_size),
            memory=session.memory is not None,
            # The world builder's seconds for the prompt: before the first frame, in its worker, and
            # waited for by the frame that took the refined surround in (0: it was ready).
            surround_s={} if session.memory is None else session.memory.surround_timings)
    finally:
        session.close()


def bench(pack: str | Path, devices: list[str], steps: list[int | None], frames: int,
          precisions: tuple[str, ...] = ("auto",),
          bindings: tuple[bool | None, ...] = (None,)) -> list[dict[str, Any]]:
    """Every setting in turn, as the JSON rows of the runtime check's report; ``bindings`` holds None (the
    session's default: on for CUDA), True or False."""
    return [bench_setting(pack, device, step, frames, precision, binding).to_json()
            for device in devices for precision in precisions for binding in bindings for step in steps]


def one_round(pack: str | Path | None, device: str, steps: int | None, precision: str, io_binding: bool | None,
              frames: int, display_size: tuple[int, int] | None = None, prompt: str | None = None) -> list[float]:
    """Milliseconds per frame of one round: the world opened afresh, 30 frames to warm up, then ``frames``."""
    with WorldSession.open(pack, device=device, steps=steps, precision=precision, io_binding=io_binding,
                           display_size=display_size) as session:
        session.reset(bench_prompt(prompt))
        return round_times(session, frames)


def run_bench(config: BenchConfig) -> BenchReport:
    """Every setting once (``rounds`` 1), or every setting in alternating rounds."""
    settings = [(device, step, precision, binding) for device in config.devices for precision in config.precisions
                for binding in config.io_bindings for step in config.steps]
    if config.rounds <= 1:
        return BenchReport([bench_setting(config.pack, device, step, config.frames, precision, binding,
                                          config.display_size, config.prompt)
                            for device, step, precision, binding in settings])
    arms = {f"{device} {precision} {'auto' if binding is None else ('bound' if binding else 'host')} "
            f"steps {step or 'pack'}": partial(one_round, config.pack, device, step, precision, binding, config.frames,
                                                    config.display_size, config.prompt)
            for device, step, precision, binding in settings}
    times = alternating_rounds(arms, config.rounds)
    return BenchReport([rounds_setting(arm, measured, config.frames) for arm, measured in times.items()])
