"""Files written whole or not at all, and a file's hash (engine.files)."""

import hashlib
import json

import pytest

from engine.files import file_sha256, replacing, write_json, write_text


def test_a_file_is_replaced_whole_and_nothing_is_left_beside_it(tmp_path):
    path = tmp_path / "deep" / "folder" / "settings.json"
    write_json(path, {"seed": 3, "name": "hall"})
    assert json.loads(path.read_text()) == {"seed": 3, "name": "hall"}
    assert path.read_text() == '{\n "seed": 3,\n "name": "hall"\n}'
    write_text(path, "second")
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_that_stops_keeps_the_file_as_it_was(tmp_path, error):
    path = tmp_path / "kept.bin"
    path.write_bytes(b"before")
    with pytest.raises(type(error)):
        with replacing(path) as temporary:
            temporary.write_bytes(b"half of the new")
            assert temporary.parent == tmp_path and temporary.name.startswith(".kept.bin.")
            raise error
    assert path.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.bin"]


def test_a_file_hash_is_its_sha256(tmp_path):
    path = tmp_path / "graph.onnx"
    data = bytes(range(256)) * 5000                       # more than one block of a megabyte
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest() == (
        "7d471e4af16db5a30ce10aebbc29f5178b2edbad6c7dc2e8ff8ee6e4848a726f")
