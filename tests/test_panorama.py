"""A panorama as a prompt: laid round the camera whole (not cropped), its first view the prompt, the world
built round it from the builder only where it never reached; kept whole in scenes."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.memory.builder import BuilderConfig, Cylinder, PictureView, solve_surround
from engine.memory.panorama import FULL_TURN, PanoramaView, panorama_view, render_view
from engine.runtime.images import load_panorama, load_prompt
from engine.runtime.scene import open_scene, save_scene

WORLD = Path(__file__).resolve().parents[1] / "assets" / "worlds" / "doom.dwpack"
QUARTERS = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200], [200, 200, 40]], np.uint8)


def quarters(width: int = 2000, height: int = 300) -> np.ndarray:
    """A whole-turn panorama whose quarters are four colours: [red, green, blue, yellow] from its left edge
    (half a turn left) round to its right edge, so ahead is where blue meets green."""
    picture = np.zeros((height, width, 3), np.uint8)
    for index, colour in enumerate(QUARTERS):
        picture[:, index * width // 4:(index + 1) * width // 4] = colour
    return picture


def test_which_pictures_are_panoramas_and_how_far_round_they_reach():
    assert panorama_view((640, 480), 90.0) is None and panorama_view((1999, 1000), 90.0) is None
    whole = panorama_view((4000, 500), 90.0)                 # 8:1: a whole turn, as high as its shape says
    assert whole.whole_turn and whole.focal == pytest.approx(4000 / FULL_TURN)
    sphere = panorama_view((2000, 1000), 90.0)
    assert sphere.equirect and sphere.whole_turn
    part = panorama_view((1000, 400), 90.0)                  # as high as the view: 2.5 x 1.5 radians across
    assert not part.whole_turn and part.span == pytest.approx(2.5 * 1.5)


def test_an_artist_says_how_far_round_a_panorama_reaches(tmp_path):
    half = panorama_view((4000, 500), 90.0, span=180.0)
    assert not half.whole_turn and not half.equirect and half.span == pytest.approx(np.pi)
    sphere_as_strip = panorama_view((2000, 1000), 90.0, span=360.0)        # a span given: a cylinder that wide
    assert sphere_as_strip.whole_turn and not sphere_as_strip.equirect
    assert panorama_view((640, 480), 90.0, span=180.0) is None           # a view stays a view
    path = tmp_path / "strip.png"
    Image.fromarray(quarters(4000, 500)).save(path)
    assert load_panorama(path, 90.0, 100.0, span=180.0)[1].span == pytest.approx(np.pi)
    # Read a quarter turn wide, the 90-degree first view is the whole strip: all four colours; read all the
    # way round, only the two either side of ahead.
    def colours(row):
        return {index for index, colour in enumerate(QUARTERS) if (np.abs(row.astype(int) - colour).max(-1) < 3).any()}

    assert colours(load_prompt(path, (64, 48), 90.0, span=90.0)[24]) == {0, 1, 2, 3}
    assert colours(load_prompt(path, (64, 48), 90.0)[24]) == {1, 2}


@pytest.mark.parametrize("view", [PanoramaView((4000, 500), FULL_TURN), PanoramaView((2000, 1000), FULL_TURN, True),
                                  PanoramaView((1000, 400), 3.75)])
def test_a_panoramas_pixels_and_directions_are_inverse(view):
    x = np.array([0.5, 250.0, 999.5]) * view.size[0] / 1000
    y = np.array([10.5, 200.0, 390.0]) * view.size[1] / 400
    azimuth, tangent = view.directions(x, y)
    back_x, back_y, inside = view.pixel(azimuth, tangent)
    assert np.allclose(back_x, x, atol=1e-2) and np.allclose(back_y, y, atol=1e-2) and inside.all()
    # Steeply up: above a cylindrical one; an equirectangular one reaches to straight up.
    assert view.pixel(np.array([0.0]), np.array([50.0]))[2].any() == view.equirect


def test_a_view_of_a_panorama_shows_what_lies_that_way():
    panorama = quarters()
    view = panorama_view(panorama.shape[1::-1], 90.0)
    ahead, held = render_view(panorama, view, (64, 48), 90.0)
    assert held[24].all()                                     # the horizon's row lies in it
    # A 90-degree view ahead spans from 45 degrees left (green) to 45 right (blue), meeting in the middle.
    assert np.abs(ahead[24, 2].astype(int) - QUARTERS[1]).max() < 3
    assert np.abs(ahead[24, 61].astype(int) - QUARTERS[2]).max() < 3
    behind, _ = render_view(panorama, view, (64, 48), 90.0, azimuth=np.pi)     # where the ends meet
    assert np.abs(behind[24, 2].astype(int) - QUARTERS[3]).max() < 3
    assert np.abs(behind[24, 61].astype(int) - QUARTERS[0]).max() < 3


def test_a_wide_picture_is_seen_ahead_not_cropped(tmp_path):
    path = tmp_path / "strip.png"
    Image.fromarray(quarters(4000, 500)).save(path)
    first = load_prompt(path, (160, 120))
    # Cropped to 4:3, the middle 667 of 4000 columns: only green and blue. Seen ahead at 90 degrees, a
    # quarter of the turn: the same two, but the panorama is lower than the view, so its top and bottom
    # are continued from its own pixels (no black, no other colour).
    assert first.shape == (120, 160, 3)
    assert (first.reshape(-1, 3).max(-1) >= 150).all()
    whole, view = load_panorama(path, 90.0, 100.0)
    assert view.whole_turn and whole.shape[1] == round(100.0 * FULL_TURN)
    assert load_panorama(Path(__file__).parents[1] / "assets" / "prompts" / "other-painted-castle.png", 90.0,
                         100.0) is None


def test_a_panorama_stored_turned_is_read_as_shown(tmp_path):
    """A JPEG stored a quarter turn round with an EXIF orientation: a panorama as it is shown, and its
    reduced decoding asked of the picture as stored."""
    bundled = Path(__file__).resolve().parents[1] / "assets" / "prompts" / "doom-map01-panorama.jpg"
    exif = Image.Exif()
    exif[0x0112] = 8                                          # shown after a quarter turn anticlockwise
    Image.open(bundled).transpose(Image.Transpose.ROTATE_270).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    for size in ((160, 120), (640, 480)):
        turned = load_prompt(tmp_path / "turned.jpg", size).astype(int)
        assert np.abs(turned - load_prompt(bundled, size)).mean() < 2
    assert load_panorama(tmp_path / "turned.jpg", 90.0, 100.0)[1].whole_turn


def test_the_builder_builds_only_where_a_panorama_never_reached():
    panorama = quarters(1000, 400)                           # 215 degrees across, as high as the view
    view = panorama_view(panorama.shape[1::-1], 90.0)
    config = BuilderConfig()
    solved = solve_surround(panorama, view, config.coarse_width, config, front=PictureView((4, 3), 90.0))
    cylinder = Cylinder(32)
    x, _, own = solved.picture_pixels(cylinder, panorama.shape[1::-1])
    azimuth, tangent = cylinder.directions()
    horizon = np.abs(tangent) < 0.3
    reached = np.abs(azimuth) < view.span / 2 - 0.05
    # Within its span a pixel copies the panorama straight (its own column), beyond it the panorama's pixels.
    straight = view.pixel(azimuth, tangent)[0]
    assert np.abs(x - straight)[horizon & reached].max() < 2.0
    assert ((x >= 0) & (x < 1000))[horizon].all()
    # What the prompt shows itself is the first view (a quarter turn), not all the panorama.
    assert own[horizon & (np.abs(azimuth) < 0.7)].all() and not own[horizon & (np.abs(azimuth) > 0.9)].any()


def test_turning_round_a_panorama_shows_it_whole_and_a_scene_keeps_it(tmp_path):
    from engine.runtime import WorldSession

    path = tmp_path / "quarters.png"
    Image.fromarray(quarters(2400, 360)).save(path)
    Image.fromarray(load_prompt(path, (640, 480))).save(tmp_path / "first-view.png")

    def half_turn(world, prompt):
        world.reset(prompt)
        frames = [world.step({}) for _ in range(50)]                 # the refined surround is in
        frames += [world.step({"turn": 6.0}) for _ in range(30)]     # half a turn right
        return frames

    with WorldSession.open(WORLD, device="cpu", display_size=(160, 120)) as world:
        frames = half_turn(world, path)
        scene = tmp_path / "kept.dwscene"
        save_scene(scene, world.scene())
        after = [world.step({"turn": -3.0}) for _ in range(10)]
        behind = frames[-1][40:80, 60:100].reshape(-1, 3).astype(int)
        # Half a turn from ahead is where the panorama's ends meet: red and yellow, as the panorama has it.
        seen = {tuple(colour) for colour in QUARTERS[[0, 3]]}
        near = [min(np.abs(pixel - np.array(colour)).max() for colour in seen) for pixel in behind]
        assert np.mean(np.array(near) < 40) > 0.9
        # From its first view alone (a 4:3 picture), the builder can only continue green and blue there.
        alone = half_turn(world, tmp_path / "first-view.png")[-1][40:80, 60:100].reshape(-1, 3).astype(int)
        assert not (np.abs(alone - QUARTERS[0]).max(-1) < 40).any()
        assert not (np.abs(alone - QUARTERS[3]).max(-1) < 40).any()

        kept = open_scene(scene)
        assert kept.picture.shape[1] > 2 * kept.picture.shape[0]       # the panorama whole, not its first view
        world.start_scene(kept)
        again = [world.step({"turn": -3.0}) for _ in range(10)]
    assert all(np.array_equal(a, b) for a, b in zip(after, again))
