"""Frame metrics on uint8 frames (..., H, W, 3): PSNR, SSIM, sharpness, contrast; and how far one picture's
colours and texture are from another's (histogram distances that need no downloaded network)."""

from __future__ import annotations

import numpy as np


def psnr(generated: np.ndarray, real: np.ndarray) -> np.ndarray:
    """PSNR in dB per frame over the last three axes."""
    error = (generated.astype(np.float64) - real.astype(np.float64)) ** 2
    mse = error.mean(axis=(-3, -2, -1))
    return 10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-10))


def _blur(x: np.ndarray) -> np.ndarray:
    """Gaussian blur (sigma 1.5, 7 taps) over the H and W axes of (..., H, W) with edge padding."""
    taps = np.exp(-0.5 * (np.arange(-3, 4) / 1.5) ** 2)
    taps /= taps.sum()
    padded = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(3, 3), (3, 3)], mode="edge")
    rows = sum(taps[i] * padded[..., i:i + x.shape[-2], :] for i in range(7))
    return sum(taps[i] * rows[..., :, i:i + x.shape[-1]] for i in range(7))


def ssim(generated: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Mean SSIM per frame (Wang et al. 2004) on the luma of uint8 RGB frames."""
    weights = np.array([0.299, 0.587, 0.114])
    a = (generated.astype(np.float64) @ weights)
    b = (real.astype(np.float64) @ weights)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _blur(a), _blur(b)
    var_a = _blur(a * a) - mu_a ** 2
    var_b = _blur(b * b) - mu_b ** 2
    cov = _blur(a * b) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return index.mean(axis=(-2, -1))


def sharpness(frames: np.ndarray) -> np.ndarray:
    """Mean absolute difference of neighbouring pixels per frame: blur lowers it, noise raises it."""
    x = frames.astype(np.float64)
    horizontal = np.abs(np.diff(x, axis=-2)).mean(axis=(-3, -2, -1))
    vertical = np.abs(np.diff(x, axis=-3)).mean(axis=(-3, -2, -1))
    return (horizontal + vertical) / 2


def contrast(frames: np.ndarray) -> np.ndarray:
    """Standard deviation of pixel values per frame: a flat colour has none."""
    return frames.astype(np.float64).std(axis=(-3, -2, -1))


def horizontal_shift(before: np.ndarray, after: np.ndarray, limit: int = 8) -> float:
    """How many pixels the view's content moved to the right from ``before`` to ``after`` (H, W, 3),
    by matching their column brightness profiles (edges do not wrap). Turning right moves the content
    left (negative), turning left moves it right."""
    def profile(frame: np.ndarray) -> np.ndarray:
        columns = frame.astype(np.float64).mean(axis=(0, 2))
        return columns - columns.mean()

    a, b = profile(before), profile(after)
    width = len(a)
    scores = []
    for shift in range(-limit, limit + 1):
        # after(x + shift) against before(x) over the columns both cover
        lo, hi = max(0, -shift), min(width, width - shift)
        x, y = a[lo:hi], b[lo + shift:hi + shift]
        scores.append(float((x * y).sum() / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-9)))
    return float(np.arange(-limit, limit + 1)[int(np.argmax(scores))])


def colour_distance(a: np.ndarray, b: np.ndarray, bins: int = 8) -> float:
    """How far the colours of picture ``a`` are from those of ``b`` ((H, W, 3) uint8, any sizes): the total
    variation distance between their joint RGB histograms (``bins`` a channel): 0 the same palette in the same
    shares, 1 no colour in common."""
    def histogram(picture: np.ndarray) -> np.ndarray:
        cells = (picture.reshape(-1, 3).astype(np.int64) * bins) // 256
        counts = np.bincount((cells[:, 0] * bins + cells[:, 1]) * bins + cells[:, 2], minlength=bins ** 3)
        return counts / counts.sum()

    return float(np.abs(histogram(a) - histogram(b)).sum() / 2)


def texture_distance(a: np.ndarray, b: np.ndarray, orientations: int = 8, magnitudes: int = 8) -> float:
    """How far the texture of picture ``a`` is from that of ``b`` ((H, W, 3) uint8, any sizes): the total
    variation distance between their histograms of luma gradients, by orientation and magnitude (log bins);
    brushwork, hatching and pixel-art edges each have their own."""
    def histogram(picture: np.ndarray) -> np.ndarray:
        luma = picture.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        across, down = np.diff(luma, axis=1)[:-1], np.diff(luma, axis=0)[:, :-1]
        angle = np.mod(np.arctan2(down, across), np.pi)
        orientation = np.minimum((angle / np.pi * orientations).astype(np.int64), orientations - 1)
        size = np.clip(np.log2(1 + np.hypot(across, down)).astype(np.int64), 0, magnitudes - 1)
        counts = np.bincount((size * orientations + orientation).reshape(-1), minlength=orientations * magnitudes)
        return counts / counts.sum()

    return float(np.abs(histogram(a) - histogram(b)).sum() / 2)
