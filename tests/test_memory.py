"""The world memory (engine.memory.PointMemory): frames lifted by depth, bounded, rendered at any pose."""

import numpy as np
import pytest

from engine.geometry import reproject
from engine.memory import MemoryConfig, PointMemory
from engine.memory.points import BUILT, DREAMED, SEEN

SIZE = (160, 120)


def room(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A frame of 8-pixel tiles and a smooth depth (a wall slanting away, 80-300 map units)."""
    rng = np.random.default_rng(seed)
    frame = np.repeat(np.repeat(rng.integers(0, 256, (15, 20, 3), dtype=np.uint8), 8, 0), 8, 1)
    depth = np.broadcast_to(np.linspace(80, 300, 160, dtype=np.float32), (120, 160)).copy()
    return frame, depth


def test_a_frame_rendered_from_where_it_was_seen_comes_back_exactly():
    frame, depth = room()
    memory = PointMemory()
    pose = np.array([10.0, -20.0, 41.0, 30.0, 0.0])
    assert memory.add(frame, depth, pose) == 120 * 160             # every pixel its own voxel
    rendered, covered, rendered_depth = memory.render(pose, SIZE)
    assert covered.all() and np.array_equal(rendered, frame)
    np.testing.assert_allclose(rendered_depth, depth, rtol=1e-3)


def test_a_turned_view_is_the_frame_reprojected_by_the_geometry():
    """Turning 20 degrees: the memory's render agrees with engine.geometry.reproject wherever both draw,
    and the strip the frame never showed is uncovered."""
    frame, depth = room(1)
    memory = PointMemory(MemoryConfig(fill_rounds=0))
    start = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    memory.add(frame, depth, start)
    turned = start + np.array([0, 0, 0, -20.0, 0])             # turn right 20 degrees
    rendered, covered, _ = memory.render(turned, SIZE)
    expected, empty = reproject(frame, depth, start, turned[None], upsample=1)
    both = covered & ~empty[0]
    assert both.mean() > 0.5 and not covered[:, -20:].any()     # the right edge was never seen
    assert (rendered[both] == expected[0][both]).all(axis=-1).mean() > 0.9     # tile edges may move a pixel


def test_nearer_surfaces_hide_farther_ones_and_the_newest_sighting_wins():
    memory = PointMemory()
    pose = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    red, blue, green = (np.full((120, 160, 3), colour, np.uint8) for colour in ([200, 0, 0], [0, 0, 200], [0, 200, 0]))
    far, near = np.full((120, 160), 400.0, np.float32), np.full((120, 160), 100.0, np.float32)
    memory.add(red, near, pose)
    memory.add(blue, far, pose)                                  # behind the red wall: hidden
    assert (memory.render(pose, SIZE)[0] == [200, 0, 0]).all()
    memory.add(green, near + 3.0, pose)                          # the same wall again, a depth step off: it wins
    assert (memory.render(pose, SIZE)[0] == [0, 200, 0]).all()


def test_pixels_that_are_not_the_world_stay_out():
    frame, depth = room(2)
    keep = np.ones((120, 160), bool)
    keep[90:, 60:100] = False                                    # where a weapon is drawn
    memory = PointMemory()
    pose = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    memory.add(frame, depth, pose, keep)
    _, covered, _ = memory.render(pose, SIZE)
    assert not covered[91:-1, 61:99].any() and covered[keep].all()


def test_memory_stays_bounded_and_forgets_what_it_saw_longest_ago():
    memory = PointMemory(MemoryConfig(capacity=50_000))
    size = memory.nbytes
    for step in range(12):
        frame, depth = room(step)
        memory.add(frame, depth, np.array([0.0, step * 2000.0, 41.0, 0.0, 0.0]))   # a new place each time
    assert len(memory) == 50_000 and memory.nbytes <= size + 50_000 * 16
    assert memory.render(np.array([0.0, 0.0, 41.0, 0.0, 0.0]), SIZE)[1].mean() == 0     # the first place: gone
    last = np.array([0.0, 11 * 2000.0, 41.0, 0.0, 0.0])
    assert np.array_equal(memory.render(last, SIZE)[0], room(11)[0])                    # the last: whole
    with pytest.raises(ValueError, match="does not fit"):
        PointMemory(MemoryConfig(capacity=1000)).add(*room(), last)


def test_a_snapshot_restores_the_memory_of_that_moment():
    memory = PointMemory()
    pose = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    memory.add(*room(3), pose)
    moment = memory.snapshot()
    before = memory.render(pose, SIZE)[0]
    memory.add(*room(4), pose)
    assert not np.array_equal(memory.render(pose, SIZE)[0], before)
    memory.restore(moment)
    assert np.array_equal(memory.render(pose, SIZE)[0], before) and memory.clock == moment.clock


def test_a_full_turn_in_doom_comes_back_to_the_prompt_from_memory_alone():
    """Live ViZDoom (held-out MAP21), the view without the weapon: the first frame lifted by its true depth,
    a full turn at 9 degrees a frame, the memory rendered at the true final pose against the prompt."""
    from engine.data import open_source
    from engine.evaluation.metrics import psnr

    with open_source("vizdoom", map="MAP21", seed=0, depth=True, weapon=False) as source:
        source.reset()
        prompt = source.step({})
        memory = PointMemory()
        memory.add(prompt, source.depth, source.pose)
        for _ in range(40):
            source.step({"turn": 9.0})
        rendered, covered, _ = memory.render(source.pose, SIZE)
    assert covered.mean() > 0.99 and float(psnr(rendered[None], prompt[None])[0]) > 40


def test_dreamed_points_give_way_to_seen_ones_and_go_first():
    memory = PointMemory(MemoryConfig(capacity=40_000))
    pose = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    seen, dreamed = (np.full((120, 160, 3), colour, np.uint8) for colour in ([200, 0, 0], [0, 0, 200]))
    wall = np.full((120, 160), 100.0, np.float32)
    memory.add(seen, wall, pose)
    memory.add(dreamed, wall + 2.0, pose, kind=DREAMED)            # the same wall, dreamed later
    assert (memory.render(pose, SIZE)[0] == [200, 0, 0]).all()
    elsewhere = np.array([0.0, 5000.0, 41.0, 0.0, 0.0])
    memory.add(dreamed, wall, elsewhere, kind=DREAMED)              # full: the dreamed points are forgotten first
    assert (memory.render(pose, SIZE)[0] == [200, 0, 0]).all() and memory.render(elsewhere, SIZE)[1].mean() > 0.99


def test_a_dream_never_overwrites_what_was_seen():
    memory = PointMemory()
    pose = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    wall = np.full((120, 160), 100.0, np.float32)
    memory.add(np.full((120, 160, 3), 200, np.uint8), wall, pose)
    assert memory.add(np.zeros((120, 160, 3), np.uint8), wall, pose, kind=DREAMED) == 0      # every voxel was seen
    assert (memory.render(pose, SIZE)[0] == 200).all()


def test_built_points_sit_between_seen_and_dreamed_ones():
    memory = PointMemory()
    pose = np.array([0.0, 0.0, 41.0, 0.0, 0.0])
    wall = np.full((120, 160), 100.0, np.float32)
    red, green, blue = (np.full((120, 160, 3), colour, np.uint8) for colour in ([200, 0, 0], [0, 200, 0], [0, 0, 200]))
    left = np.zeros((120, 160), bool)
    left[:, :80] = True
    memory.add(red, wall, pose, keep=left)                              # seen: the left half
    assert memory.add(green, wall, pose, kind=BUILT) == 120 * 80        # built: only the right half is free
    assert memory.add(blue, wall, pose, kind=DREAMED) == 0             # a dream gives way to both
    frame, covered, _ = memory.render(pose, SIZE)
    assert covered.all() and (frame[:, :80] == [200, 0, 0]).all() and (frame[:, 81:] == [0, 200, 0]).all()
    assert sorted(np.unique(memory.kinds()).tolist()) == [SEEN, BUILT]
    assert memory.forget(BUILT) == 120 * 80 and len(memory) == 120 * 80
    frame, covered, _ = memory.render(pose, SIZE)
    assert covered[:, :80].all() and not covered[:, 82:].any()
    assert memory.add(blue, wall, pose, kind=DREAMED) == 120 * 80       # the index still finds the seen voxels
