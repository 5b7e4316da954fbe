"""The world builder: a picture continued into a surround from its own pixels, in the memory at play."""

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.actions import KEYS
from engine.evaluation.metrics import sharpness
from engine.memory import MemoryConfig
from engine.memory.builder import BuilderConfig, Cylinder, PictureView, build_surround, solve_surround
from engine.memory.points import BUILT, SEEN
from engine.runtime import building
from engine.runtime.memory import PlayMemory

PROMPTS = Path(__file__).resolve().parents[1] / "assets" / "prompts"
DREAM = np.array([255, 0, 255], np.uint8)       # a colour no bundled picture has: what the dream filled


def painting(name: str = "other-painted-castle.png") -> np.ndarray:
    return np.asarray(Image.open(PROMPTS / name).convert("RGB"))


class FloorDepth:
    """A depth graph's stand-in: a floor 41 units below the eye, the rest 600 units away."""

    def run(self, _outputs, feeds):
        height, width = feeds["picture"].shape[2:]
        below = np.arange(height)[:, None] + 0.5 - height / 2
        depth = np.where(below > 1, 41 * (width / 2) / np.maximum(below, 1e-3), 600.0)
        return [np.broadcast_to(depth, (1, 1, height, width)).astype(np.float32)]


def play_memory(size=(160, 120), builder=True):
    manifest = {"memory": {"depth_size": [64, 48], "motion": np.zeros((10, 2)).tolist(),
                           "config": asdict(MemoryConfig()), "builder": asdict(BuilderConfig()) if builder else None}}
    canvas = None
    if size != (160, 120):
        from engine.memory.canvas import Canvas

        canvas, why = Canvas.create()
        if canvas is None:
            pytest.skip(why)
    return PlayMemory(FloorDepth(), manifest, size, (64, 48), canvas)


def turn(memory, degrees: float, frames: int) -> list[np.ndarray]:
    action = np.zeros(len(KEYS), np.float32)
    action[KEYS.index("turn")] = degrees
    shown = []
    for _ in range(frames):
        memory.advance(action)
        shown.append(memory.show(np.broadcast_to(DREAM, (48, 64, 3)).copy()))
    return shown


def dreamed_share(memory: PlayMemory) -> float:
    """The share of the view at the memory's pose that shows neither what was seen nor what was built."""
    _, kinds, _ = memory.memory.render_kinds(memory.pose, memory.lift_size)
    return float(((kinds < 0) | (kinds == 2)).mean())


def turn_shares(memory, degrees: float, frames: int) -> tuple[list[np.ndarray], list[float]]:
    shown, shares = [], []
    for _ in range(frames):
        shown += turn(memory, degrees, 1)
        shares.append(dreamed_share(memory))
    return shown, shares


def test_the_surround_is_the_pictures_own_pixels_sky_above_and_closed_round():
    picture = painting()
    config = BuilderConfig()
    coarse = solve_surround(picture, PictureView(picture.shape[1::-1], 90.0), config.coarse_width, config)
    surround = build_surround(coarse, picture, np.full((48, 64), 100.0, np.float32), 48, eye_height=41.0)
    assert 0.85 < surround.built.mean() < 0.95                     # all but the picture's own part is built
    colours = {tuple(c) for c in picture.reshape(-1, 3)}
    built = surround.colour[surround.built]
    assert all(tuple(c) in colours for c in built[:: max(1, len(built) // 2000)])   # copied, never invented
    # Up and down: the top rows are the picture's sky, the bottom rows its ground.
    sky, ground = picture[:40].reshape(-1, 3).mean(0), picture[-40:].reshape(-1, 3).mean(0)
    top, bottom = surround.colour[:10].reshape(-1, 3).mean(0), surround.colour[-10:].reshape(-1, 3).mean(0)
    assert np.abs(top - sky).sum() < np.abs(top - ground).sum() and np.abs(bottom - ground).sum() < np.abs(bottom - sky).sum()
    # Where the cylinder closes, neighbouring columns differ no more than neighbours anywhere else do.
    steps = np.abs(np.diff(surround.colour.astype(float), axis=1)).mean(axis=(0, 2))
    closing = np.abs(surround.colour[:, -1].astype(float) - surround.colour[:, 0]).mean()
    assert closing < 4 * np.median(steps) + 8


def test_a_correspondence_applies_at_any_size_as_sharp_as_the_picture():
    picture = painting("other-pencil-sketch.png")
    config = BuilderConfig()
    coarse = solve_surround(picture, PictureView(picture.shape[1::-1], 90.0), config.coarse_width, config)
    depth = np.full((48, 64), 100.0, np.float32)
    large = build_surround(coarse, picture, depth, 320, eye_height=41.0)       # 10x the solve's own size
    half_turn = large.colour[large.cylinder.horizon - 90:large.cylinder.horizon + 90, :240]
    own = np.asarray(Image.fromarray(picture).resize((240, 180), Image.BOX))
    assert sharpness(half_turn[None])[0] > 0.75 * sharpness(own[None])[0]
    # The refined solve, started from the coarse one, lands on the same cylinder at any size.
    refined = solve_surround(picture, PictureView(picture.shape[1::-1], 90.0), config.width, config, coarse)
    assert refined.cylinder == Cylinder(config.width)
    assert build_surround(refined, picture, depth, 320, 41.0).colour.shape == large.colour.shape


def test_turning_from_a_painting_shows_the_surround_not_the_dream():
    memory = play_memory()
    memory.start(painting())                        # the prompt's frame: solved beside it, taken at the first step
    assert memory.surround_stage == "" and set(np.unique(memory.memory.kinds())) == {SEEN}
    shown, shares = turn_shares(memory, 9.0, building.REFINED_AT)  # more than a whole turn, refined at its end
    assert memory.surround_stage == "refined"
    assert max(shares) < 0.005
    half = shown[19]                                               # half a turn away: the picture's own colours
    assert np.abs(half.reshape(-1, 3).mean(0) - painting().reshape(-1, 3).mean(0)).max() < 40
    memory.close()


def test_without_the_builder_the_unseen_is_dreamed():
    memory = play_memory(builder=False)
    memory.start(painting())
    turn(memory, 9.0, 20)
    assert dreamed_share(memory) > 0.9
    memory.close()


def test_the_surround_enters_at_a_fixed_frame_with_or_without_the_worker(monkeypatch):
    """Frames depend on the picture and the actions only: the refinement solved by the worker and in the
    player itself give the same frames, and going back before it brings the coarse surround back."""
    with_worker = play_memory()
    with_worker.start(painting("other-photo-courtyard.jpg"))
    at_prompt = with_worker.snapshot()                    # before the first step: no surround in the world yet
    before = turn(with_worker, 6.0, 10)
    state = with_worker.snapshot()
    after = turn(with_worker, 6.0, building.REFINED_AT)
    assert with_worker.surround_stage == "refined"
    with_worker.restore(state)
    assert with_worker.surround_stage == "coarse"
    again = turn(with_worker, 6.0, building.REFINED_AT)
    assert all(np.array_equal(a, b) for a, b in zip(after, again))
    with_worker.restore(at_prompt)
    assert with_worker.surround_stage == ""
    assert all(np.array_equal(a, b) for a, b in zip(before, turn(with_worker, 6.0, 10)))
    with_worker.close()

    monkeypatch.setattr(building, "worker_command", lambda: ["/nonexistent/python"])
    alone = play_memory()
    assert alone.builder._worker is None
    alone.start(painting("other-photo-courtyard.jpg"))
    assert all(np.array_equal(a, b) for a, b in zip(before + after, turn(alone, 6.0, 10 + building.REFINED_AT)))
    alone.close()


def test_the_canvas_draws_the_surround_at_the_display_size():
    memory = play_memory((640, 480))
    memory.start(painting())
    shown = turn(memory, 9.0, 60)[-1]               # half a turn (and a whole one): only the refined surround
    assert memory.surround_stage == "refined" and 60 > building.REFINED_AT
    assert dreamed_share(memory) < 0.005
    lifted = np.asarray(Image.fromarray(memory.lifted).resize((640, 480), Image.BILINEAR))
    assert sharpness(shown[None])[0] > 1.2 * sharpness(lifted[None])[0]    # drawn, not the lift upscaled
    assert sharpness(shown[None])[0] > 0.75 * sharpness(painting()[None])[0]   # as sharp as the picture
    memory.close()


@pytest.mark.timeout(180)
def test_prompts_left_before_their_surround_is_refined_hold_nothing_up():
    """A prompt left before its refinement was taken in (its answer never read) neither blocks the next
    prompt's nor delays it: the worker starts afresh."""
    memory = play_memory()
    for name in ("other-pencil-sketch.png", "other-photo-courtyard.jpg", "doom-map01.png"):
        memory.start(painting(name))
        turn(memory, 9.0, 5)
    memory.start(painting())
    turn(memory, 9.0, building.REFINED_AT)
    assert memory.surround_stage == "refined" and memory.builder._worker is not None
    assert set(memory.surround_timings) == {"coarse", "coarse waited", "refined", "waited"}
    memory.close()


class PillarDepth(FloorDepth):
    """As FloorDepth, with a pillar 60 units away across the middle fifth of the picture."""

    def run(self, outputs, feeds):
        depth = super().run(outputs, feeds)[0].copy()
        width = depth.shape[-1]
        depth[..., width * 2 // 5: width * 3 // 5] = 60.0
        return [depth]


def test_what_walking_opens_up_is_built_from_the_view_within_a_few_frames(monkeypatch):
    """Stepping aside opens up what the pillar hid; the builder fills it from the view's own pixels every
    FILL_EVERY frames, so the dream shows there only until then (without building it stays the dream's)."""
    from engine.runtime import memory as runtime_memory

    weights = np.zeros((10, 2))
    weights[KEYS.index("right") - KEYS.index("forward") + 2] = [0.0, 6.0]      # strafing right: 6 units a frame
    shares, every = {}, runtime_memory.FILL_EVERY
    for fill_every in (every, 10**9):
        monkeypatch.setattr(runtime_memory, "FILL_EVERY", fill_every)
        manifest = {"memory": {"depth_size": [64, 48], "motion": weights.tolist(), "config": asdict(MemoryConfig()),
                               "builder": asdict(BuilderConfig())}}
        memory = PlayMemory(PillarDepth(), manifest, (160, 120), (64, 48), None)
        memory.start(painting())
        action = np.zeros(len(KEYS), np.float32)
        action[KEYS.index("right")] = 1
        shares[fill_every] = []
        for _ in range(24):
            memory.advance(action)
            memory.show(np.broadcast_to(DREAM, (48, 64, 3)).copy())
            shares[fill_every].append(dreamed_share(memory))
        assert memory.pose[1] < -30                   # it moved aside (until a built copy of the pillar stopped it)
        memory.close()
    built, dreamed = shares[every], shares[10**9]
    assert dreamed[-1] > 0.05                                         # the pillar hid that much
    assert built[-1] < 0.02 and np.mean(built) < 0.6 * np.mean(dreamed)


def test_a_scene_remembering_more_than_the_world_holds_is_thinned_to_fit(capsys):
    """A scene's memory from a world whose memory holds more: the points nearest to where it was kept stay,
    one line says so, nothing crashes."""
    from engine.memory import PointMemory

    manifest = {"memory": {"depth_size": [64, 48], "motion": np.zeros((10, 2)).tolist(),
                           "config": asdict(MemoryConfig(capacity=20_000)), "builder": None}}
    memory = PlayMemory(FloorDepth(), manifest, (160, 120), (64, 48), None)
    memory.start(painting())
    larger = PointMemory(MemoryConfig(capacity=40_000))
    wall = np.full((120, 160), 100.0, np.float32)
    near, far = np.array([0.0, 0.0, 0.0, 0.0, 0.0]), np.array([5000.0, 0.0, 0.0, 0.0, 0.0])
    larger.add(np.full((120, 160, 3), 200, np.uint8), wall, near)
    larger.add(np.full((120, 160, 3), 50, np.uint8), wall, far)
    assert len(larger) == 38_400
    memory.resume(larger.snapshot(), near, 0)
    assert len(memory.memory) == 20_000 and "more than this world's memory holds (20,000)" in capsys.readouterr().err
    held = memory.memory.positions[: len(memory.memory)]
    assert (held[:, 0] < 1000).sum() == 19_200                      # all of the near wall, the rest from the far one
    frame, covered, _ = memory.memory.render(near, (160, 120))
    assert covered.all() and (frame == 200).all()
    memory.close()
