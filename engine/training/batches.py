"""Endless shuffled batches from recorded shards, for the training tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from engine.data.windows import WindowStream


def shuffled_windows(path: str | Path, length: int, size: tuple[int, int], buffer: int, seed: int,
                     stride: int | None = None) -> Iterator[dict[str, np.ndarray]]:
    """Windows from every shard, pass after pass, mixed through a shuffle buffer so that one batch draws
    on many episodes rather than on one shard's consecutive windows."""
    stream = WindowStream(path, length, size, stride=stride, shuffle=True, seed=seed)
    rng = np.random.default_rng(seed)
    pool: list[dict[str, np.ndarray]] = []
    epoch = 0
    while True:
        stream.set_epoch(epoch)
        produced = False
        for window in stream:
            produced = True
            if len(pool) < buffer:
                pool.append(window)
                continue
            index = int(rng.integers(len(pool)))
            yield pool[index]
            pool[index] = window
        if not produced and not pool:
            raise ValueError(f"no window of {length} frames in {path}: episodes are shorter")
        epoch += 1
        # Keep the pool across passes; drain a little so an epoch's tail is not over-represented.
        rng.shuffle(pool)
        for window in pool[: len(pool) // 4]:
            yield window
        del pool[: len(pool) // 4]


def stack(windows: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.stack([w[key] for w in windows]) for key in windows[0]}
