import numpy as np
import pytest

from engine.actions import actions_to_array
from engine.data import Split, WindowStream, window_dataset
from engine.data.shards import write_shard


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
