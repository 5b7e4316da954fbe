"""Scenes (.dwscene) and clips' action logs are files people share. Each opens in the world it was made in (found
where it was, else by its digest), and each field of one made wrong in turn (sizes, counts, dtypes, orders,
values, extra and missing members, the world's) is one clear line through the player, the launcher and
`dreamwalk render`, never a traceback."""

import json
import math
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, load_script, wait_until
from engine.runtime.action_log import ActionLogWriter
from engine.runtime.scene import open_scene, save_scene
from test_scene import edit_json, full_scene, npy_bytes, rewritten

DIGEST = "0123456789abcdef" * 4                 # a world's digest that no world here has
ELSEWHERE = {"world": "tiny", "world_digest": DIGEST, "world_path": "/nowhere/tiny.dwpack"}
SIZE = (160, 120)                                # the display size the worlds are played at here
WALK = [{"turn": -9.0, "forward": True}] * 3 + [{"turn": 9.0}] * 2
PICTURE = ROOT / "assets" / "prompts" / "doom-map01.png"


def environment(tmp_path):
    return {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
            "DREAMWALK_CONFIG": str(tmp_path / "config"), "DREAMWALK_DATA": str(tmp_path / "data")}


def player(*arguments, agent="random"):
    return [sys.executable, str(ROOT / "main.py"), *map(str, arguments), "--frames", "1", "--agent", agent]


def render(*arguments):
    return [sys.executable, "-m", "engine.cli", "render", *map(str, arguments)]


def refusals(commands, tmp_path):
    """Each command run as its own process (a few at a time): its exit code and its standard error."""
    def run(command):
        done = subprocess.run(command, env=environment(tmp_path), cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        return done.returncode, done.stderr
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(run, commands))


def refusals_in_process(commands, capsys):
    """Each command run by main.py's own main in this process (a traceback would fail the test): its exit code
    and its standard error."""
    entry = load_script("main.py")
    results = []
    for command in commands:
        arguments = command[2:] if command[1] == str(ROOT / "main.py") else command[3:]  # after main.py, -m engine.cli
        results.append((entry.main(arguments), capsys.readouterr().err))       # main.py runs engine commands too
    return results


def sample(cases, names):
    """The cases named: one of each kind, run as processes (all of them, run so, take a minute: --runslow)."""
    chosen = [case for case in cases if case[0] in names]
    assert len(chosen) == len(names)
    return chosen


def assert_one_line(case, code, error, fragment):
    assert code != 0, f"{case}: exit 0"
    assert "Traceback" not in error and error.count("\n") == 1 and error.startswith("dreamwalk: error: "), \
        f"{case}: {error!r}"
    assert fragment in error, f"{case}: {error!r} does not say {fragment!r}"


# --- scenes, every field wrong in turn --------------------------------------------------------------------------
def picture_png(image):
    def edit(members):
        from io import BytesIO

        buffer = BytesIO()
        image.save(buffer, format="PNG")
        members["picture.png"] = buffer.getvalue()
    return edit


def array(member, value):
    return lambda members: members.update({member: npy_bytes(value)})


def without(*names):
    def edit(members):
        for name in names:
            members.pop(name)
    return edit


def first_format(extra=None):
    def change(header):
        header.update(dreamwalk_scene=1, **(extra or {}))
        for key in ("world_digest", "world_path"):
            if key not in (extra or {}):
                del header[key]
    return change


def deleted(key):
    return lambda header: header.pop(key)


COUNT = full_scene().memory.count
SORTED = full_scene().memory.sorted_keys
NEGATIVE_DEPTH = np.ones((15, 20), np.float32) * np.array([-1.0] + [1.0] * 19, np.float32)
NAN_POSITIONS = full_scene().memory.positions.copy()
NAN_POSITIONS[0, 0] = np.nan

# (case, how the saved scene is changed, what its one line says)
SCENE_CASES = [
    # sizes
    ("picture size", edit_json(lambda h: h.update(picture=[41, 36])), "picture.png is 40x36, but scene.json says"),
    ("depth size", edit_json(lambda h: h.update(depth=[21, 15])), "depth.npy has shape (15, 20), not (15, 21)"),
    ("picture too small", lambda m: (picture_png(Image.new("RGB", (16, 16)))(m),
                                     edit_json(lambda h: h.update(picture=[16, 16]))(m)), "only 16x16 pixels"),
    ("size not a pair", edit_json(lambda h: h.update(picture=[40])), "picture must be [width, height]"),
    ("scene.json too large", edit_json(lambda h: h.update(source="x" * 2**21)), "scene.json is 2,"),
    # counts
    ("memory counts more", edit_json(lambda h: h["memory"].update(count=10**9)), "the memory counts 1000000000"),
    ("fewer stamps", array("memory/stamps.npy", np.zeros(COUNT - 1, np.int64)), "memory/stamps.npy holds"),
    ("fewer sorted keys", array("memory/sorted_keys.npy", SORTED[:-1]), "memory/sorted_keys.npy holds"),
    # dtypes
    ("keys int32", array("memory/keys.npy", np.zeros(COUNT, np.int32)), "memory/keys.npy is int32, not int64"),
    ("depth float64", array("depth.npy", np.ones((15, 20))), "depth.npy is float64, not float32"),
    ("picture grey", picture_png(Image.new("L", (40, 36))), "picture.png is L, not RGB"),
    ("pickled array", lambda m: m.update({"memory/keys.npy": npy_bytes(np.array([1, None], object), True)}),
     "holds Python objects"),
    ("positions 2-D", array("memory/positions.npy", np.zeros((COUNT, 2), np.float32)), "has shape"),
    # orders
    ("keys unsorted", array("memory/sorted_keys.npy", SORTED[::-1].copy()), "is not in increasing order"),
    ("slots elsewhere", array("memory/slots_by_key.npy", np.full(COUNT, COUNT, np.int64)), "holds slots outside"),
    # values
    ("pose of four", edit_json(lambda h: h.update(pose=[0, 0, 0, 90])), "pose must be 5 finite numbers"),
    ("pose not finite", edit_json(lambda h: h.update(pose=[0, 0, math.nan, 0, 0])), "pose must be 5 finite"),
    ("seed negative", edit_json(lambda h: h.update(seed=-1)), "seed must be a whole number 0 or more"),
    ("seed a word", edit_json(lambda h: h.update(seed="seven")), "seed must be a whole number"),
    ("frames a fraction", edit_json(lambda h: h.update(frames=1.5)), "frames must be a whole number"),
    ("field of view", edit_json(lambda h: h["settings"].update(field_of_view=200)), "field_of_view must be"),
    ("settings key", edit_json(lambda h: h["settings"].update(tilt=1)), "settings has an unknown key 'tilt'"),
    ("depth negative", array("depth.npy", NEGATIVE_DEPTH), "depth.npy holds negative depths"),
    ("positions not finite", array("memory/positions.npy", NAN_POSITIONS), "memory/positions.npy holds values"),
    ("memory clock missing", edit_json(lambda h: h["memory"].pop("clock")), "memory must be null or"),
    ("world a number", edit_json(lambda h: h.update(world=5)), "world must be a string"),
    ("source a list", edit_json(lambda h: h.update(source=["a"])), "source must be a string"),
    ("newer format", edit_json(lambda h: h.update(dreamwalk_scene=3)), "saved by a newer Dreamwalk"),
    ("format 0", edit_json(lambda h: h.update(dreamwalk_scene=0)), "format version 0"),
    ("format a word", edit_json(lambda h: h.update(dreamwalk_scene="2")), "format version '2'"),
    # extra and missing members
    ("extra member", lambda m: m.update({"notes.txt": b"hello"}), "has an unexpected member 'notes.txt'"),
    ("escaping member", lambda m: m.update({"../evil.sh": b"rm"}), "has an unexpected member '../evil.sh'"),
    ("no picture", without("picture.png"), "is damaged (no picture.png)"),
    ("no scene.json", without("scene.json"), "is not a Dreamwalk scene (no scene.json)"),
    ("half a memory", without("memory/stamps.npy"), "its memory lacks memory/stamps.npy"),
    ("depth unnamed", edit_json(lambda h: h.update(depth=None)), "disagree on whether it has a depth"),
    ("memory unnamed", edit_json(lambda h: h.update(memory=None)), "disagree on whether it has a memory"),
    ("extra key", edit_json(lambda h: h.update(title="hall")), "an unknown key 'title'"),
    ("no seed", edit_json(deleted("seed")), "no 'seed'"),
    ("no version", edit_json(deleted("dreamwalk_scene")), "scene.json has no format version"),
    # the world it was kept in
    ("no world digest", edit_json(deleted("world_digest")), "no 'world_digest'"),
    ("no world path", edit_json(deleted("world_path")), "no 'world_path'"),
    ("digest not hex", edit_json(lambda h: h.update(world_digest="z" * 64)), "world_digest must be a world's"),
    ("digest short", edit_json(lambda h: h.update(world_digest=DIGEST[:40])), "world_digest must be a world's"),
    ("digest capitals", edit_json(lambda h: h.update(world_digest=DIGEST.upper())), "world_digest must be"),
    ("digest a number", edit_json(lambda h: h.update(world_digest=7)), "world_digest must be a world's"),
    ("world path relative", edit_json(lambda h: h.update(world_path="worlds/tiny.dwpack")), "world_path must be"),
    ("world path null", edit_json(lambda h: h.update(world_path=None)), "world_path must be the absolute"),
    ("format 1 with a digest", edit_json(first_format({"world_digest": DIGEST})), "an unknown key 'world_digest'"),
    ("world not here", lambda m: None, "was made in the world 'tiny' (/nowhere/tiny.dwpack)"),
]
LAUNCHER_ASKS = {"world not here"}               # the launcher asks what to do instead (tested below)


@pytest.fixture
def bad_scenes(tmp_path):
    """Each case's scene file, beside a damaged zip, a text file and a folder: [(case, path, fragment)]."""
    saved = tmp_path / "good.dwscene"
    scene = full_scene()
    scene.world_digest, scene.world_path = DIGEST, ELSEWHERE["world_path"]
    save_scene(saved, scene)
    open_scene(saved)                                                  # the scene each case changes opens
    cases = [(case, rewritten(saved, tmp_path / f"{index:02d}.dwscene", edit), fragment)
             for index, (case, edit, fragment) in enumerate(SCENE_CASES)]
    cut = tmp_path / "cut.dwscene"
    cut.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    text = tmp_path / "text.dwscene"
    text.write_text("a shopping list\n")
    folder = tmp_path / "folder.dwscene"
    folder.mkdir()
    return cases + [("cut short", cut, "is damaged (cut short or corrupt"), ("not a zip", text, "(not a zip file)"),
                    ("a folder", folder, "is not a Dreamwalk scene (a folder)"),
                    ("no file", tmp_path / "gone.dwscene", "no scene at")]


SCENE_SAMPLE = {"depth size", "fewer stamps", "keys int32", "keys unsorted", "pose not finite", "extra member",
                "digest not hex", "world not here", "cut short"}


def scene_commands(scenes, tmp_path):
    log = good_log(tmp_path)
    return ([player("--scene", path) for _, path, _ in scenes]
            + [render(log, "--scene", path, "--out", tmp_path / "walk.mp4") for _, path, _ in scenes])


def each_refused_in_one_line(cases, commands, tmp_path, capsys=None, sampled=None):
    """Every case's commands (``commands(cases, tmp_path)``: the player's, then render's) refused in one line:
    in this process (with ``capsys``), and a sample of ``sampled`` cases as real processes; or all as real
    processes. Nothing is rendered."""
    if capsys is None:
        results, checked = refusals(commands(cases, tmp_path), tmp_path), cases * 2
    else:
        picked = sample(cases, sampled)
        results = (refusals_in_process(commands(cases, tmp_path), capsys)
                   + refusals(commands(picked, tmp_path), tmp_path))
        checked = cases * 2 + picked * 2
    for (case, _, fragment), (code, error) in zip(checked, results):
        assert_one_line(case, code, error, fragment)
    assert not (tmp_path / "walk.mp4").exists()


def test_a_damaged_scene_is_one_line_from_the_player_and_render(bad_scenes, tmp_path, capsys):
    each_refused_in_one_line(bad_scenes, scene_commands, tmp_path, capsys, SCENE_SAMPLE)


@pytest.mark.slow                               # a hundred processes: a minute on two cores
def test_every_damaged_scene_is_one_line_from_the_player_and_render_processes(bad_scenes, tmp_path):
    each_refused_in_one_line(bad_scenes, scene_commands, tmp_path)


def test_a_damaged_scene_is_one_line_in_the_launchers_status(launcher, bad_scenes, monkeypatch):
    window, _ = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    for case, path, fragment in bad_scenes:
        if case in LAUNCHER_ASKS:
            continue
        window.open_scene_file(path)
        wait_until(lambda: window.checking_scene is None)
        line = window.status.text()
        assert fragment in line and "\n" not in line and "Traceback" not in line, f"{case}: {line!r}"
    assert started == [] and window.process is None


# --- action logs, every field wrong in turn ---------------------------------------------------------------------
def good_log(folder, name="good", **header):
    """A clip's log as the player's recorder writes it: five frames of a world not here, poses included."""
    path = folder / f"{name}.actions.jsonl"
    writer = ActionLogWriter(path, 17.5, {**ELSEWHERE, "prompt": str(PICTURE), "seed": 3, **header})
    for index, action in enumerate([None, *WALK[:4]]):
        writer.write(index, action, np.array([float(index), 0.0, 41.0, 0.0, 0.0]))
    writer.close()
    return path


def log_edit(change):
    """A change of the log's lines, parsed: [header, frame 0, frame 1, ...]."""
    def edit(lines):
        records = [json.loads(line) for line in lines]
        change(records)
        return [json.dumps(record) for record in records]
    return edit


def head(**values):
    return log_edit(lambda records: records[0].update(values))


def frame(index, **values):
    return log_edit(lambda records: records[index + 1].update(values))


def drop(index, key):
    return log_edit(lambda records: records[index + 1 if index >= 0 else 0].pop(key))


def swapped(records):
    records[2], records[3] = records[3], records[2]


LOG_CASES = [
    # the header
    ("newer format", head(dreamwalk_actions=3), "written by a newer Dreamwalk (action log format 3; this version "
                                                "reads 2)"),
    ("format 0", head(dreamwalk_actions=0), "is not a Dreamwalk action log"),
    ("format a word", head(dreamwalk_actions="2"), "is not a Dreamwalk action log"),
    ("format true", head(dreamwalk_actions=True), "is not a Dreamwalk action log"),
    ("no format", drop(-1, "dreamwalk_actions"), "is not a Dreamwalk action log"),
    ("header a list", lambda lines: ["[1, 2]", *lines[1:]], "is not a Dreamwalk action log"),
    ("header not JSON", lambda lines: ["{oops", *lines[1:]], "is not"),
    ("fps zero", head(fps=0), "no valid frame rate in its header (fps: 0)"),
    ("fps negative", head(fps=-17.5), "no valid frame rate"),
    ("fps a word", head(fps="17.5"), "no valid frame rate"),
    ("fps not finite", head(fps=math.inf), "no valid frame rate"),
    ("no fps", drop(-1, "fps"), "no valid frame rate in its header (fps: None)"),
    ("world a number", head(world=5), "no valid world in its header (world: 5)"),
    ("no world", drop(-1, "world"), "no valid world in its header"),
    ("no world digest", drop(-1, "world_digest"), "no valid world_digest in its header (world_digest: None)"),
    ("digest not hex", head(world_digest="z" * 64), "no valid world_digest"),
    ("digest short", head(world_digest=DIGEST[:12]), "no valid world_digest"),
    ("digest a number", head(world_digest=12), "no valid world_digest"),
    ("no world path", drop(-1, "world_path"), "no valid world_path in its header (world_path: None)"),
    ("world path relative", head(world_path="tiny.dwpack"), "no valid world_path in its header (world_path: "
                                                            "'tiny.dwpack')"),
    ("world path a number", head(world_path=3), "no valid world_path"),
    ("prompt relative", head(prompt="doom-map01.png"), "no valid prompt in its header (prompt: 'doom-map01.png')"),
    ("prompt a number", head(prompt=4), "no valid prompt"),
    ("no prompt", drop(-1, "prompt"), "no valid prompt"),
    ("seed a word", head(seed="3"), "no valid seed in its header (seed: '3')"),
    ("seed a fraction", head(seed=1.5), "no valid seed"),
    ("seed true", head(seed=True), "no valid seed"),
    ("no seed", drop(-1, "seed"), "no valid seed"),
    ("scene a number", head(scene=5), "no valid scene in its header (scene: 5)"),
    ("scene relative", head(scene="room.dwscene"), "no valid scene in its header (scene: 'room.dwscene')"),
    ("extra header key", head(title="walk"), "has an unknown key 'title' in its header"),
    # the frames
    ("frame skipped", frame(2, frame=3), "line 4 of the action log"),
    ("frames swapped", log_edit(swapped), "is frame 2, not frame 1: the log is out of order"),
    ("frame a word", frame(1, frame="1"), "is frame '1', not frame 1"),
    ("no action mid-clip", frame(2, action=None), "has no action: only the first frame has none"),
    ("first frame acts", frame(0, action={"forward": True}), "has an action, but the first frame has none"),
    ("action a list", frame(1, action=[1, 0]), "has an action that is not one (an action must be a dict"),
    ("action unknown key", frame(1, action={"fly": True}), "unknown action key 'fly'"),
    ("button a word", frame(1, action={"forward": "yes"}), "action key 'forward' must be true or false"),
    ("turn a word", frame(1, action={"turn": "9"}), "action key 'turn' must be a number of degrees"),
    ("turn not finite", frame(1, action={"turn": math.nan}), "action key 'turn' must be finite"),
    ("pose of four", frame(1, pose=[0, 0, 41, 0]), "has a pose that is not 5 finite numbers"),
    ("pose of words", frame(1, pose=["a"] * 5), "has a pose that is not 5 finite numbers"),
    ("pose not finite", frame(1, pose=[0, 0, math.inf, 0, 0]), "has a pose that is not 5 finite numbers"),
    ("extra frame key", frame(1, speed=2), "has an unknown key 'speed'"),
    ("no action", drop(1, "action"), "is not a frame (an object with \"frame\" and \"action\")"),
    ("no frame number", drop(1, "frame"), "is not a frame"),
    ("frame a list", lambda lines: [*lines[:2], "[1]", *lines[3:]], "line 3 of the action log"),
    ("frame not JSON", lambda lines: [*lines[:2], "{broken", *lines[3:]], "is not JSON"),
    ("empty", lambda lines: [], "is not a Dreamwalk action log"),
    ("world not here", lambda lines: lines, "was made in the world 'tiny' (/nowhere/tiny.dwpack)"),
]


@pytest.fixture
def bad_logs(tmp_path):
    """Each case's log, beside one that is not text and one that is not there: [(case, path, fragment)]."""
    lines = good_log(tmp_path).read_text().splitlines()
    cases = []
    for index, (case, edit, fragment) in enumerate(LOG_CASES):
        path = tmp_path / f"{index:02d}.actions.jsonl"
        path.write_text("".join(line + "\n" for line in edit(list(lines))))
        cases.append((case, path, fragment))
    binary = tmp_path / "binary.actions.jsonl"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    return cases + [("not text", binary, "cannot read the action log"),
                    ("no file", tmp_path / "gone.actions.jsonl", "gone.actions.jsonl")]


LOG_SAMPLE = {"fps zero", "digest not hex", "world path relative", "frames swapped", "action unknown key",
              "pose of four", "extra frame key", "world not here", "not text"}


def log_commands(logs, tmp_path):
    return ([player("--play", PICTURE, agent=f"replay:{path}") for _, path, _ in logs]
            + [render(path, "--out", tmp_path / "walk.mp4") for _, path, _ in logs])


def test_a_damaged_log_is_one_line_from_the_players_replay_and_render(bad_logs, tmp_path, capsys):
    each_refused_in_one_line(bad_logs, log_commands, tmp_path, capsys, LOG_SAMPLE)


@pytest.mark.slow                               # a hundred processes: a minute on two cores
def test_every_damaged_log_is_one_line_from_the_player_and_render_processes(bad_logs, tmp_path):
    each_refused_in_one_line(bad_logs, log_commands, tmp_path)


def test_logs_of_the_first_format_still_read(tmp_path):
    """Logs written before worlds were kept in them (a replay's bare header, a header naming its world's name
    alone) read as they did, and name no world to open."""
    from engine.runtime.action_log import clip_world, read_action_log, read_log_header
    from engine.runtime.worlds import WorldMark

    bare = tmp_path / "bare.actions.jsonl"
    bare.write_text(json.dumps({"dreamwalk_actions": 1, "fps": 10}) + "\n" + json.dumps({"frame": 5, "action": {}}))
    assert read_action_log(bare) == [{}] and clip_world(bare) is None
    older = tmp_path / "older.actions.jsonl"
    older.write_text(json.dumps({"dreamwalk_actions": 1, "fps": 10, "world": "tiny", "prompt": "p.png", "seed": 0}))
    assert read_log_header(older)["prompt"] == "p.png" and clip_world(older) is None
    assert clip_world(good_log(tmp_path)) == WorldMark("tiny", DIGEST, "/nowhere/tiny.dwpack")


# --- a scene and a clip open in the world they were made in -------------------------------------------------
def keep_scene(pack, path):
    """Explore ``pack``'s world a little from the bundled picture and keep the scene at ``path``."""
    from engine.runtime import WorldSession

    with WorldSession.open(pack, device="cpu", seed=3, display_size=SIZE) as world:
        world.reset(PICTURE)
        for action in WALK:
            world.step(action)
        save_scene(path, world.scene())
    return path


def frames_from_the_scene(pack, scene):
    """The frames of the world at ``pack`` started from ``scene`` and walked: session.start_scene, then WALK."""
    from engine.runtime import WorldSession

    with WorldSession.open(pack, device="cpu", display_size=SIZE) as world:
        return [world.start_scene(open_scene(scene))] + [world.step(action) for action in WALK]


def frames_in_the_player(options):
    """The player's first frame and the frames after WALK, and the pack it opened."""
    from app.player import Player

    played = Player(options)
    try:
        return [played.frame.copy()] + [played.session.step(action) for action in WALK], played.session.world_path
    finally:
        played.close()


def test_a_scene_opens_in_its_own_world_from_the_player_and_the_launcher(memory_pack, tiny_pack, launcher, tmp_path,
                                                                        monkeypatch):
    """A scene kept in the world with a memory comes back in it with --scene alone, and from Open scene while the
    tiny world is chosen: the same frames for the same actions as session.start_scene in that world."""
    from app.player import PlayerOptions, build_parser

    scene = keep_scene(memory_pack, tmp_path / "room.dwscene")
    expected = frames_from_the_scene(memory_pack, scene)
    alone, world = frames_in_the_player(PlayerOptions(scene=str(scene), device="cpu", size=SIZE))
    assert world == memory_pack.resolve()
    assert all(np.array_equal(a, b) for a, b in zip(alone, expected))

    window, _ = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    window.choose_world(tiny_pack)
    window.open_scene_file(scene)
    wait_until(lambda: window.checking_scene is None)
    arguments = build_parser().parse_args(started[0][1:])                  # after main.py
    assert Path(arguments.world) == memory_pack.resolve() and window.world == tiny_pack
    assert window.log.toPlainText().splitlines()[-1] == (f"room.dwscene opens in the world it was kept in, "
                                                         f"tiny with a memory ({memory_pack.resolve()})")
    launched, world = frames_in_the_player(PlayerOptions(scene=arguments.scene, world=arguments.world, device="cpu",
                                                         size=SIZE))
    assert world == memory_pack.resolve()
    assert all(np.array_equal(a, b) for a, b in zip(launched, expected))


def test_a_scene_whose_world_moved_is_found_by_its_digest_or_named_in_one_line(tiny_pack, tmp_path):
    """Its pack moved into the user's worlds: found there by its digest. Gone altogether: one line naming the
    world, and --world plays the scene in another world, saying so."""
    from app.player import PlayerOptions
    from app.settings import user_worlds

    copy = tmp_path / "made" / "cave.dwpack"
    copy.parent.mkdir()
    shutil.copyfile(tiny_pack, copy)
    scene = keep_scene(copy, tmp_path / "cave.dwscene")
    user_worlds().mkdir(parents=True)
    moved = user_worlds() / "renamed.dwpack"
    copy.rename(moved)
    _, world = frames_in_the_player(PlayerOptions(scene=str(scene), device="cpu"))
    assert world == moved.resolve()
    moved.unlink()
    [(code, error)] = refusals([player("--scene", scene)], tmp_path)
    assert code == 1 and error == (f"dreamwalk: error: cave.dwscene was made in the world 'tiny' ({copy.resolve()}): "
                                   "that world's pack is not there any more, nor among the bundled worlds or yours; "
                                   "pass --world PACK to play it in another world\n")
    from app.player import Player

    elsewhere = Player(PlayerOptions(scene=str(scene), world=str(tiny_pack), device="cpu"))
    elsewhere.close()
    assert elsewhere.session.world_path == tiny_pack.resolve() and elsewhere.message == ""   # the same digest
    older = rewritten(scene, tmp_path / "older.dwscene", edit_json(first_format({"world": "another"})))
    other = Player(PlayerOptions(scene=str(older), world=str(tiny_pack), device="cpu"))
    other.close()
    assert other.message == "playing older.dwscene, made in the world 'another', in 'tiny'"


def test_the_launcher_asks_before_a_scene_plays_in_another_world(launcher, tiny_pack, tmp_path, monkeypatch):
    """A scene whose world is not here, or one of the first format naming another world: a question, open it in the
    chosen world or not at all; a scene of the first format in the world of its name starts at once."""
    from test_launcher import answer_next_dialog

    window, _ = launcher
    started = []
    monkeypatch.setattr(window, "start_player", started.append)
    window.choose_world(tiny_pack)
    copy = tmp_path / "made" / "cave.dwpack"
    copy.parent.mkdir()
    shutil.copyfile(tiny_pack, copy)
    scene = keep_scene(copy, tmp_path / "cave.dwscene")
    copy.unlink()

    def opened(path, answer):
        asked = answer_next_dialog(answer) if answer else []
        window.open_scene_file(path)
        wait_until(lambda: window.checking_scene is None)
        return asked

    assert opened(scene, "Cancel") == [("cave.dwscene was kept in the world 'tiny', which is not here.",
                                        "Open it in the chosen world, tiny? It plays the scene's picture, depth and "
                                        "memory there, as that world dreams them.")]
    assert started == [] and window.status.text() == "cave.dwscene was kept in the world 'tiny', which is not here: " \
                                                      "not opened"
    opened(scene, "Open in tiny")
    assert Path(started[-1][started[-1].index("--world") + 1]) == tiny_pack
    older = rewritten(scene, tmp_path / "older.dwscene", edit_json(first_format({"world": "another"})))
    assert opened(older, "Cancel")[0][0] == "older.dwscene was kept in the world 'another', not in tiny."
    assert len(started) == 1
    same = rewritten(scene, tmp_path / "same.dwscene", edit_json(first_format()))
    assert opened(same, None) == [] and started[-1][started[-1].index("--scene") + 1] == str(same)


def test_a_clip_renders_in_the_world_it_was_played_in(memory_pack, tmp_path, monkeypatch):
    """A clip recorded in the world with a memory names it (its digest and path) and its prompt's absolute path;
    `dreamwalk render` without --world plays it there: the camera takes the path the clip logged."""
    from app.player import Player, PlayerOptions
    from engine.pack import read_pack_manifest, world_digest
    from engine.runtime.action_log import read_log_header

    clip = tmp_path / "clip.mp4"
    monkeypatch.chdir(tmp_path)                                     # the prompt named relative to where it ran
    shutil.copyfile(PICTURE, tmp_path / "picture.png")
    Player(PlayerOptions(prompt="picture.png", world=str(memory_pack), device="cpu", size=SIZE, agent="random",
                         frames=6, record=str(clip))).run()
    log = clip.with_suffix(".actions.jsonl")
    header = read_log_header(log)
    assert (header["world_digest"], header["world_path"]) == (world_digest(read_pack_manifest(memory_pack)),
                                                              str(memory_pack.resolve()))
    assert header["prompt"] == str(tmp_path / "picture.png")
    result = subprocess.run(render(log, "--size", "160x120", "--device", "cpu", "--out", tmp_path / "walk.mp4"),
                            env=environment(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    logged = [json.loads(line)["pose"] for line in log.read_text().splitlines()[1:]]
    rendered = json.loads((tmp_path / "walk.poses.json").read_text())
    np.testing.assert_allclose(np.array(rendered), np.array(logged), atol=1e-9)


def test_render_finds_a_clips_world_moved_into_the_users_worlds(tiny_pack, tmp_path):
    """`dreamwalk render` looks for a clip's world where the player and the launcher do: where it was, else by
    its digest among the bundled worlds and the user's (imported in the launcher)."""
    from engine.pack import read_pack_manifest, world_digest
    from engine.errors import DreamwalkError
    from engine.runtime.render import RenderConfig, replay_world
    from engine.runtime.worlds import user_worlds

    header = {"dreamwalk_actions": 2, "world": "tiny", "world_digest": world_digest(read_pack_manifest(tiny_pack)),
              "world_path": str(tmp_path / "gone" / "tiny.dwpack")}
    config = RenderConfig(log=tmp_path / "clip.actions.jsonl", out=tmp_path / "walk.mp4")
    with pytest.raises(DreamwalkError, match="that world's pack is not there any more"):
        replay_world(config, header)
    user_worlds().mkdir(parents=True)
    shutil.copyfile(tiny_pack, user_worlds() / "imported.dwpack")
    assert Path(replay_world(config, header)).resolve() == (user_worlds() / "imported.dwpack").resolve()
