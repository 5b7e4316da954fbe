import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from engine.actions import actions_to_array
from engine.data import read_episodes
from engine.data.shards import read_meta, read_shard, write_shard
from engine.errors import DataError


def tiny_episode(frames=6, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 255, (frames, 12, 16, 3), dtype=np.uint8)
    actions = actions_to_array([{"forward": bool(t % 2), "turn": float(t)} for t in range(frames)])
    poses = rng.normal(size=(frames, 5)).astype(np.float32)
    return images, actions, poses, {"source": "test", "map": "M", "fps": 17.5}


def test_round_trip_through_the_contract_reader(tmp_path):
    images, actions, poses, meta = tiny_episode()
    write_shard(tmp_path / "a.npz", images, actions, poses, meta)
    write_shard(tmp_path / "b.npz", images[:3], actions[:3], None, meta)
    episodes = list(read_episodes(tmp_path))
    assert [len(e) for e in episodes] == [6, 3]
    first = episodes[0]
    np.testing.assert_array_equal(first.frames, images)
    np.testing.assert_allclose(first.poses, poses)
    assert first.actions[3]["forward"] is True and first.actions[3]["turn"] == 3.0
    assert first.meta["map"] == "M" and first.meta["frames"] == 6
    assert episodes[1].poses is None
    assert not list(tmp_path.glob(".*partial"))


def test_shards_are_plain_zip_numpy_without_pickles(tmp_path):
    write_shard(tmp_path / "a.npz", *tiny_episode())
    with np.load(tmp_path / "a.npz", allow_pickle=False) as archive:
        assert archive["frames"].shape == (6, 12, 16, 3)
    assert read_meta(tmp_path / "a.npz")["frames"] == 6


def test_truncated_shard_is_one_clear_error(tmp_path):
    path = write_shard(tmp_path / "a.npz", *tiny_episode(frames=40))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"corrupt or truncated shard .*a\.npz"):
        read_shard(path)


def test_flipped_bytes_fail_the_checksum(tmp_path):
    path = write_shard(tmp_path / "a.npz", *tiny_episode(frames=40))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 16] = bytes(16)
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt"):
        read_shard(path)


def test_not_a_zip_and_missing_members(tmp_path):
    (tmp_path / "junk.npz").write_text("hello")
    with pytest.raises(DataError, match="corrupt or truncated shard"):
        next(read_episodes(tmp_path / "junk.npz"))
    with zipfile.ZipFile(tmp_path / "half.npz", "w") as archive:
        archive.writestr("meta.json", json.dumps({"format_version": 1}))
    with pytest.raises(DataError, match="missing actions.npy, frames.npy"):
        read_shard(tmp_path / "half.npz")


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no episode shards"):
        list(read_episodes(tmp_path))
    with pytest.raises(DataError, match="no such folder"):
        list(read_episodes(tmp_path / "nowhere"))


FULL_DISK_SCRIPT = """
import resource, signal, sys
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))   # a disk that fills after 20 kB
import numpy as np
from engine.data.shards import write_shard
from engine.errors import DataError
frames = np.random.default_rng(0).integers(0, 255, (10, 48, 64, 3), dtype=np.uint8)
try:
    write_shard(Path({out!r}) / "big.npz", frames, np.zeros((10, 12), np.float32), None, {{}})
except DataError as error:
    print(error)
    sys.exit(3)
"""


def test_full_disk_keeps_what_was_written(tmp_path):
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    write_shard(tmp_path / "kept.npz", *tiny_episode())
    before = (tmp_path / "kept.npz").read_bytes()
    result = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT.format(out=str(tmp_path))], capture_output=True,
                            text=True, cwd=root)          # the engine imports from the checkout, as `python -c` does
    assert result.returncode == 3, result.stderr
    assert "out of disk space" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.npz"]       # no partial file left
    assert (tmp_path / "kept.npz").read_bytes() == before
