"""Fixed-length training windows streamed from shards, resized with area averaging, split across
dataloader workers and DDP ranks so that every window is read by exactly one of them."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from engine.data.shards import list_shards, read_meta, read_shard
from engine.images import area_resize


@dataclass
class Split:
    """Which share of the data one reader takes: DDP rank x dataloader worker."""

    rank: int = 0
    world_size: int = 1
    worker: int = 0
    num_workers: int = 1

    @property
    def index(self) -> int:
        return self.rank * self.num_workers + self.worker

    @property
    def count(self) -> int:
        return self.world_size * self.num_workers

    @classmethod
    def detect(cls) -> "Split":
        """The current process's share: torch.distributed rank and dataloader worker, where torch runs."""
        split = cls()
        torch = sys.modules.get("torch")
        if torch is None:
            return split
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            split.rank, split.world_size = torch.distributed.get_rank(), torch.distributed.get_world_size()
        info = torch.utils.data.get_worker_info()
        if info is not None:
            split.worker, split.num_workers = info.id, info.num_workers
        return split


class WindowStream:
    """Windows of ``length`` consecutive frames with their actions, as dicts of numpy arrays:
    ``frames`` (L, h, w, 3) uint8, ``actions`` (L, 12) float32 raw, ``poses`` (L, 5) or absent.

    With at least as many shards as readers, each reader takes whole shards (shard i goes to reader
    i mod count), so a shard is decompressed once per pass; with fewer shards, each reader takes
    every count-th window. ``shuffle`` orders shards and windows by ``seed + epoch``.
    """

    def __init__(self, path: str | Path, length: int, size: tuple[int, int] | None = None,
                 stride: int | None = None, shuffle: bool = True, seed: int = 0,
                 split: Split | None = None) -> None:
        self.shards = list_shards(Path(path))
        self.length, self.size = int(length), size
        self.stride = int(stride or length)
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self.split = split

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        split = self.split or Split.detect()
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.shards)) if self.shuffle else np.arange(len(self.shards))
        by_shard = len(self.shards) >= split.count
        window_index = 0
        for position, shard_index in enumerate(order):
            if by_shard and position % split.count != split.index:
                continue
            shard = self.shards[shard_index]
            frames, actions, poses, _ = read_shard(shard)
            starts = np.arange(0, len(frames) - self.length + 1, self.stride)
            if self.shuffle:
                rng.shuffle(starts)
            resized = None
            for start in starts:
                window_index += 1
                if not by_shard and (window_index - 1) % split.count != split.index:
                    continue
                if resized is None:
                    resized = area_resize(frames, self.size) if self.size else frames
                stop = start + self.length
                window = {"frames": resized[start:stop], "actions": actions[start:stop]}
                if poses is not None:
                    window["poses"] = poses[start:stop]
                yield window

    def count_windows(self) -> int:
        """Windows in one pass over all readers together (from shard metadata; frames stay on disk)."""
        total = 0
        for shard in self.shards:
            frames = int(read_meta(shard)["frames"])
            if frames >= self.length:
                total += (frames - self.length) // self.stride + 1
        return total


def window_dataset(path: str | Path, length: int, size: tuple[int, int] | None = None, **options):
    """A torch IterableDataset over :class:`WindowStream` (torch is imported only here)."""
    import torch

    class WindowDataset(torch.utils.data.IterableDataset):
        def __init__(self) -> None:
            self.stream = WindowStream(path, length, size, **options)

        def set_epoch(self, epoch: int) -> None:
            self.stream.set_epoch(epoch)

        def __iter__(self):
            for window in self.stream:
                yield {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in window.items()}

    return WindowDataset()

