"""The depth brush (engine.runtime.depth_brush): a stroke multiplies what it covers once, softly at its edge;
undo, clear, and the farthest a stroke may push."""

import numpy as np
import pytest

from engine.runtime.depth_brush import FARTHER, NEARER, DepthEdit, brush_weights

SHAPE = (60, 80)                    # (h, w): the bundled world's depth grid


def at(column, row):
    """A grid pixel's centre as shares of the picture's width and height."""
    return (column + 0.5) / SHAPE[1], (row + 0.5) / SHAPE[0]


def stroke(edit, factor, points, radius=0.1):
    edit.begin(factor)
    for x, y in points:
        edit.paint(x, y, radius)
    edit.end()


def test_a_dab_is_round_soft_and_whole_at_its_centre():
    weights = brush_weights(SHAPE, 40.0, 30.0, 8.0)
    assert weights.shape == SHAPE and weights.dtype == np.float32
    assert weights[29:31, 39:41].min() > 0.98 and weights[30, 48:].max() == 0 and weights[:22].max() == 0
    assert 0.2 < weights[30, 44] < 0.8                                   # halfway out: between
    assert weights[30, 44] == pytest.approx(weights[34, 40], abs=1e-6)   # round: the same across and down


def test_a_stroke_multiplies_what_it_covers_once():
    edit = DepthEdit(SHAPE)
    assert not edit.edited and not edit.can_undo
    # Back and forth over the same place in one stroke: still 0.8 there, not 0.8 ** 3.
    stroke(edit, NEARER, [at(20, 30), at(60, 30), at(20, 30)])
    assert edit.scale[30, 20] == pytest.approx(NEARER, abs=1e-4) and edit.scale[30, 60] == pytest.approx(NEARER, abs=1e-4)
    assert edit.scale[30, 40] == pytest.approx(NEARER, abs=1e-4)        # the dabs between the points are laid
    assert edit.scale[0, 40] == 1.0 and edit.scale[59, 0] == 1.0          # beyond the brush: untouched
    assert NEARER < edit.scale[36, 40] < 1.0                               # its soft edge
    assert edit.edited and edit.can_undo
    stroke(edit, NEARER, [at(40, 30)])                                     # a second stroke multiplies again
    assert edit.scale[30, 40] == pytest.approx(NEARER ** 2, abs=1e-4)
    stroke(edit, FARTHER, [at(40, 30)])
    assert edit.scale[30, 40] == pytest.approx(NEARER ** 2 * FARTHER, abs=1e-4)


def test_undo_and_clear():
    edit = DepthEdit(SHAPE)
    stroke(edit, NEARER, [(0.5, 0.5)])
    first = edit.scale.copy()
    stroke(edit, FARTHER, [(0.2, 0.2)])
    assert edit.undo() and np.array_equal(edit.scale, first)
    edit.clear()
    assert not edit.edited and (edit.scale == 1).all()
    assert edit.undo() and np.array_equal(edit.scale, first)             # a clear is undone too
    assert edit.undo() and not edit.edited
    assert not edit.undo() and not edit.can_undo
    edit.begin(NEARER)
    edit.end()                                                             # a stroke that painted nothing
    assert not edit.can_undo


def test_applied_depth_is_pushed_no_farther_than_the_memory_keeps():
    edit = DepthEdit((2, 2))
    edit.scale = np.array([[0.5, 2.0], [2.0, 1.0]], np.float32)
    depth = np.array([[100.0, 100.0], [900.0, 1500.0]], np.float32)
    applied = edit.apply(depth, far=1200.0)
    assert applied.dtype == np.float32
    # Nearer: halved; farther: doubled up to the far depth; a depth already read beyond it stays as read.
    assert applied.tolist() == [[50.0, 200.0], [1200.0, 1500.0]]
    copied = edit.copy()
    assert np.array_equal(copied.scale, edit.scale) and copied.scale is not edit.scale and not copied.can_undo
