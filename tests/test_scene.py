"""Scenes (.dwscene): saved and opened again exactly; damaged, hostile and foreign files refused in one line."""

import errno
import io
import json
import os
import zipfile

import numpy as np
import pytest

import engine.runtime.scene as scene_module
from engine.memory import PointMemory
from engine.runtime.scene import Scene, SceneError, open_scene, save_scene

MEMORY_NAMES = ["positions", "colours", "keys", "stamps", "sorted_keys", "slots_by_key"]
DIGEST = "0123456789abcdef" * 4                 # a world's digest, as engine.pack.world_digest writes it
WORLD = {"world": "tiny", "world_digest": DIGEST, "world_path": "/worlds/tiny.dwpack"}
UNPICKLED = []


def unpickled_marker():
    """Called only if a scene's array is ever unpickled."""
    UNPICKLED.append(True)
    return 0


class PickleTripwire:
    def __reduce__(self):
        return unpickled_marker, ()


def explored_memory():
    """A real world memory after two frames seen from two poses."""
    rng = np.random.default_rng(1)
    memory = PointMemory()
    depth = rng.uniform(20, 200, (24, 32)).astype(np.float32)
    frame = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    memory.add(frame, depth, np.zeros(5))
    memory.add(frame, depth, np.array([16.0, -8.0, 0.0, 30.0, 5.0]))
    return memory.snapshot()


def full_scene():
    rng = np.random.default_rng(0)
    return Scene(picture=rng.integers(0, 256, (36, 40, 3), dtype=np.uint8), **WORLD,
                 depth=rng.uniform(1, 500, (15, 20)).astype(np.float32), seed=7,
                 settings={"depth_scale": 1.5, "eye_height": 48.0, "field_of_view": 75.0},
                 pose=np.array([10.5, -3.25, 41.0, 90.0, -7.5]), memory=explored_memory(), source="hall.jpg",
                 frames=123)


def rewritten(path, out, edit):
    """A copy of the scene zip at ``path`` with its members (name -> bytes) changed by ``edit``."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    edit(members)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def edit_json(change):
    def edit(members):
        header = json.loads(members["scene.json"])
        change(header)
        members["scene.json"] = json.dumps(header).encode()
    return edit


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "hall.dwscene"
    save_scene(path, full_scene())
    return path


def test_a_scene_comes_back_exactly(saved):
    original, opened = full_scene(), open_scene(saved)
    np.testing.assert_array_equal(opened.picture, original.picture)
    np.testing.assert_array_equal(opened.depth, original.depth)
    np.testing.assert_array_equal(opened.pose, original.pose)
    assert (opened.picture.dtype, opened.depth.dtype, opened.pose.dtype) == (np.uint8, np.float32, np.float64)
    assert (opened.world, opened.seed, opened.source, opened.frames) == ("tiny", 7, "hall.jpg", 123)
    assert (opened.world_digest, opened.world_path) == (DIGEST, "/worlds/tiny.dwpack")
    assert opened.settings == {"depth_scale": 1.5, "eye_height": 48.0, "field_of_view": 75.0, "relief": 1.0,
                               "panorama_span": 0.0, "sky_far": True}          # what it did not set, at the defaults
    assert (opened.memory.count, opened.memory.clock) == (original.memory.count, 2) and opened.memory.count > 1000
    for name in MEMORY_NAMES:
        kept, loaded = getattr(original.memory, name), getattr(opened.memory, name)
        assert loaded.dtype == kept.dtype and loaded.shape == kept.shape, name
        np.testing.assert_array_equal(loaded, kept)
    with zipfile.ZipFile(saved) as archive:
        assert sorted(archive.namelist()) == sorted(["scene.json", "picture.png", "depth.npy"]
                                                    + [f"memory/{name}.npy" for name in MEMORY_NAMES])
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        header = json.loads(archive.read("scene.json"))
    assert header["dreamwalk_scene"] == 2 and header["picture"] == [40, 36] and header["depth"] == [20, 15]
    assert (header["world"], header["world_digest"], header["world_path"]) == ("tiny", DIGEST, "/worlds/tiny.dwpack")
    assert header["memory"] == {"count": original.memory.count, "clock": 2}


def test_a_scene_without_depth_or_memory(tmp_path):
    picture = np.full((32, 48, 3), 200, np.uint8)
    save_scene(tmp_path / "plain.dwscene", Scene(picture=picture, **WORLD))
    opened = open_scene(tmp_path / "plain.dwscene")
    assert opened.depth is None and opened.memory is None
    np.testing.assert_array_equal(opened.picture, picture)
    assert opened.settings == {"depth_scale": 1.0, "eye_height": 41.0, "field_of_view": 90.0, "relief": 1.0,
                               "panorama_span": 0.0, "sky_far": True}
    assert opened.pose.dtype == np.float64 and not opened.pose.any()
    with zipfile.ZipFile(tmp_path / "plain.dwscene") as archive:
        assert sorted(archive.namelist()) == ["picture.png", "scene.json"]


def test_a_file_that_is_not_a_scene(tmp_path):
    text = tmp_path / "notes.dwscene"
    text.write_text("a shopping list, not a scene\n")
    with pytest.raises(SceneError, match=r"^notes.dwscene is not a Dreamwalk scene \(not a zip file\)$"):
        open_scene(text)
    with pytest.raises(SceneError, match=r"^no scene at .*missing.dwscene$"):
        open_scene(tmp_path / "missing.dwscene")


def test_a_zip_without_scene_json_or_with_an_extra_member(saved, tmp_path):
    no_json = rewritten(saved, tmp_path / "a.dwscene", lambda members: members.pop("scene.json"))
    with pytest.raises(SceneError, match=r"^a.dwscene is not a Dreamwalk scene \(no scene.json\)$"):
        open_scene(no_json)
    extra = rewritten(saved, tmp_path / "b.dwscene", lambda members: members.update({"../evil.sh": b"rm -rf /"}))
    with pytest.raises(SceneError, match=r"^b.dwscene has an unexpected member '../evil.sh'$"):
        open_scene(extra)
    half_memory = rewritten(saved, tmp_path / "c.dwscene", lambda members: members.pop("memory/stamps.npy"))
    with pytest.raises(SceneError, match=r"^c.dwscene is damaged \(its memory lacks memory/stamps.npy\)$"):
        open_scene(half_memory)


def test_a_pickled_array_is_refused_and_never_unpickled(saved, tmp_path):
    hostile = np.array([PickleTripwire()] * 3, dtype=object)
    path = rewritten(saved, tmp_path / "pickled.dwscene",
                     lambda members: members.update({"memory/keys.npy": npy_bytes(hostile, allow_pickle=True)}))
    with pytest.raises(SceneError, match=r"^pickled.dwscene is damaged \(memory/keys.npy holds Python objects, "
                                         r"which a scene never loads\)$"):
        open_scene(path)
    assert UNPICKLED == []


def test_arrays_of_the_wrong_shape_or_type(saved, tmp_path):
    count = full_scene().memory.count
    cases = {
        "depth.npy": (np.ones((15, 20, 1), np.float32), r"depth.npy has shape \(15, 20, 1\), not \(15, 20\)"),
        "memory/positions.npy": (np.zeros((count, 2), np.float32),
                                 r"memory/positions.npy has shape \(\d+, 2\), not \(N, 3\)"),
        "memory/keys.npy": (np.zeros(count, np.int32), r"memory/keys.npy is int32, not int64"),
        "memory/stamps.npy": (np.zeros(count - 1, np.int64),
                              rf"memory/stamps.npy holds {count - 1} points, but memory/positions.npy holds {count}"),
        "memory/sorted_keys.npy": (np.zeros(count, np.int64), r"memory/sorted_keys.npy is not in increasing order"),
        "memory/slots_by_key.npy": (np.full(count, count, np.int64),
                                    rf"memory/slots_by_key.npy holds slots outside 0-{count - 1}"),
    }
    for index, (member, (array, message)) in enumerate(cases.items()):
        path = rewritten(saved, tmp_path / f"{index}.dwscene",
                         lambda members: members.update({member: npy_bytes(array)}))
        with pytest.raises(SceneError, match=rf"^{index}.dwscene is damaged \({message}\)$"):
            open_scene(path)


def test_values_out_of_range(saved, tmp_path):
    cases = [
        (lambda h: h.update(pose=[0, 0, 0, 90]), r"scene.json: pose must be 5 finite numbers \(x, y, z, yaw, pitch\), "
                                                 r"not \[0, 0, 0, 90\]"),
        (lambda h: h["settings"].update(field_of_view=200), r"scene.json: settings field_of_view must be a number "
                                                            r"from 30 to 150, not 200"),
        (lambda h: h.update(seed="seven"), r"scene.json: seed must be a whole number 0 or more, not 'seven'"),
        (lambda h: h["memory"].update(count=10**9), r"the memory counts 1000000000 points, but memory/positions.npy "
                                                    r"holds \d+"),
        (lambda h: h.update(picture=[41, 36]), r"picture.png is 40x36, but scene.json says 41x36"),
    ]
    for index, (change, message) in enumerate(cases):
        path = rewritten(saved, tmp_path / f"{index}.dwscene", edit_json(change))
        with pytest.raises(SceneError, match=rf"^{index}.dwscene is damaged \({message}\)$"):
            open_scene(path)
    depth = np.ones((15, 20), np.float32)
    depth[3, 4] = -1
    negative = rewritten(saved, tmp_path / "negative.dwscene", lambda m: m.update({"depth.npy": npy_bytes(depth)}))
    with pytest.raises(SceneError, match=r"^negative.dwscene is damaged \(depth.npy holds negative depths\)$"):
        open_scene(negative)
    depth[3, 4] = np.nan
    nan = rewritten(saved, tmp_path / "nan.dwscene", lambda m: m.update({"depth.npy": npy_bytes(depth)}))
    with pytest.raises(SceneError, match=r"^nan.dwscene is damaged \(depth.npy holds values that are not finite\)$"):
        open_scene(nan)


def test_a_picture_too_small_or_not_rgb(saved, tmp_path):
    from PIL import Image

    def picture(image):
        def edit(members):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            members["picture.png"] = buffer.getvalue()
        return edit

    small = rewritten(saved, tmp_path / "small.dwscene", picture(Image.new("RGB", (16, 16))))
    with pytest.raises(SceneError, match=r"^the picture in small.dwscene is only 16x16 pixels; a prompt picture "
                                         r"needs at least 32 pixels on each side$"):
        open_scene(small)
    grey = rewritten(saved, tmp_path / "grey.dwscene", picture(Image.new("L", (40, 36))))
    with pytest.raises(SceneError, match=r"^grey.dwscene is damaged \(picture.png is L, not RGB\)$"):
        open_scene(grey)


def test_a_truncated_scene(saved, tmp_path):
    cut = tmp_path / "cut.dwscene"
    data = saved.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SceneError, match=r"^cut.dwscene is damaged \(cut short or corrupt: "):
        open_scene(cut)


def test_a_scene_too_large_is_refused_before_it_is_read(tmp_path):
    """600 MiB of zeros deflate to well under a megabyte: the size is refused from the zip directory."""
    bomb = tmp_path / "bomb.dwscene"
    zeros = bytes(2**20)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("scene.json", "{}")
        with archive.open("depth.npy", "w", force_zip64=True) as member:
            for _ in range(600):
                member.write(zeros)
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(SceneError, match=r"^bomb.dwscene is too large \(depth.npy would be 600 MiB; a scene member "
                                         r"may be 512 MiB at most\)$"):
        open_scene(bomb)


def test_a_scene_too_large_altogether(saved, monkeypatch):
    monkeypatch.setattr(scene_module, "MAX_TOTAL_BYTES", 2**10)
    with pytest.raises(SceneError, match=r"^hall.dwscene is too large \(\d+ MiB uncompressed; a scene may be "
                                         r"0 MiB at most\)$"):
        open_scene(saved)


def test_a_scene_from_a_newer_dreamwalk(saved, tmp_path):
    newer = rewritten(saved, tmp_path / "newer.dwscene", edit_json(lambda h: h.update(dreamwalk_scene=3)))
    with pytest.raises(SceneError, match=r"^newer.dwscene was saved by a newer Dreamwalk \(scene format 3; this "
                                         r"version opens format 2\)$"):
        open_scene(newer)


def test_a_scene_of_format_1_opens_without_its_worlds_digest(saved, tmp_path):
    """Scenes kept before they named more than their world's name still open; they name no digest or path."""
    def first_format(header):
        header.update(dreamwalk_scene=1)
        del header["world_digest"], header["world_path"]

    older = open_scene(rewritten(saved, tmp_path / "older.dwscene", edit_json(first_format)))
    assert (older.world, older.world_digest, older.world_path) == ("tiny", "", "")
    assert older.world_mark.digest == "" and older.memory is not None
    with pytest.raises(SceneError, match=r"^cannot save the scene to .*again.dwscene: it does not say which world it "
                                         r"was kept in \(the world 'tiny' has no digest and no path\)$"):
        save_scene(tmp_path / "again.dwscene", older)


def test_a_save_that_fails_on_a_full_disk_keeps_the_old_scene(saved, monkeypatch):
    before = saved.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "save", disk_full)
    with pytest.raises(SceneError, match=rf"^cannot save the scene to {saved}: the disk is full$"):
        save_scene(saved, full_scene())
    assert saved.read_bytes() == before
    assert sorted(path.name for path in saved.parent.iterdir()) == ["hall.dwscene"]
    monkeypatch.undo()
    open_scene(saved)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_save_into_a_read_only_folder_keeps_the_old_scene(saved):
    before = saved.read_bytes()
    saved.parent.chmod(0o500)
    try:
        with pytest.raises(SceneError, match=rf"^cannot save the scene to {saved}: Permission denied$"):
            save_scene(saved, full_scene())
    finally:
        saved.parent.chmod(0o700)
    assert saved.read_bytes() == before
    assert sorted(path.name for path in saved.parent.iterdir()) == ["hall.dwscene"]


def test_a_scene_that_could_not_be_opened_again_is_not_saved(tmp_path):
    scene = full_scene()
    scene.depth = scene.depth.astype(np.float64)
    with pytest.raises(SceneError, match=r"^cannot save the scene to .*odd.dwscene: depth.npy must be \(h, w\) "
                                         r"float32, not \(15, 20\) float64$"):
        save_scene(tmp_path / "odd.dwscene", scene)
    assert list(tmp_path.iterdir()) == []


def test_picture_settings_are_read_within_one_set_of_ranges():
    """Scenes, the player's options and the launcher's controls read the picture's settings with these ranges."""
    from dataclasses import fields

    from engine.runtime.picture_settings import SETTING_RANGES, SWITCHES, PictureSettings, read_settings, settings_dict

    defaults = PictureSettings()
    assert read_settings({}) == defaults
    assert settings_dict(defaults) == {"depth_scale": 1.0, "eye_height": 41.0, "field_of_view": 90.0, "relief": 1.0,
                                       "panorama_span": 0.0, "sky_far": True}
    assert list(SETTING_RANGES) + list(SWITCHES) == [field.name for field in fields(PictureSettings)]
    assert read_settings({"sky_far": False, "relief": 2}) == PictureSettings(sky_far=False, relief=2.0)
    assert all(low <= getattr(defaults, name) <= high for name, (low, high) in SETTING_RANGES.items())
    assert read_settings({"eye_height": np.float32(48), "field_of_view": 150}) == PictureSettings(eye_height=48.0,
                                                                                                  field_of_view=150.0)
    for values, message in (({"field_of_view": 200}, "settings field_of_view must be a number from 30 to 150, not 200"),
                            ({"depth_scale": True}, "settings depth_scale must be a number from 0.1 to 10, not True"),
                            ({"tilt": 1.0}, "settings has an unknown key 'tilt'"),
                            ({"sky_far": 1}, "settings sky_far must be true or false, not 1"),
                            ([1.0], "settings must be an object of numbers")):
        with pytest.raises(ValueError, match=f"^{message}$"):
            read_settings(values)
