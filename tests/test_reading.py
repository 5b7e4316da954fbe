"""Reading a picture as a place: its sky far, its floor no farther than the floor, its relief an artist sets,
near enough to walk into; a wall that stops the camera is said."""

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from engine.memory.reading import floor_depth, sky_mask
from engine.actions import KEYS
from engine.memory import MemoryConfig
from engine.runtime.memory import PlayMemory
from engine.runtime.images import load_prompt
from engine.runtime.picture_settings import WALK_IN_DEPTH, PictureSettings, read_picture_depth

PROMPTS = Path(__file__).resolve().parents[1] / "assets" / "prompts"


@pytest.mark.parametrize("name, sky_share", [("other-painted-castle.png", (0.45, 0.65)),
                                             ("other-photo-courtyard.jpg", (0.15, 0.35)),
                                             ("other-pencil-sketch.png", (0.0, 0.0)),     # a corridor's ceiling
                                             ("doom-map01.png", (0.0, 0.0)), ("doom-map15.png", (0.0, 0.0)),
                                             ("miniworld-maze.png", (0.0, 0.0))])        # a grey ceiling
def test_the_sky_is_found_above_the_ground_and_no_ceiling_is_taken_for_one(name, sky_share):
    picture = load_prompt(PROMPTS / name, (320, 240))
    sky = sky_mask(picture)
    assert sky.shape == (240, 320) and sky_share[0] <= sky.mean() <= sky_share[1]
    assert not sky[-60:].any()                                              # never in the bottom quarter
    if name == "other-painted-castle.png":
        assert sky[:40].all()                                               # the top is sky, stars and all
        moon = (np.abs(picture.astype(int) - [255, 225, 150]).max(-1) < 40)    # the pale yellow disc
        assert moon.sum() > 100 and sky[moon].mean() > 0.9                  # a far light: far with it


def test_the_floor_bounds_the_depth_below_the_horizon():
    floor = floor_depth((60, 80), 90.0, 41.0)
    focal = 40.0                                                             # 80 pixels across 90 degrees
    assert floor[-1, 0] == pytest.approx(41.0 * focal / 29.5, rel=1e-5) and np.isinf(floor[:30]).all()
    picture = np.full((60, 80, 3), 90, np.uint8)                             # no sky: grey
    depth = read_picture_depth(np.full((60, 80), 500.0, np.float32), picture, PictureSettings(), 1200.0)
    assert depth[-1, 0] == pytest.approx(41.0 * focal / 29.5, rel=1e-5) and depth[0, 0] == pytest.approx(500.0)


def test_relief_deepens_around_the_middle_and_a_far_middle_is_brought_near():
    rows = np.linspace(100.0, 400.0, 60, dtype=np.float32)
    depth = np.repeat(rows[:, None], 80, 1) * np.ones((1, 80), np.float32)
    picture = np.full((60, 80, 3), 90, np.uint8)
    unbounded = PictureSettings(eye_height=500.0)                            # the floor far below: no bound here
    middle = float(np.median(depth[22:37, 30:50]))
    as_read = read_picture_depth(depth, picture, unbounded, 1200.0)
    flat = read_picture_depth(depth, picture, PictureSettings(eye_height=500.0, relief=0.0), 1200.0)
    deeper = read_picture_depth(depth, picture, PictureSettings(eye_height=500.0, relief=2.0), 1200.0)
    np.testing.assert_allclose(as_read, depth, rtol=1e-5)
    np.testing.assert_allclose(flat, middle, rtol=1e-5)
    np.testing.assert_allclose(np.log(deeper / middle), 2 * np.log(depth / middle), atol=1e-4)
    far = read_picture_depth(depth * 10, picture, unbounded, 12000.0)        # the middle read 10x farther
    assert float(np.median(far[22:37, 30:50])) == pytest.approx(WALK_IN_DEPTH, rel=1e-4)


class WallDepth:
    """A depth graph's stand-in: a wall 40 map units ahead, filling the view."""

    def run(self, _outputs, feeds):
        return [np.full((1, 1, *feeds["picture"].shape[2:]), 40.0, np.float32)]


def test_a_wall_ahead_stops_the_camera_and_says_so():
    """Walking forward (6 map units a frame) into a picture read as a wall 40 units ahead stops at it, and the
    view says a wall held the camera back; turning away is not held back."""
    weights = np.zeros((10, 2))
    weights[2] = [6.0, 0.0]                                   # forward: 6 units a frame
    manifest = {"memory": {"depth_size": [64, 48], "motion": weights.tolist(), "config": asdict(MemoryConfig()),
                           "builder": None}}
    memory = PlayMemory(WallDepth(), manifest, (64, 48), (64, 48), None)
    memory.start(np.full((48, 64, 3), 120, np.uint8), PictureSettings(sky_far=False))
    forward = np.zeros(len(KEYS), np.float32)
    forward[KEYS.index("forward")] = 1
    blocked = []
    for _ in range(12):
        memory.advance(forward)
        blocked.append(memory.blocked())
    assert not blocked[0] and blocked[-1] and 10 < memory.pose[0] < 40
    turn = np.zeros(len(KEYS), np.float32)
    turn[KEYS.index("turn")] = 5.0
    memory.advance(turn)
    assert not memory.blocked()
    memory.close()
