"""Image arrays, one arithmetic for play and training alike: resizing (by area, box, bilinear or nearest pixel)
and the conversions between uint8 pixels, rounded values and the networks' -1..1.

Two area resizes average the same areas with different arithmetic: ``area_resize`` (a matrix product, for
batches of frames: training data, evaluation) and ``AreaResize`` (running sums, for one frame at play, where
a matrix product's threads would fight the networks' for the cores). Their float results differ in the last
bits, so each caller keeps the one it has always used. ``box_resize`` is Pillow's area average (the builder's).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Pixel values (any shape, float) rounded to the nearest (halves to even) and clipped to 0-255, uint8."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def to_signed(pixels: np.ndarray) -> np.ndarray:
    """Pixel values 0-255 (uint8, or float already rounded) as the networks read them: -1..1, float32."""
    return np.asarray(pixels).astype(np.float32) / 127.5 - 1.0


@lru_cache(maxsize=32)
def area_weights(source: int, target: int) -> np.ndarray:
    """(target, source) matrix: each output pixel averages the input pixels it covers, by covered area."""
    scale = source / target
    edges = np.arange(target + 1) * scale                      # output pixel edges in input coordinates
    starts, ends = edges[:-1, None], edges[1:, None]
    pixel = np.arange(source)[None, :]
    overlap = np.clip(np.minimum(ends, pixel + 1) - np.maximum(starts, pixel), 0.0, None)
    return (overlap / scale).astype(np.float32)


def area_resize(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (..., H, W, 3) uint8 frames to ``size`` = (width, height) by area averaging."""
    frames = np.asarray(frames)
    width, height = size
    if frames.shape[-3:-1] == (height, width):
        return frames
    rows = area_weights(frames.shape[-3], height)              # (h, H)
    cols = area_weights(frames.shape[-2], width)               # (w, W)
    flat = frames.reshape(-1, *frames.shape[-3:])               # (N, H, W, 3)
    out = np.empty((len(flat), height, width, 3), np.uint8)
    for start in range(0, len(flat), 256):                      # bounded float32 working memory
        chunk = flat[start:start + 256].astype(np.float32)
        resized = np.einsum("hH,nHWc,wW->nhwc", rows, chunk, cols, optimize=True)
        out[start:start + 256] = to_uint8(resized)
    return out.reshape(*frames.shape[:-3], height, width, 3)


class AreaResize:
    """Area-averaging resize between two fixed sizes (width, height) from running sums along each axis: no
    matrix product, whose threads would fight the networks' for the cores."""

    def __init__(self, source: tuple[int, int], target: tuple[int, int]) -> None:
        self.axes = [self._edges(source[1], target[1]), self._edges(source[0], target[0])]

    @staticmethod
    def _edges(inputs: int, outputs: int) -> tuple[np.ndarray, np.ndarray, float]:
        edges = np.linspace(0, inputs, outputs + 1)
        whole = np.minimum(np.floor(edges).astype(np.int64), inputs - 1)
        return whole, (edges - whole).astype(np.float32), inputs / outputs

    def __call__(self, frame: np.ndarray, rows_summed: np.ndarray | None = None) -> np.ndarray:
        """(H, W, C) -> (h, w, C) float32. ``rows_summed``: the frame's running sum down its rows
        (``running_rows``), where several sizes are made from one frame."""
        out = frame.astype(np.float32)
        for axis, (whole, part, width) in enumerate(self.axes):
            before = rows_summed if axis == 0 and rows_summed is not None else running_sum(out, axis)
            shape = [1, 1, 1]
            shape[axis] = len(part)
            # The running sum at each (fractional) edge, then the difference between neighbouring edges.
            at_edges = np.take(before, whole, axis=axis) + part.reshape(shape) * np.take(out, whole, axis=axis)
            out = np.diff(at_edges, axis=axis) / width
        return out


def running_sum(values: np.ndarray, axis: int) -> np.ndarray:
    """The running sum of ``values`` (float32) along ``axis``, a zero before the first."""
    running = np.cumsum(values, axis=axis)
    return np.concatenate([np.zeros_like(np.take(running, [0], axis=axis)), running], axis=axis)


def area_resizes(picture: np.ndarray, sizes: list[tuple[int, int]]) -> list[np.ndarray]:
    """``picture`` (H, W, C) at each of ``sizes`` (width, height) as AreaResize makes it (float32), the
    running sum down its rows taken once for all."""
    rows_summed = running_sum(picture.astype(np.float32), 0)
    return [AreaResize(picture.shape[1::-1], size)(picture, rows_summed) for size in sizes]


def box_resize(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A picture (H, W, C) uint8 at ``size`` (width, height) by box (area) averaging; as it is where equal."""
    from PIL import Image

    if picture.shape[1::-1] == tuple(size):
        return picture
    return np.asarray(Image.fromarray(picture).resize(size, Image.BOX))


def bilinear_resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A frame (h, w, 3) uint8 at ``size`` (width, height), bilinear; as it is where equal."""
    from PIL import Image

    if frame.shape[1::-1] == tuple(size):
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.BILINEAR))


def nearest(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(h, w, ...) at ``shape`` (rows, columns), each taking its nearest source pixel: how a depth map at the
    depth graph's size is laid over a frame."""
    rows = np.arange(shape[0]) * array.shape[0] // shape[0]
    columns = np.arange(shape[1]) * array.shape[1] // shape[1]
    return array[rows][:, columns]
