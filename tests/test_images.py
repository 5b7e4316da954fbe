"""Prompt pictures (engine.runtime.images): refused from their header alone when too small or too large, and
large JPEGs decoded at a reduced scale. Image arrays (engine.images): the resizes and roundings play and
training share."""

import time

import numpy as np
import pytest
from PIL import Image

from conftest import png_header


def test_tiny_and_huge_pictures_are_refused_from_their_header(tmp_path):
    from engine.runtime.images import ImageError, load_prompt

    Image.new("RGB", (1, 1), (0, 0, 255)).save(tmp_path / "dot.png")
    Image.new("RGB", (31, 400), (0, 0, 255)).save(tmp_path / "sliver.png")
    Image.new("RGB", (32, 32), (0, 0, 255)).save(tmp_path / "small.png")
    for name in ("dot.png", "sliver.png"):
        with pytest.raises(ImageError, match="needs at least 32 pixels on each side"):
            load_prompt(tmp_path / name, (64, 48))
    assert load_prompt(tmp_path / "small.png", (64, 48)).shape == (48, 64, 3)
    for width, height in ((10000, 10000), (7100, 7100), (60000, 60000)):
        started = time.perf_counter()
        with pytest.raises(ImageError, match="too large.*up to 50 megapixels"):
            load_prompt(png_header(tmp_path / "huge.png", width, height), (64, 48))
        assert time.perf_counter() - started < 0.5                    # the header alone, never a 6-second decode
    with pytest.raises(ImageError, match="at least 32 pixels"):
        load_prompt(Image.new("RGB", (8, 8)), (64, 48))
    assert load_prompt(np.zeros((24, 32, 3), np.uint8), (32, 24)).shape == (24, 32, 3)   # frames code makes


def test_a_big_jpeg_decodes_fast_at_a_reduced_scale(tmp_path):
    from engine.runtime.images import load_prompt

    big = tmp_path / "photo.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 800, 3), dtype=np.uint8)).resize(
        (8000, 6000), Image.NEAREST).save(big, quality=90)
    started = time.perf_counter()
    frame = load_prompt(big, (64, 48))
    assert time.perf_counter() - started < 1.5 and frame.shape == (48, 64, 3)


def test_area_resize_averages_exactly_the_covered_area():
    """160x120 -> 64x48 is a 2.5x step: each output pixel covers 2.5 x 2.5 input pixels, partly."""
    from engine.images import area_resize

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 120, 160, 3), dtype=np.uint8)
    ours = area_resize(frames, (64, 48))
    assert ours.shape == (3, 48, 64, 3) and ours.dtype == np.uint8
    # Reference: split every pixel into 2x2 so the step is a whole 5x5 block, then take block means.
    doubled = frames.repeat(2, axis=1).repeat(2, axis=2).astype(float)
    reference = doubled.reshape(3, 48, 5, 64, 5, 3).mean(axis=(2, 4))
    assert np.abs(reference - ours).max() <= 0.5 + 1e-3
    # Pillow's BOX filter weighs by pixel centres, not covered area: close, but not the same.
    pillow = np.asarray(Image.fromarray(frames[0]).resize((64, 48), Image.BOX)).astype(float)
    assert np.abs(pillow - reference[0]).mean() > 1.0


def test_area_resize_by_two_is_the_block_mean():
    from engine.images import area_resize

    frame = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3) * 5
    expected = frame.reshape(2, 2, 2, 2, 3).astype(float).mean(axis=(1, 3))
    np.testing.assert_array_equal(area_resize(frame, (2, 2)), np.rint(expected).astype(np.uint8))


def test_the_two_area_resizes_average_the_same_areas():
    """Play's running sums and training's matrix product differ only in float rounding: at most one level
    apart once rounded, and the same block means where the step is whole."""
    from engine.images import AreaResize, area_resize, to_uint8

    frame = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    for size in ((64, 48), (160, 120), (37, 29)):
        play = to_uint8(AreaResize((160, 120), size)(frame))
        training = area_resize(frame, size)
        assert play.shape == training.shape == (size[1], size[0], 3)
        assert np.abs(play.astype(int) - training.astype(int)).max() <= 1
    np.testing.assert_array_equal(to_uint8(AreaResize((160, 120), (80, 60))(frame)), area_resize(frame, (80, 60)))


def test_roundings_and_nearest_pixels():
    from engine.images import box_resize, nearest, to_signed, to_uint8

    np.testing.assert_array_equal(to_uint8(np.array([-3.0, 0.5, 1.5, 2.4999, 254.5, 300.0])), [0, 0, 2, 2, 254, 255])
    np.testing.assert_array_equal(to_signed(np.array([0, 255], np.uint8)), np.array([-1.0, 1.0], np.float32))
    assert to_signed(np.zeros((2, 2, 3), np.uint8)).dtype == np.float32
    depth = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(nearest(depth, (4, 5)), [[0, 0, 1, 1, 2], [0, 0, 1, 1, 2],
                                                           [3, 3, 4, 4, 5], [3, 3, 4, 4, 5]])
    picture = np.full((8, 8, 3), 40, np.uint8)
    assert box_resize(picture, (8, 8)) is picture and box_resize(picture, (2, 2)).tolist() == [[[40] * 3] * 2] * 2
