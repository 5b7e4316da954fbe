import numpy as np
import pytest

from engine.data import open_source
from engine.data.vizdoom_source import parse_maps
from engine.errors import SourceError


def heading(yaw_degrees):
    return np.array([np.cos(np.radians(yaw_degrees)), np.sin(np.radians(yaw_degrees))])


@pytest.fixture(params=[("vizdoom", {"map": "MAP01"}), ("miniworld", {"env": "Maze"})], ids=["vizdoom", "miniworld"])
def source(request):
    name, options = request.param
    with open_source(name, seed=3, **options) as opened:
        yield opened


def test_frames_are_native_rgb(source):
    frame = source.reset()
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8
    assert frame.std() > 5                                           # a rendered view, not a blank


def test_turn_right_lowers_yaw_by_the_turn(source):
    source.reset()
    before = source.pose
    source.step({"turn": 10.0})
    assert (before[3] - source.pose[3]) % 360 == pytest.approx(10.0, abs=0.05)
    source.step({"turn": -4.0})
    assert (before[3] - source.pose[3]) % 360 == pytest.approx(6.0, abs=0.05)


def test_look_up_raises_pitch(source):
    source.reset()
    before = source.pose[4]
    source.step({"look": 4.0})
    assert source.pose[4] - before == pytest.approx(4.0, abs=0.05)


def test_forward_moves_along_the_heading(source):
    source.reset()
    source.step({"turn": 30.0})          # away from the spawn's facing, so a sign error cannot pass
    start = source.pose
    for _ in range(6):
        source.step({"forward": True})
    moved = source.pose[:2] - start[:2]
    assert np.linalg.norm(moved) > source.walk_step
    assert np.dot(moved / np.linalg.norm(moved), heading(start[3])) > 0.99
    for _ in range(15):                  # Doom keeps momentum: come to a stop first
        source.step({})
    strafe_start = source.pose
    for _ in range(4):
        source.step({"right": True})
    sideways = source.pose[:2] - strafe_start[:2]
    right_of_heading = heading(strafe_start[3] - 90.0)
    assert np.dot(sideways / np.linalg.norm(sideways), right_of_heading) > 0.95


@pytest.mark.parametrize("name, options", [("vizdoom", {"map": "MAP01"}), ("miniworld", {"env": "Maze"})])
def test_same_seed_and_actions_give_the_same_frames(name, options):
    """How the recorder reproduces an episode: a fresh source, the episode's seed, the same actions."""
    actions = [{"forward": True, "turn": 3.0}] * 5 + [{"left": True}] * 3
    runs = []
    for _ in range(2):
        with open_source(name, seed=11, **options) as fresh:
            frames = [fresh.reset(seed=11)]
            frames += [fresh.step(action) for action in actions]
            runs.append(np.stack(frames))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_schema_is_enforced_by_sources(source):
    source.reset()
    with pytest.raises(ValueError, match="unknown action key"):
        source.step({"fire": True})


def test_unknown_source_map_and_environment():
    with pytest.raises(SourceError, match="unknown source 'quake'"):
        open_source("quake")
    with pytest.raises(SourceError, match="unknown Freedoom 2 map 'MAP40'"):
        open_source("vizdoom", map="MAP40")
    with pytest.raises(SourceError, match="unknown MiniWorld environment 'Castle'"):
        open_source("miniworld", env="Castle")


def test_miniworld_multi_room_environment_opens():
    with open_source("miniworld", env="FourRooms", seed=0) as rooms:
        assert rooms.reset().shape == (120, 160, 3)


def test_places_are_maps_for_vizdoom_and_environments_for_miniworld():
    from engine.data.sources import HELD_OUT, parse_places

    assert parse_places("vizdoom", HELD_OUT["vizdoom"]) == ["MAP21", "MAP22", "MAP23", "MAP24"]
    assert parse_places("miniworld", "MiniWorld-Maze-v0, FourRooms,Maze") == ["Maze", "FourRooms"]
    assert parse_places("miniworld", HELD_OUT["miniworld"]) == ["Maze", "FourRooms", "ThreeRooms", "TMaze"]
    for source, text, message in [("miniworld", "Maze,,OneRoom", "empty item"), ("miniworld", "Castle", "unknown"),
                                  ("crafter", "x", "unknown source 'crafter'")]:
        with pytest.raises(SourceError, match=message):
            parse_places(source, text)


def test_map_lists_take_ranges_and_commas():
    assert parse_maps("MAP01-MAP03") == ["MAP01", "MAP02", "MAP03"]
    assert parse_maps("map25,MAP27") == ["MAP25", "MAP27"]
    assert parse_maps("MAP01-MAP02,MAP07,MAP02") == ["MAP01", "MAP02", "MAP07"]
    assert len(parse_maps("MAP01-MAP20")) == 20
    for bad, message in [("MAP05-MAP02", "comes before"), ("MAP01-", "bad map or range"),
                         ("MAP33", "unknown Freedoom 2 map"), ("MAP01,,MAP02", "empty item"), ("E1M1", "bad map")]:
        with pytest.raises(SourceError, match=message):
            parse_maps(bad)
