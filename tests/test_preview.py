"""The world's reading of a picture before play (engine.runtime.preview): the depth the world plays, its colour
map with the floor tinted, the picture lifted into a world memory and seen from a swaying camera, and a scene of
the painted depth, on a real tiny pack with a depth network."""

import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import DreamwalkError
from engine.evaluation.metrics import psnr
from engine.images import AreaResize, to_uint8
from engine.memory.reading import floor_depth
from engine.pack import read_pack_manifest
from engine.runtime.depth_brush import NEARER, DepthEdit
from engine.runtime.images import load_prompt
from engine.runtime.memory import SKY_DEPTH
from engine.runtime.picture_settings import PictureSettings, read_picture_depth, settings_dict
from engine.runtime.preview import COLOURS, FLOOR_COLOUR, FLOOR_TINT, NO_DEPTH, PicturePreview
from engine.runtime.scene import open_scene, save_scene

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "assets" / "prompts" / "doom-map01.png"
SIZE = (320, 240)


@pytest.fixture(scope="module")
def preview(memory_pack):
    return PicturePreview(memory_pack)


@pytest.fixture(scope="module")
def picture():
    return load_prompt(PICTURE, SIZE)


def sway_ends(frames):
    """The views a quarter and three quarters through the loop: the camera furthest left and right."""
    return frames[len(frames) // 4].astype(np.float32), frames[3 * len(frames) // 4].astype(np.float32)


def test_depth_has_the_pictures_aspect_and_positive_values(preview, picture):
    depth = preview.depth(picture)
    width, height = preview.depth_size
    assert depth.shape == (height, width) and depth.dtype == np.float32
    assert depth.shape[1] / depth.shape[0] == pytest.approx(picture.shape[1] / picture.shape[0])
    assert np.isfinite(depth).all() and depth.min() > 0
    assert preview.depth(picture.copy()) is depth                  # the same picture is not read again
    image = preview.depth_image(depth)
    assert image.shape == (height, width, 3) and image.dtype == np.uint8
    brightness = image.astype(int).sum(axis=2)
    assert brightness.flat[np.argmin(depth)] > brightness.flat[np.argmax(depth)]     # near is bright, far dark


def test_the_depth_image_spans_its_colours_past_stray_pixels():
    depth = np.tile(np.linspace(50, 400, 64, dtype=np.float32), (48, 1))
    depth[0, 0], depth[0, 1] = 0.1, 1e6                            # stray pixels, nearly at the eye and far off
    depth[1, 0] = 0.0                                              # no depth
    image = PicturePreview.depth_image(depth).astype(int)
    assert image[1, 0].sum() == 0
    # The ramp still spans (nearly) the whole map: the strays sit beyond the percentiles.
    assert image[24, 0].sum() > 600 and image[24, -1].sum() < 60


def test_parallax_starts_at_the_picture_and_sways(preview, picture):
    frames = preview.parallax(picture, PictureSettings(), SIZE, frames=24)
    assert len(frames) == 24 and all(frame.shape == (240, 320, 3) and frame.dtype == np.uint8 for frame in frames)
    expected = to_uint8(AreaResize(picture.shape[1::-1], SIZE)(picture))
    assert float(psnr(frames[0][None], expected[None])[0]) > 30          # the start pose shows the picture
    # A quarter loop, from the start pose to the camera furthest left: every view differs from the one before.
    for before, after in zip(frames[:6], frames[1:7]):
        assert np.abs(after.astype(np.float32) - before).mean() > 0.5
    left, right = sway_ends(frames)
    assert np.abs(left - right).mean() > 5
    wider = preview.parallax(picture, PictureSettings(field_of_view=120.0), SIZE, frames=24)
    assert np.abs(wider[0].astype(np.float32) - frames[0]).mean() < 1    # the start pose is the picture at any view
    assert np.abs(wider[6].astype(np.float32) - frames[6]).mean() > 1


def test_a_deeper_reading_moves_less(preview, picture, monkeypatch):
    """Read twice as deep, the same sideways move shifts the picture less than read half as deep. The depth
    is a fixed room here (a near block in front of a far wall), not the tiny network's reading, which is
    whatever three training steps left: the test is of the preview's geometry."""
    width, height = preview.depth_size
    room = np.full((height, width), 400.0, np.float32)
    room[height // 4: 3 * height // 4, width // 3: 2 * width // 3] = 150.0
    monkeypatch.setattr(preview, "depth", lambda _: room)
    moved = {}
    for scale in (0.5, 2.0):
        preview._parallax_of = None                       # the kept loop is of the network's reading
        left, right = sway_ends(preview.parallax(picture, PictureSettings(depth_scale=scale), SIZE))
        moved[scale] = float(np.abs(left - right).mean())
    assert moved[2.0] < 0.9 * moved[0.5], moved
    preview._parallax_of = None


def room_and_sky(preview):
    """A picture with a smooth blue sky and a sun over its upper third and mottled brown ground under it,
    and a fixed room for the network's reading (a near block in front of a far wall, farther than the floor
    below the horizon): the tiny network reads whatever three training steps left."""
    width, height = preview.depth_size
    room = np.full((height, width), 400.0, np.float32)
    room[height // 3: 3 * height // 4, width // 3: 2 * width // 3] = 150.0
    picture = np.zeros((240, 320, 3), np.uint8)
    picture[:80] = (70, 120, 220)
    rows, columns = np.mgrid[:80, :320]
    picture[:80][(rows - 40) ** 2 + (columns - 240) ** 2 < 12 ** 2] = (255, 240, 180)
    mottled = np.random.default_rng(0).integers(-40, 40, (160, 320, 1))
    picture[80:] = np.clip(np.array([120, 80, 40]) + mottled, 0, 255)
    return picture, room


def test_the_preview_shows_the_depth_the_world_plays(preview, monkeypatch):
    """Relief, sky far and the eye height change the depth map and the moving preview, as they change play's
    reading (read_picture_depth with the sky at SKY_DEPTH of the memory's farthest depth); the floor at the
    eye height is tinted on the map."""
    picture, room = room_and_sky(preview)
    monkeypatch.setattr(preview, "depth", lambda _: room)
    far = SKY_DEPTH * preview.memory_config.max_depth
    assert preview.far == far
    depths, images, loops = {}, {}, {}
    for name, settings in {"default": PictureSettings(), "deeper": PictureSettings(relief=2.0),
                           "sky near": PictureSettings(sky_far=False), "high eye": PictureSettings(eye_height=200.0)
                           }.items():
        depths[name] = preview.read(picture, settings)
        assert np.array_equal(depths[name], read_picture_depth(room, picture, settings, far))
        floor = floor_depth(room.shape, settings.field_of_view, settings.eye_height)
        images[name] = preview.depth_image(depths[name], floor).astype(np.float32)
        preview._parallax_of = None                       # the kept loop is of the network's reading
        loops[name] = np.stack(preview.parallax(picture, settings, SIZE, frames=8)).astype(np.float32)
    height, width = room.shape
    assert (depths["default"][:height // 5] == far).all()                # the sky, far
    assert (depths["sky near"][:height // 5] == 400.0).all()             # ... or as read
    assert depths["deeper"][height // 2, 5] > 1.5 * depths["default"][height // 2, 5]   # the wall, deeper
    assert depths["high eye"][-1, 5] > depths["default"][-1, 5]          # the floor, farther below a higher eye
    for name in ("deeper", "sky near", "high eye"):
        assert np.abs(images[name] - images["default"]).mean() > 2, name
    for name, (rows, columns) in {"deeper": (slice(None), slice(None)), "high eye": (slice(None), slice(None)),
                                  "sky near": (slice(20, 60), slice(200, 280))}.items():    # the sun moves
        moved = np.abs(loops[name][1:, rows, columns] - loops["default"][1:, rows, columns]).mean()
        assert moved > 1, (name, moved)
    # The floor tinted: a row where the wall is read at the floor 41 units below the eye (nearer than the wall),
    # but nearer than the floor 200 units below.
    floors = [floor_depth(room.shape, 90.0, eye)[:, 5] for eye in (41.0, 200.0)]
    row = int(np.nonzero((floors[0] < 0.9 * 400.0) & (floors[1] > 1.1 * 400.0))[0][0])
    plain = {name: preview.depth_image(depths[name]).astype(np.float32) for name in ("default", "high eye")}
    tinted = (1 - FLOOR_TINT) * plain["default"][row, 5] + FLOOR_TINT * FLOOR_COLOUR
    assert np.abs(images["default"][row, 5] - tinted).max() <= 1
    assert np.array_equal(images["high eye"][row, 5], plain["high eye"][row, 5])
    assert images["default"][row, 5][2] > images["default"][row, 5][0] + 60          # cyan, no colour of the map
    preview._parallax_of = None


def test_the_legend_runs_from_near_to_far():
    ramp = PicturePreview.colour_ramp(120, 8)
    assert ramp.shape == (8, 120, 3) and ramp.dtype == np.uint8
    assert (ramp == ramp[:1]).all()
    assert tuple(ramp[0, 0]) == tuple(COLOURS[-1]) and tuple(ramp[0, -1]) == tuple(COLOURS[0])    # near, far
    assert (np.diff(ramp[0].astype(int).sum(axis=1)) <= 0).all()                                # brighter nearer
    # The map's colours are the legend's: the nearest pixel's its left end, the farthest its right.
    depth = np.tile(np.linspace(50, 400, 120, dtype=np.float32), (8, 1))
    image = PicturePreview.depth_image(depth)
    assert tuple(image[0, 0]) == tuple(ramp[0, 0]) and tuple(image[0, -1]) == tuple(ramp[0, -1])


def test_a_scene_carries_the_painted_depth_into_play(preview, memory_pack, tmp_path):
    """The scene Play writes for a painted reading: the picture as play draws it, the depth play reads from
    it times the brush's work, the settings; a session started from it plays that depth."""
    from engine.runtime import WorldSession

    picture = load_prompt(PICTURE, (1280, 960))
    settings = PictureSettings(relief=1.5, eye_height=60.0)
    width, height = preview.depth_size
    edit = DepthEdit((height, width))
    edit.begin(NEARER)
    edit.paint((width // 2 + 0.5) / width, (height // 2 + 0.5) / height, 0.2)      # centred on a grid pixel
    edit.end()
    save_scene(tmp_path / "painted.dwscene", preview.scene(picture, settings, edit, source="doom-map01.png"))
    scene = open_scene(tmp_path / "painted.dwscene")
    read = read_picture_depth(preview.depth(picture), picture, settings, preview.far)
    assert scene.world == read_pack_manifest(memory_pack)["name"] and scene.source == "doom-map01.png"
    assert scene.settings == settings_dict(settings) and np.array_equal(scene.picture, picture)
    assert scene.depth[height // 2, width // 2] == pytest.approx(NEARER * read[height // 2, width // 2], rel=1e-3)
    assert np.array_equal(scene.depth, edit.apply(read, preview.far))
    assert scene.depth[0, 0] == read[0, 0]                               # beyond the brush: as read
    with WorldSession.open(memory_pack, device="cpu") as world:
        world.start_scene(scene)
        assert np.array_equal(world.scene().depth, scene.depth)


def test_a_world_without_depth_has_no_preview(tiny_pack):
    with pytest.raises(DreamwalkError) as raised:
        PicturePreview(tiny_pack)
    assert str(raised.value) == NO_DEPTH == "this world has no depth network: no depth preview"


def test_the_preview_is_quick_enough_to_follow_the_controls(preview, picture):
    """Under 60 ms a view at 320x240 (about 10 ms measured on a shared 2-core CPU)."""
    preview.parallax(picture, PictureSettings(depth_scale=1.5), SIZE, frames=4)        # warm up
    started = time.perf_counter()
    frames = preview.parallax(picture, PictureSettings(depth_scale=0.7), SIZE, frames=24)
    per_frame = (time.perf_counter() - started) / len(frames)
    assert per_frame < 0.060, f"{1000 * per_frame:.1f} ms a frame"
