import numpy as np
import pytest
from PIL import Image

from engine.actions import actions_to_array
from engine.data import Split, WindowStream, area_resize, window_dataset
from engine.data.shards import write_shard


def test_area_resize_averages_exactly_the_covered_area():
    """160x120 -> 64x48 is a 2.5x step: each output pixel covers 2.5 x 2.5 input pixels, partly."""
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
    frame = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3) * 5
    expected = frame.reshape(2, 2, 2, 2, 3).astype(float).mean(axis=(1, 3))
    np.testing.assert_array_equal(area_resize(frame, (2, 2)), np.rint(expected).astype(np.uint8))


@pytest.fixture
def shard_folder(tmp_path):
    for index in range(4):
        frames = np.full((20, 12, 16, 3), index * 10, np.uint8)
        frames[:, 0, 0, 0] = np.arange(20)                    # frame number, to identify windows
        actions = actions_to_array([{"turn": float(t)} for t in range(20)])
        write_shard(tmp_path / f"e{index}.npz", frames, actions, np.zeros((20, 5), np.float32), {"map": "M"})
    return tmp_path


def window_ids(stream):
    return sorted((int(w["frames"][0, 0, 0, 1]), int(w["frames"][0, 0, 0, 0])) for w in stream)


def test_windows_have_the_requested_length_and_size(shard_folder):
    stream = WindowStream(shard_folder, length=5, size=(8, 6), shuffle=False)
    windows = list(stream)
    assert len(windows) == stream.count_windows() == 16
    assert windows[0]["frames"].shape == (5, 6, 8, 3) and windows[0]["actions"].shape == (5, 12)
    np.testing.assert_array_equal(windows[1]["actions"][:, -2], np.arange(5, 10))   # actions stay aligned


@pytest.mark.parametrize("world_size, num_workers", [(2, 2), (3, 2)])   # by shard, and by window
def test_readers_split_the_windows_exactly_once(shard_folder, world_size, num_workers):
    everything = window_ids(WindowStream(shard_folder, length=5, size=(8, 6), seed=3))
    parts = [window_ids(WindowStream(shard_folder, length=5, size=(8, 6), seed=3,
                                     split=Split(rank, world_size, worker, num_workers)))
             for rank in range(world_size) for worker in range(num_workers)]
    assert sorted(sum(parts, [])) == everything
    assert all(parts)                                        # every reader gets work


def test_torch_dataloader_workers_share_the_windows(shard_folder):
    torch = pytest.importorskip("torch")
    dataset = window_dataset(shard_folder, length=5, size=(8, 6), seed=1)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    seen = sorted((int(w["frames"][0, 0, 0, 1]), int(w["frames"][0, 0, 0, 0])) for w in loader)
    assert seen == window_ids(WindowStream(shard_folder, length=5, size=(8, 6)))
