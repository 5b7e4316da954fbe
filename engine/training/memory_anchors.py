"""Memory anchors: each recorded frame's view as the world memory would show it, for a dynamics model that
starts every frame from what the memory holds (``DynamicsTrainConfig.memory_anchors``).

In play (engine.runtime.memory) every frame shown is lifted by its estimated depth into the memory, and a
world trained on memory anchors dreams the next frame as a change from the memory drawn at the camera's
new pose, the last frame where the memory holds nothing: nothing to change where the memory is right, the
newly seen strip and what moves elsewhere. In training the anchors have play's faults: each episode's
frames are lifted by the depth network (the depth read from one picture, not the simulator's), the memory
is drawn at the recorded pose shaken by a little noise (the dreamed pose follows the actions, not the
simulator), and in some episodes frames enter the memory only 8 or 30 frames after they were seen, so the
network also learns a memory older than its context (benchmarks/memory_view.py measures these views).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from engine.data.shards import list_shards, read_shard
from engine.errors import DataError
from engine.files import replacing
from engine.images import area_resize, nearest, to_signed
from engine.memory import PointMemory
from engine.models.checkpoint import file_digest, load_autoencoder, load_depth_model
from engine.training.latents import encode_frames, training_device

DELAYS = (1, 8, 30)          # frames between seeing a frame and lifting it, by episode (1: as in play)
POSE_NOISE = (1.0, 0.5)      # standard deviation of the drawn pose: map units (x, y), degrees (yaw)
LIFT_SIZE = (160, 120)       # frames are lifted and drawn at this size, as in play at Doom's resolution


@torch.no_grad()
def estimated_depth(network: torch.nn.Module, frames: np.ndarray) -> np.ndarray:
    """The depth network's reading (T, H, W) float32, map units, of frames (T, H, W, 3) uint8, as play reads
    a frame: area-averaged to the network's size, the result laid over the frame by nearest pixel."""
    size = (network.config.width, network.config.height)
    small = torch.from_numpy(to_signed(area_resize(frames, size))).permute(0, 3, 1, 2)       # (T, 3, h, w)
    depth = torch.cat([network(small[start:start + 256]) for start in range(0, len(small), 256)])[:, 0].numpy()
    return np.stack([nearest(one, frames.shape[1:3]) for one in depth]).astype(np.float32)


def memory_views(frames: np.ndarray, depth: np.ndarray, poses: np.ndarray, delay: int,
                 noise: tuple[float, float], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(T, H, W, 3) uint8: frame t as the memory shows it at pose t (shaken by ``noise``: map units, degrees)
    when it holds the frames up to t - ``delay`` lifted by ``depth``, the frame before where it holds
    nothing (frame 0: itself); and the share of each view the memory covers (T,)."""
    height, width = frames.shape[1:3]
    memory = PointMemory()
    views, covers = np.empty_like(frames), np.ones(len(frames))
    views[0] = frames[0]
    for t in range(1, len(frames)):
        if t - delay >= 0:
            memory.add(frames[t - delay], depth[t - delay], poses[t - delay])
        pose = poses[t].astype(np.float64).copy()
        pose[:2] += rng.normal(0.0, noise[0], 2)
        pose[3] += rng.normal(0.0, noise[1])
        remembered, covered, _ = memory.render(pose, (width, height))
        views[t] = np.where(covered[..., None], remembered, frames[t - 1])
        covers[t] = covered.mean()
    return views, covers


def episode_anchors(job: tuple[Path, int, str, int]) -> np.ndarray:
    """(a worker's job: shard, its index, the depth network, seed) The memory's view of every frame of one
    recorded episode at LIFT_SIZE."""
    shard, index, depth_path, seed = job
    torch.set_num_threads(1)
    network, _ = load_depth_model(depth_path)
    frames, _, poses, _ = read_shard(shard)
    if poses is None:
        raise DataError(f"{shard} has no poses: memory anchors need recordings with poses (dreamwalk collect "
                        "--source vizdoom)")
    frames = area_resize(frames, LIFT_SIZE)
    rng = np.random.default_rng([seed, index])
    views, _ = memory_views(frames, estimated_depth(network, frames), poses, DELAYS[index % len(DELAYS)],
                            POSE_NOISE, rng)
    return views


@torch.no_grad()
def encode_anchors(autoencoder_path: str | Path, depth_path: str | Path, data: str | Path, cache: Path,
                   seed: int = 0) -> list[Path]:
    """Latents (fp16) of every shard's memory anchors, cached per autoencoder and depth network; the
    memories are built in one process per core."""
    device = training_device()
    autoencoder = load_autoencoder(autoencoder_path)[0].to(device)
    cache = cache / file_digest(Path(autoencoder_path)) / f"memory-{file_digest(Path(depth_path))}-{seed}"
    cache.mkdir(parents=True, exist_ok=True)
    shards = list_shards(Path(data))
    outputs = [cache / shard.name for shard in shards]
    missing = [(index, shard, target) for index, (shard, target) in enumerate(zip(shards, outputs))
               if not target.exists()]
    with ProcessPoolExecutor(max(1, min(15, os.cpu_count() or 2))) as pool:
        jobs = [(shard, index, str(depth_path), seed) for index, shard, _ in missing]
        for (_, _, target), views in zip(missing, pool.map(episode_anchors, jobs)):
            anchors = encode_frames(autoencoder, views, device)      # as encode_shards encodes the frames
            with replacing(target) as temporary, open(temporary, "wb") as handle:
                np.savez(handle, anchors=anchors.half().numpy())
    return outputs
