"""An artist's brush on a picture's depth: strokes that bring what they cover nearer or push it farther.

The work is one multiplicative map over the depth network's grid (1 where nothing was painted), so that it
applies to whatever the reading's settings make of the picture. A stroke multiplies the depth it covers by its
factor once, however often the brush passes over a place in that stroke; its edge is soft.

    edit = DepthEdit((60, 80))
    edit.begin(NEARER)
    edit.paint(0.5, 0.7, 0.15)                 # x, y as shares of the picture; the radius a share of its width
    edit.paint(0.6, 0.7, 0.15)
    edit.end()
    depth = edit.apply(read_depth, far)        # (60, 80) float32
"""

from __future__ import annotations

import numpy as np

NEARER, FARTHER = 0.8, 1.25         # a stroke's factor on the depth it covers fully
DAB_SPACING = 0.25                  # of the radius: how far apart a moving stroke's dabs are laid


def brush_weights(shape: tuple[int, int], x: float, y: float, radius: float) -> np.ndarray:
    """(h, w) float32 in [0, 1]: a soft round dab at (``x``, ``y``) grid pixels of ``radius`` grid pixels, 1 at
    its centre, falling smoothly to 0 at its edge."""
    height, width = shape
    rows = (np.arange(height, dtype=np.float32) + 0.5 - y)[:, None]              # (h, 1)
    columns = (np.arange(width, dtype=np.float32) + 0.5 - x)[None, :]            # (1, w)
    share = (rows ** 2 + columns ** 2) / np.float32(max(radius, 0.5) ** 2)
    return np.clip(1.0 - share, 0.0, 1.0) ** 2


class DepthEdit:
    """The brush's work on one picture's depth grid (h, w): ``scale`` multiplies the read depth; every stroke
    and clear can be undone."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = tuple(shape)
        self.scale = np.ones(self.shape, np.float32)
        self._undo: list[np.ndarray] = []
        self._stroke: tuple[np.ndarray, np.ndarray, float] | None = None      # before it, covered, factor
        self._last: tuple[float, float] | None = None                          # the last dab, grid pixels

    @property
    def edited(self) -> bool:
        return bool((self.scale != 1.0).any())

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def begin(self, factor: float) -> None:
        """Start a stroke that multiplies what it covers by ``factor`` (NEARER, FARTHER)."""
        self.end()
        self._stroke = (self.scale.copy(), np.zeros(self.shape, np.float32), float(factor))
        self._last = None

    def paint(self, x: float, y: float, radius: float) -> None:
        """The stroke reaches (``x``, ``y``), shares of the picture's width and height, with a brush ``radius``
        (a share of the width): dabs laid from where it was, the covered part multiplied once."""
        if self._stroke is None:
            return
        height, width = self.shape
        point, radius_px = (x * width, y * height), radius * width
        start = self._last or point
        dabs = max(1, int(np.ceil(np.hypot(point[0] - start[0], point[1] - start[1])
                                  / max(DAB_SPACING * radius_px, 1e-3))))
        before, covered, factor = self._stroke
        for step in range(1, dabs + 1):
            along = step / dabs
            dab = brush_weights(self.shape, start[0] + (point[0] - start[0]) * along,
                                start[1] + (point[1] - start[1]) * along, radius_px)
            np.maximum(covered, dab, out=covered)
        self.scale = (before * np.float32(factor) ** covered).astype(np.float32)
        self._last = point

    def end(self) -> None:
        """Close the stroke; one that changed something can be undone."""
        if self._stroke is not None and not np.array_equal(self._stroke[0], self.scale):
            self._undo.append(self._stroke[0])
        self._stroke, self._last = None, None

    def undo(self) -> bool:
        """Back to before the last stroke or clear; whether there was one."""
        self.end()
        if not self._undo:
            return False
        self.scale = self._undo.pop()
        return True

    def clear(self) -> None:
        """Nothing painted (a clear is undone like a stroke)."""
        self.end()
        if self.edited:
            self._undo.append(self.scale)
            self.scale = np.ones(self.shape, np.float32)

    def copy(self) -> DepthEdit:
        """The work so far, without its strokes to undo (for another thread to read while this one paints)."""
        copied = DepthEdit(self.shape)
        copied.scale = self.scale.copy()
        return copied

    def apply(self, depth: np.ndarray, far: float) -> np.ndarray:
        """``depth`` (h, w) of this grid with the brush's work: multiplied by ``scale``, and pushed no farther
        than ``far`` (the world remembers nothing beyond its memory's depth), unless it was read farther."""
        return np.minimum(depth * self.scale, np.maximum(depth, np.float32(far))).astype(np.float32)
