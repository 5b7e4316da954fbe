"""Prompt pictures (engine.runtime.images): refused from their header alone when too small or too large, and
large JPEGs decoded at a reduced scale."""

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
