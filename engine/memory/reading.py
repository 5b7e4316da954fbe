"""Rules a picture's depth must keep whatever the depth network read, where it reads a painting as it never
saw one: the sky is far (a bright sky, a sun or a moon reads near, and tears into blobs as the camera moves),
and nothing below the horizon lies beyond the floor (grass along a drawing's bottom edge read far would sink
under it). Pure numpy over the depth (h, w) along the view axis (engine.geometry.view_points) at pitch 0.
"""

from __future__ import annotations

import numpy as np

from engine.images import box_resize

SKY_WIDTH = 64                 # pixels across at which the sky is found (smooth at this size, quick)
SKY_EDGE = 10.0                # colour steps (of 255) between neighbours above which a pixel is an edge, not sky
SKY_SHARE = 0.25               # of the top row: less than this smooth and blue and the picture has no sky
LIGHT_SHARE = 0.05             # of the rows a sky may be in: a far light (sun, moon, cloud) is no larger than this
LIGHT_EDGE = 2                 # pixels of a far light's soft edge (at SKY_WIDTH) taken with it
LIGHT_CONTRAST = 30.0          # colour steps by which a far light is brighter than the sky around it
SKY_ROWS = 0.7                 # of the picture from the top: where a sky may be (a picture's horizon may be low)
SKY_BLUE = 8.0                 # colour steps by which blue leads red and green in a sky (day, dusk or night)


def sky_mask(picture: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W) bool (or ``shape``): the sky of ``picture`` (H, W, 3) uint8: smooth pixels in its upper
    SKY_ROWS reached from a blue top edge without crossing an edge, and the far lights in it (a sun, a moon,
    a cloud: brighter than the sky, ringed by it)."""
    height, width = picture.shape[:2]
    shape = shape or (height, width)
    size = (SKY_WIDTH, max(2, round(SKY_WIDTH * height / width)))
    rows = round(size[1] * SKY_ROWS)
    if rows < 2:
        return np.zeros(shape, bool)
    small = median3(box_resize(picture, size).astype(np.float32))                  # (h, w, 3): stars gone
    upper = small[:rows]
    step = np.zeros(upper.shape[:2], np.float32)
    across = np.abs(np.diff(upper, axis=1)).max(-1)
    down = np.abs(np.diff(upper, axis=0)).max(-1)
    step[:, 1:] = np.maximum(step[:, 1:], across)
    step[:, :-1] = np.maximum(step[:, :-1], across)
    step[1:] = np.maximum(step[1:], down)
    step[:-1] = np.maximum(step[:-1], down)
    smooth = step < SKY_EDGE
    # A ceiling is as smooth as a sky, but grey, brown or a paper's white: a sky starts blue at the top, and
    # goes on down through whatever smooth colours it turns (a dusk's orange).
    blue = upper[..., 2] - upper[..., :2].max(-1) > SKY_BLUE
    seeds = np.zeros_like(smooth)
    seeds[0] = smooth[0] & blue[0]
    if seeds[0].mean() < SKY_SHARE:
        return np.zeros(shape, bool)
    sky = grow(seeds, smooth)
    # Far lights: a sun, a moon, a cloud: brighter than the sky, ringed by it (past its soft edge), not joined
    # to the ground; taken with that edge.
    brightness = upper.mean(-1)
    bright = ~sky & (brightness > (np.median(brightness[sky]) if sky.any() else 255.0) + LIGHT_CONTRAST)
    regions = label_regions(bright)
    for region in np.unique(regions[regions >= 0]):
        light = regions == region
        for _ in range(LIGHT_EDGE):
            light = grow_once(light)
        ring = grow_once(light) & ~light
        if not light[-1].any() and (regions == region).mean() < LIGHT_SHARE and sky[ring].mean() >= 0.5:
            sky |= light
    full = np.zeros((size[1], size[0]), bool)
    full[:rows] = sky
    row_of = np.minimum((np.arange(shape[0]) + 0.5) * size[1] / shape[0], size[1] - 1).astype(np.int64)
    column_of = np.minimum((np.arange(shape[1]) + 0.5) * size[0] / shape[1], size[0] - 1).astype(np.int64)
    return full[row_of][:, column_of]


def median3(image: np.ndarray) -> np.ndarray:
    """``image`` (h, w, C) with each pixel the median of its 3x3 neighbourhood (edges repeated)."""
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = image.shape[:2]
    shifted = [padded[row:row + height, column:column + width] for row in range(3) for column in range(3)]
    return np.median(np.stack(shifted), axis=0)


def grow_once(region: np.ndarray) -> np.ndarray:
    """``region`` and its 4-neighbours."""
    grown = region.copy()
    grown[1:] |= region[:-1]
    grown[:-1] |= region[1:]
    grown[:, 1:] |= region[:, :-1]
    grown[:, :-1] |= region[:, 1:]
    return grown


def label_regions(mask: np.ndarray) -> np.ndarray:
    """(h, w) int: the regions of ``mask`` (4-neighbours), each numbered by its first pixel; -1 outside it."""
    height, width = mask.shape
    big = height * width
    labels = np.where(mask, np.arange(big).reshape(height, width), big)
    right, below = mask[:, :-1] & mask[:, 1:], mask[:-1] & mask[1:]
    while True:
        before = labels.copy()
        pair = np.minimum(labels[:, :-1], labels[:, 1:])
        labels[:, :-1] = np.where(right, pair, labels[:, :-1])
        labels[:, 1:] = np.where(right, pair, labels[:, 1:])
        pair = np.minimum(labels[:-1], labels[1:])
        labels[:-1] = np.where(below, pair, labels[:-1])
        labels[1:] = np.where(below, pair, labels[1:])
        if np.array_equal(labels, before):
            return np.where(mask, labels, -1)


def grow(seeds: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The pixels of ``allowed`` joined to ``seeds`` through ``allowed`` (4-neighbours)."""
    region = seeds & allowed
    while True:
        grown = grow_once(region) & allowed
        if np.array_equal(grown, region):
            return region
        region = grown


def floor_depth(shape: tuple[int, int], field_of_view: float, eye_height: float) -> np.ndarray:
    """(h, w): where the floor, ``eye_height`` below the eye, lies along each pixel's ray (inf at and above
    the horizon), as depth along the view axis."""
    height, width = shape
    focal = (width / 2) / np.tan(np.radians(field_of_view) / 2)
    below = (np.arange(height, dtype=np.float32) - (height - 1) / 2) / np.float32(focal)     # (h,)
    floor = np.where(below > 0, np.float32(eye_height) / np.maximum(below, np.float32(1e-6)), np.inf)
    return np.broadcast_to(floor[:, None], shape).astype(np.float32)


def read_with_rules(depth: np.ndarray, picture: np.ndarray, field_of_view: float, eye_height: float,
                    far: float, sky_far: bool = True) -> np.ndarray:
    """``depth`` (h, w) of ``picture`` (H, W, 3) uint8 no farther than the floor below the horizon, and with
    ``sky_far`` its sky at ``far``."""
    depth = np.minimum(depth, floor_depth(depth.shape, field_of_view, eye_height))
    if sky_far:
        depth = np.where(sky_mask(picture, depth.shape), np.float32(far), depth)
    return depth.astype(np.float32)
