"""``dreamwalk data info`` and ``dreamwalk data preview``: what a folder of recordings holds."""

from __future__ import annotations

import errno
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.episodes import read_episodes
from engine.data.shards import NO_SPACE_ERRNOS, list_shards, read_meta, read_shard
from engine.data.stats import action_statistics
from engine.errors import DataError
from engine.files import replacing


def dataset_info(folder: Path, verify: bool = False) -> dict[str, Any]:
    """Frames, episodes, maps, sources, policies and action statistics of a folder of shards.

    ``verify`` also decompresses every frame, checking each shard's checksums (slower).
    """
    shards = list_shards(folder)
    frames_by_map: Counter[str] = Counter()
    sources, policies = Counter(), Counter()
    raw_actions = []
    sizes = set()
    for shard in shards:
        _, actions, _, meta = read_shard(shard, frames=verify)
        key = f"{meta.get('source', '?')}:{meta.get('map', '?')}"
        frames_by_map[key] += len(actions)
        sources[meta.get("source", "?")] += 1
        policies[meta.get("policy", "?")] += 1
        sizes.add(f"{meta.get('width')}x{meta.get('height')}")
        raw_actions.append(actions)
    first = read_meta(shards[0])
    return {
        "folder": str(folder),
        "episodes": len(shards),
        "frames": int(sum(frames_by_map.values())),
        "frame_size": sorted(sizes),
        "fps": first.get("fps"),
        "tics_per_frame": first.get("tics_per_frame"),
        "sources": dict(sources),
        "policies": dict(policies),
        "frames_by_map": dict(sorted(frames_by_map.items())),
        "bytes_on_disk": int(sum(p.stat().st_size for p in shards)),
        "actions": action_statistics(np.concatenate(raw_actions)),
    }


def format_info(info: dict[str, Any]) -> str:
    actions = info["actions"]
    lines = [
        f"{info['folder']}: {info['frames']:,} frames in {info['episodes']} episodes "
        f"({info['bytes_on_disk'] / 2**20:.1f} MiB), frames {', '.join(info['frame_size'])} "
        f"at {info['fps']} fps ({info['tics_per_frame']} tics per frame)",
        f"sources: {info['sources']}   policies: {info['policies']}",
        "frames by map: " + ", ".join(f"{k} {v:,}" for k, v in info["frames_by_map"].items()),
        "buttons held (share of frames): "
        + ", ".join(f"{k} {v:.1%}" for k, v in actions["pressed"].items()),
        f"forward only: {actions['forward_only']:.1%}   no movement key: {actions['no_movement_key']:.1%}   "
        f"idle: {actions['idle']:.1%}",
        f"turn: mean |turn| {actions['turn_abs_mean']:.2f} deg/frame, left {actions['turn_left_right'][0]:.1%} "
        f"right {actions['turn_left_right'][1]:.1%}, range {actions['turn_range']}",
        "turn histogram (|deg| per frame): "
        + ", ".join(f"{k} {v:.1%}" for k, v in actions["turn_histogram"].items()),
        f"look: {actions['looking']:.1%} of frames, mean |look| {actions['look_abs_mean']:.2f} deg/frame, "
        f"range {actions['look_range']}",
    ]
    return "\n".join(lines)


def _sample_frames(folder: Path, count: int) -> list[tuple[np.ndarray, str]]:
    """``count`` frames spread evenly over every episode of the folder, with a label each."""
    shards = list_shards(folder)
    lengths = [int(read_meta(p)["frames"]) for p in shards]
    total = sum(lengths)
    wanted = set(np.linspace(0, total - 1, num=min(count, total)).astype(int).tolist())
    picked, offset = [], 0
    for shard, length in zip(shards, lengths):
        times = sorted(i - offset for i in wanted if offset <= i < offset + length)
        offset += length
        if not times:
            continue                                   # only shards that hold a picked frame are read
        frames, _, _, meta = read_shard(shard)
        picked += [(frames[t], f"{meta.get('map', '?')} t{t}") for t in times]
    return picked


def preview_sheet(folder: Path, out: Path, count: int = 48, columns: int = 8, scale: int = 2) -> Path:
    """A contact sheet PNG of frames spread across the recording."""
    from PIL import Image, ImageDraw

    picked = _sample_frames(folder, count)
    height, width = picked[0][0].shape[:2]
    tile_w, tile_h = width * scale, height * scale + 12
    rows = -(-len(picked) // columns)
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    for i, (frame, label) in enumerate(picked):
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        tile = Image.fromarray(frame).resize((width * scale, height * scale), Image.NEAREST)
        sheet.paste(tile, (x, y))
        draw.text((x + 2, y + height * scale), label, fill=(220, 220, 220))
    _save(lambda path: sheet.save(path, format="PNG"), out)
    return out


def preview_clip(folder: Path, out: Path, frames: int = 600, scale: int = 4, episode: int = 0) -> Path:
    """An H.264 MP4 of the first ``frames`` frames of one episode at the recording's frame rate."""
    import av
    from fractions import Fraction

    shards = list_shards(folder)
    if not 0 <= episode < len(shards):
        raise DataError(f"episode {episode} does not exist; the folder holds {len(shards)} (0-{len(shards) - 1})")
    recorded = next(read_episodes(shards[episode]))
    clip = recorded.frames[:frames]
    fps = Fraction(recorded.meta.get("fps", 15)).limit_denominator(100)
    height, width = clip.shape[1] * scale, clip.shape[2] * scale

    def write(path: Path) -> None:
        with av.open(str(path), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": "18", "preset": "fast"}
            for frame in clip:
                big = np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)
                for packet in stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    _save(write, out)
    return out


def _save(write, out: Path) -> None:
    """``write(path)`` whole or not at all (engine.files.replacing), with one clear error when the disk refuses."""
    out = Path(out)
    try:
        with replacing(out) as temporary:
            write(temporary)
    except OSError as error:
        if error.errno in NO_SPACE_ERRNOS:
            raise DataError(f"out of disk space writing {out}") from error
        reason = error.strerror or errno.errorcode.get(error.errno or 0, str(error))
        raise DataError(f"cannot write {out}: {reason}") from error
