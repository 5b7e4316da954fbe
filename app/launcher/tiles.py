"""Frames shown in the launcher's tiles: the picture, its depth and the moving preview."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

TILE = (144, 108)                           # the picture, its depth and the moving preview are shown this large


def to_pixmap(frame: np.ndarray) -> QPixmap:
    """(h, w, 3) uint8 -> QPixmap (copied, so the array may go)."""
    height, width = frame.shape[:2]
    image = QImage(frame.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def fit(pixmap: QPixmap, box: tuple[int, int]) -> QPixmap:
    """A pixmap as large as fits ``box`` (width, height) at its own aspect: a small frame enlarged a whole number
    of times (sharp pixels), anything else smoothly."""
    width, height = box
    whole = min(width // pixmap.width(), height // pixmap.height())
    if whole >= 2:
        return pixmap.scaled(pixmap.width() * whole, pixmap.height() * whole)
    return pixmap.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
