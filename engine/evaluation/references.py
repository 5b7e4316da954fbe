"""The references a revisit is measured beside, none of them a network: the memory alone (the prompt lifted by
its true depth and drawn at the true poses), the builder alone (the same, the prompt continued into a
surround from its own pixels), a plain PatchMatch fill around a picture, and the perfect dream (the real frames
at the networks' size, upscaled as the player upscales a dream)."""

from __future__ import annotations

import numpy as np

from engine.images import area_resize
from engine.evaluation.metrics import colour_distance, contrast, sharpness, texture_distance
from engine.geometry import DOOM_EYE_HEIGHT, DOOM_FIELD_OF_VIEW, fill_gaps
from engine.memory import MemoryConfig, PointMemory
from engine.memory.builder import BuilderConfig, PictureView, build_surround, matching_width, solve_surround
from engine.memory.points import BUILT
from engine.reports.protocols import HalfTurnView


def upper(frames: np.ndarray) -> np.ndarray:
    """The view above the weapon: the upper three quarters of (..., H, W, 3)."""
    return frames[..., : frames.shape[-3] * 3 // 4, :, :]


def play_memory(frames: np.ndarray, depths: list[np.ndarray], poses: list[np.ndarray]) -> np.ndarray:
    """The memory alone: the prompt lifted by its true depth (the view above the weapon), drawn at each true
    pose, what it never saw filled from its neighbours."""
    height, width = frames.shape[1:3]
    keep = np.zeros((height, width), bool)
    keep[: height * 3 // 4] = True
    memory = PointMemory()
    memory.add(frames[0], depths[0], poses[0], keep)
    drawn = [memory.render(pose, (width, height)) for pose in poses]
    rendered = np.stack([frame for frame, _, _ in drawn])
    return fill_gaps(rendered, ~np.stack([covered for _, covered, _ in drawn]))


def play_builder(frames: np.ndarray, depths: list[np.ndarray], poses: list[np.ndarray]) -> np.ndarray:
    """The builder alone: as ``play_memory``, with the prompt continued into a surround from its own pixels
    (coarse, then refined, as a player gets it) lifted as built points around the prompt's pose."""
    height, width = frames.shape[1:3]
    keep = np.zeros((height, width), bool)
    keep[: height * 3 // 4] = True
    config = BuilderConfig()
    view = PictureView((width, height), DOOM_FIELD_OF_VIEW)
    coarse = solve_surround(frames[0], view, config.coarse_width, config)
    refined = solve_surround(frames[0], view, config.width, config, coarse)
    surround = build_surround(refined, frames[0], depths[0], matching_width(width, DOOM_FIELD_OF_VIEW),
                              DOOM_EYE_HEIGHT)
    built = surround.built & (surround.distance > 0)
    memory = PointMemory(MemoryConfig(capacity=150_000 + built.size, fill_rounds=2))
    memory.add(frames[0], depths[0], poses[0], keep)
    memory.add_points(surround.points(poses[0])[built].astype(np.float32), surround.colour[built],
                      surround.footprints()[built], kind=BUILT)
    drawn = [memory.render(pose, (width, height)) for pose in poses]
    rendered = np.stack([frame for frame, _, _ in drawn])
    return fill_gaps(rendered, ~np.stack([covered for _, covered, _ in drawn]))


def plain_synthesis(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The reference for a view half a turn from a picture: a plain PatchMatch fill (patchmatch-cython) of a
    cylinder four pictures wide at ``size`` each, the picture in the second place, no depth, no network;
    the quarter opposite the picture."""
    from patchmatch_cython import inpaint_pyramid
    from PIL import Image

    width, height = size
    strip = np.zeros((height, 4 * width, 3), np.uint8)
    strip[:, width:2 * width] = np.asarray(Image.fromarray(picture).resize(size, Image.BOX))
    hole = np.ones((height, 4 * width), bool)
    hole[:, width:2 * width] = False
    return inpaint_pyramid(strip, hole, patch_size=7, seed=0)[:, 3 * width:]


def half_turn_measures(view: np.ndarray, reference: np.ndarray) -> HalfTurnView[float]:
    """A view never seen (half a turn from the prompt) against what it should look like: contrast and
    sharpness ratios, colour and texture distances."""
    return HalfTurnView(float(contrast(view[None])[0] / max(contrast(reference[None])[0], 1e-9)),
                        float(sharpness(view[None])[0] / max(sharpness(reference[None])[0], 1e-9)),
                        colour_distance(view, reference), texture_distance(view, reference))


def perfect_dream(real: np.ndarray, model_size: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """The reference that bounds a minute of play shown larger than the networks dream: the real frames at
    the networks' frame size, shown at ``size`` (bilinear, as the player upscales a dream). Where the memory
    holds nothing, no world of that frame size shows more detail than this."""
    from engine.images import bilinear_resize as resize

    return np.stack([resize(frame, size) for frame in area_resize(real, model_size)])
