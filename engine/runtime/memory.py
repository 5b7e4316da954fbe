"""The world memory at play (packs with a ``depth`` graph and a ``memory`` entry: `dreamwalk pack memory`).

Every frame shown is lifted by its depth into a bounded world-space cache (engine.memory.PointMemory); the
camera's pose follows the actions (engine.geometry.MotionModel, with the walls the memory knows stopping
it); each new frame shows what the memory holds at the new pose, and the dream only where it holds nothing.
What the dream adds there is lifted too, so a place dreamed once stays what it was dreamed as; what was
remembered is not overwritten by the dream. The prompt enters the same way, lifted by its estimated depth
from the start pose (x, y, z, yaw, pitch) = 0.

Frames are lifted at Doom's own resolution at most (``lift_size``: 160x120 for a 4:3 display): the memory's
cost stays that of 19,200 pixels a frame whatever the window. Shown larger, with an OpenGL canvas
(engine.memory.canvas), the prompt is drawn at its own resolution over its depth for the current camera, and
the memory's and the dream's frame, upscaled, only where the picture does not reach.

Where the pack asks for it (``memory.builder``), the world builder (engine.memory.builder, at play
engine.runtime.building) continues the picture into a surround from its own pixels: lifted into the memory
as built points (below what was seen, above what was dreamed) and, with a canvas, drawn at the display size
beside the picture, so turning away from a picture shows more of the picture's world, not a dream of Doom.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.config import from_dict
from engine.geometry import DOOM_EYE_HEIGHT, MotionModel, fill_gaps, wall_points
from engine.images import AreaResize, area_resizes, bilinear_resize, nearest, to_signed, to_uint8
from engine.memory import MemoryConfig, MemoryState, PointMemory
from engine.memory.builder import (BuilderConfig, Cylinder, PictureView, PlaySizes, PlaySurround, Surround,
                                   fill_view, matching_width)
from engine.memory.panorama import PanoramaView, panorama_depth
from engine.memory.points import BUILT, DREAMED, KIND_SPAN, fit_memory
from engine.memory.canvas import Canvas, Surface, SurroundSurface, grid_triangles, picture_surface
from engine.runtime.building import REFINED_AT, PlayBuilder, SurroundJob
from engine.runtime.images import load_panorama, load_prompt
from engine.runtime.picture_settings import PictureSettings, depth_middle, read_picture_depth
from engine.runtime.providers import warn

NEAR_WALLS = 64.0              # map units around the player where remembered walls are checked
BLOCKED_MOVE = 0.5             # map units a move meant at least, to say a wall held it back (to half or less)
STILL = 1.0                    # map units from the prompt's pose within which it shows all its pixels
LIFT_PIXELS = 160 * 120        # frames are lifted into the memory at most this large (Doom's own resolution)
SURFACE_SIZE = (1280, 960)     # a prompt's own pixels are kept up to this size
MESH_QUARTER = 64              # the surround's mesh on the canvas: this many cells a quarter turn
TEXTURE_QUARTER = 640          # the surround's picture on the canvas: at most this many pixels a quarter turn
COARSE_TEXTURE_QUARTER = 160   # ... while the surround is the coarse one (in the world from the first step)
FILL_EVERY = 8                 # building as you go: a view's unbuilt pixels are built every this many frames
FILL_SHARE = 0.03              # ... where they are at least this share of the view
FILL_WIDTH = 48                # ... by PatchMatch at this many pixels across (about 10 ms on one core)
SPECKS = 0.01                  # a view this little of which is uncovered is closed from neighbours, not dreamed
SKY_DEPTH = 0.8                # of the memory's farthest depth: where a picture's sky is put (far, still remembered)


@dataclass
class PlayMemoryState:
    memory: MemoryState
    pose: np.ndarray
    step: np.ndarray
    lifted: np.ndarray
    frames: int = 0


def lift_size(frame_size: tuple[int, int], most: int = LIFT_PIXELS) -> tuple[int, int]:
    """The size frames are lifted into the memory at: the display size, or that shape within ``most`` pixels."""
    width, height = frame_size
    if width * height <= most:
        return frame_size
    scale = (most / (width * height)) ** 0.5
    return max(1, round(width * scale)), max(1, round(height * scale))


def surface_size(frame_size: tuple[int, int], most: tuple[int, int] = SURFACE_SIZE) -> tuple[int, int]:
    """The size a prompt is drawn from at play: the display's shape, as large as fits ``most``."""
    scale = min(most[0] / frame_size[0], most[1] / frame_size[1])
    return max(1, round(frame_size[0] * scale)), max(1, round(frame_size[1] * scale))


def panorama_focal(frame_size: tuple[int, int], field_of_view: float) -> float:
    """Pixels a radian a panorama is kept at for play (``load_panorama``): no finer than the picture is drawn
    at, nor than the surround's texture takes it."""
    return min(PictureView(surface_size(frame_size), field_of_view).focal, TEXTURE_QUARTER / (np.pi / 2))


def read_depth(graph: Any, picture: np.ndarray) -> np.ndarray:
    """A depth graph's reading (h, w) float32, map units, of a picture (h, w, 3) at its input size (values 0-255)."""
    tensor = to_signed(np.rint(picture)).transpose(2, 0, 1)[None]                      # (1, 3, h, w)
    return graph.run(None, {"picture": tensor})[0][0, 0].astype(np.float32)


class PlayMemory:
    def __init__(self, depth_graph: Any, manifest: dict[str, Any], frame_size: tuple[int, int],
                 model_size: tuple[int, int] | None = None, canvas: Canvas | None = None) -> None:
        """``frame_size``: what is shown (the display size), ``model_size``: the networks' frames; ``canvas``
        (engine.memory.canvas): draws the prompt's own pixels at the display size where that is larger than
        what the memory lifts (without one, the memory's render is upscaled there)."""
        settings = manifest["memory"]
        self.depth_graph = depth_graph
        self.depth_size = tuple(settings["depth_size"])                 # (width, height) the network reads
        self.frame_size = frame_size
        self.model_size = model_size or frame_size
        self.lift_size = lift_size(frame_size)
        self.to_depth = AreaResize(self.lift_size, self.depth_size)
        self.to_model = AreaResize(self.lift_size, self.model_size)
        self.canvas = canvas if self.lift_size != frame_size else None
        self.motion = MotionModel(np.asarray(settings["motion"]))
        self.base_config = from_dict(MemoryConfig, settings["config"])
        self.memory = PointMemory(self.base_config)
        self.pose = np.zeros(5)
        self.step_taken = np.zeros(2)
        self.lifted = np.zeros((*self.lift_size[::-1], 3), np.uint8)   # the last frame at the lift size
        self.settings = PictureSettings()
        self.prompt_depth = np.zeros(self.depth_size[::-1], np.float32)
        self._drawn: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None   # the last render: clock, pose
        self.builder = PlayBuilder(from_dict(BuilderConfig, settings["builder"])) if settings.get("builder") else None
        self._job: SurroundJob | None = None
        self._picture_surface: Surface | None = None
        self.frames = 0                                       # frames since the prompt (the builder's clock)
        self._picture: np.ndarray | None = None               # the prompt at its own resolution
        self._panorama: tuple[np.ndarray, PanoramaView] | None = None      # a panorama prompt, whole
        self._built_at = -1                                   # the frame the view was last built as you go
        self._palette: tuple[np.ndarray, np.ndarray] | None = None     # the prompt's colour mean and spread
        self.surround_stage = ""                              # "", "coarse" or "refined": what is in the world

    def estimate_depth(self, frame: np.ndarray) -> np.ndarray:
        """Depth (h, w) of a frame (h, w, 3) uint8 at the lift size, from the pack's depth graph at its own size."""
        return self.depth_at(self.to_depth(frame), frame.shape[:2]) * np.float32(self.settings.depth_scale)

    def depth_at(self, picture: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
        """The depth graph's reading of a picture at its input size (float values 0-255), at ``shape`` (rows,
        columns: nearest) or its own size."""
        depth = read_depth(self.depth_graph, picture)
        return depth if shape is None else nearest(depth, shape)

    # The session's view of the world (engine.runtime.view.WorldView).

    def begin(self, image: Any, prompt: np.ndarray, settings: PictureSettings | None,
              depth: np.ndarray | None) -> np.ndarray:
        """``start`` from the prompt image as given, read at its own resolution (up to SURFACE_SIZE); a
        panorama seen ahead, and with the builder, kept whole to build the world round it from."""
        reading = settings or PictureSettings()
        field_of_view, span = reading.field_of_view, reading.panorama_span
        picture = load_prompt(image, surface_size(self.frame_size), field_of_view, span)
        panorama = (load_panorama(image, field_of_view, panorama_focal(self.frame_size, field_of_view), span)
                    if self.builder is not None else None)
        return self.start(picture, settings, depth, panorama)

    @property
    def camera(self) -> np.ndarray | None:
        return self.pose.copy()

    def covers(self) -> bool:
        return not self.needs_dream()

    def observed(self) -> np.ndarray | None:
        return self.model_frame()

    def picture(self) -> np.ndarray:
        """The prompt as a scene keeps it: the picture at its own resolution, or a panorama whole."""
        return self._picture if self._panorama is None else self._panorama[0]

    def kept(self) -> tuple[np.ndarray | None, np.ndarray, Any]:
        return self.prompt_depth.copy(), self.pose.copy(), self.memory.snapshot()

    def start(self, picture: np.ndarray, settings: PictureSettings | None = None,
              depth: np.ndarray | None = None, panorama: tuple[np.ndarray, PanoramaView] | None = None) -> np.ndarray:
        """An empty memory, the camera at the start pose, and the prompt lifted into it: ``picture`` (H, W, 3)
        uint8 at any size (its own resolution: the canvas draws it as it is), read with ``settings``, its depth
        (h, w) estimated by the pack's depth graph unless given. ``panorama``: the picture is the first view of
        this one (engine.memory.panorama), which the builder lays round the camera whole. Returns the picture
        at the display size."""
        self.settings, self._picture, self._panorama = settings or PictureSettings(), picture, panorama
        config = replace(self.base_config, field_of_view=self.settings.field_of_view)
        if self.builder is not None:         # room for the surround beside what the memory holds, and its points
            # seen near the view's edges (a pixel half as wide as at the centre) or from nearer, closed up
            config = replace(config, capacity=config.capacity + self._surround_points(config.field_of_view),
                             fill_rounds=max(config.fill_rounds, 2), coarse_levels=max(config.coarse_levels, 2))
        self.memory = PointMemory(config)
        self.pose, self.step_taken, self._drawn, self._blocked = np.zeros(5), np.zeros(2), None, False
        for_depth, lifted, shown = area_resizes(picture, [self.depth_size, self.lift_size, self.frame_size])
        read = depth is None or panorama is not None
        read_depth = self.depth_at(for_depth) if read else None
        if depth is None:
            depth = read_picture_depth(read_depth, picture, self.settings, SKY_DEPTH * config.max_depth)
        self.prompt_depth = depth.astype(np.float32)
        self.lifted = to_uint8(lifted)
        self.memory.add(self.lifted, nearest(self.prompt_depth, self.lifted.shape[:2]), self.pose)
        self.frames, self.surround_stage, self._built_at = 0, "", -1
        # With the builder the world is the picture's: what is dreamed takes the picture's palette first.
        self._palette = None if self.builder is None else colour_statistics(self.lifted)
        if self.canvas is not None:
            self._picture_surface = picture_surface(picture, self.prompt_depth, self.pose, config.field_of_view)
            self.canvas.set_surface(self._picture_surface)
        if self.builder is not None:
            lift_quarter = matching_width(self.lift_size[0], config.field_of_view)
            texture_quarter = matching_width(picture.shape[1], config.field_of_view) if self.canvas is not None else 0
            sizes = [PlaySizes(lift_quarter, min(most, texture_quarter), MESH_QUARTER if texture_quarter else 0)
                     for most in (COARSE_TEXTURE_QUARTER, TEXTURE_QUARTER)]
            if panorama is None:
                self._job = self.builder.start(picture, self.lifted, self.prompt_depth, self.settings.eye_height,
                                               config.field_of_view, *sizes)
            else:
                self._job = self._start_panorama(*panorama, picture.shape[1::-1], depth_middle(read_depth), sizes)
        return to_uint8(shown)

    def _start_panorama(self, whole: np.ndarray, view: PanoramaView, front: tuple[int, int], middle: float,
                        sizes: list[PlaySizes]) -> SurroundJob:
        """The builder asked for the surround of a panorama (``whole``, lying round the camera as ``view``
        says) whose first view, ``front`` (width, height), the prompt is: the panorama at the lift scale
        and its depth, read in views round it as the prompt's is (its middle at the prompt's, ``middle``)."""
        field_of_view = self.settings.field_of_view
        view = view.at(whole.shape[1::-1])

        def scaled(focal: float) -> tuple[int, int]:
            scale = min(1.0, focal / view.focal)
            return max(2, round(whole.shape[1] * scale)), max(2, round(whole.shape[0] * scale))

        lifted = to_uint8(area_resizes(whole, [scaled(PictureView(self.lift_size, field_of_view).focal)])[0])
        far = SKY_DEPTH * self.memory.config.max_depth

        def read(view_picture: np.ndarray) -> np.ndarray:
            raw = self.depth_at(view_picture.astype(np.float32))
            return read_picture_depth(raw, view_picture, self.settings, far, middle)

        depth = panorama_depth(whole, view, scaled(PictureView(self.depth_size, field_of_view).focal),
                               field_of_view, self.depth_size, read)
        return self.builder.start(whole, lifted, depth, self.settings.eye_height, field_of_view, *sizes,
                                  panorama=view, front=front)

    def _build(self, surround: PlaySurround, stage: str) -> None:
        """Put a surround into the world in place of any before it: lifted into the memory as built points
        and, with a canvas, drawn beside the picture."""
        if self.surround_stage == stage:
            return
        points, config = surround.points, self.memory.config
        kept = points.built & (points.distance > 0) & (points.distance < config.max_depth)
        self.memory.forget(BUILT)
        self.memory.add_points(points.points(np.zeros(5))[kept].astype(np.float32), points.colour[kept],
                               points.footprints()[kept], kind=BUILT)
        self._drawn, self.surround_stage = None, stage
        if self.canvas is not None and self._picture_surface is not None and surround.texture is not None:
            self.canvas.set_surfaces([self._picture_surface, surround_surface(surround.texture, surround.mesh)])

    def _surround_points(self, field_of_view: float) -> int:
        cylinder = Cylinder(matching_width(self.lift_size[0], field_of_view))
        return cylinder.rows * cylinder.columns

    @property
    def surround_timings(self) -> dict[str, float]:
        """Seconds the builder took for this prompt: ``coarse`` and ``refined`` (solving each, in the worker
        while the world starts and plays), ``coarse waited`` (by the first step) and ``waited`` (by the frame
        that took the refined one in; 0 where it was ready)."""
        return {} if self._job is None else dict(self._job.timings)

    def _keep_building(self) -> None:
        """The builder's schedule, by frame (each surround waited for): none at the prompt, the coarse one from
        the first step, the refined one from ``REFINED_AT``."""
        if self._job is None:
            return
        if self.frames >= REFINED_AT:
            self._build(self.builder.refined(self._job), "refined")
        elif self.frames >= 1:
            self._build(self.builder.coarse(self._job), "coarse")
        elif self.surround_stage:                     # back at the prompt (its memory restored without it)
            self.surround_stage = ""
            if self.canvas is not None and self._picture_surface is not None:
                self.canvas.set_surface(self._picture_surface)

    def resume(self, memory: MemoryState, pose: np.ndarray, frames: int = 0) -> np.ndarray:
        """Go on from a memory kept in a scene ``frames`` after its prompt, the camera at ``pose`` (after
        ``start`` with the scene's picture): returns the view there at the display size, gaps filled from
        their neighbours."""
        self.frames, self._built_at = frames, -1
        self._keep_building()
        capacity = self.memory.config.capacity
        if memory.count > capacity:
            warn(f"this scene remembers {memory.count:,} points, more than this world's memory holds "
                 f"({capacity:,}): the farthest from where it was kept are left out")
            memory = fit_memory(memory, capacity, pose)
        self.memory.restore(memory)
        self._drawn = None
        self.pose, self.step_taken = np.asarray(pose, np.float64).copy(), np.zeros(2)
        remembered, covered, _ = self.memory.render(self.pose, self.lift_size)
        self.lifted = fill_gaps(remembered[None], ~covered[None])[0] if covered.any() else remembered
        return self._display()

    def advance(self, raw_action: np.ndarray) -> np.ndarray:
        """The camera's pose after the raw action (12,): its motion, stopped by walls seen nearby, and by walls
        built nearby while it moves away from the start (the builder's walls hold the picture's world in:
        walking out through them would leave it for a void; they never stop the way back, where a guess of
        the builder's would trap the player). What was only dreamed does not stop it: the depth read from a
        dream is not a wall to trust."""
        self.frames += 1
        self._keep_building()                          # the surround this frame plays in, walls and all
        memory = self.memory
        held = memory.positions[: len(memory)]
        x, y = np.float32(self.pose[0]), np.float32(self.pose[1])
        around = (np.abs(held[:, 0] - x) < NEAR_WALLS) & (np.abs(held[:, 1] - y) < NEAR_WALLS)
        age = memory.clock - memory.stamps[: len(memory)]
        floor = self.pose[2] + DOOM_EYE_HEIGHT - self.settings.eye_height     # the eye is eye height above it
        seen = wall_points(held[around & (age < KIND_SPAN // 2)], floor)
        free, free_step = self.motion.step(self.pose, self.step_taken, raw_action, None)
        pose, step = (self.motion.step(self.pose, self.step_taken, raw_action, seen) if len(seen)
                      else (free, free_step))
        if self.builder is not None and np.hypot(*pose[:2]) > np.hypot(*self.pose[:2]):
            walls = wall_points(held[around & (age < BUILT + KIND_SPAN // 2)], floor)
            pose, step = (self.motion.step(self.pose, self.step_taken, raw_action, walls) if len(walls)
                          else (free, free_step))
        meant, went = np.hypot(*(free[:2] - self.pose[:2])), np.hypot(*(pose[:2] - self.pose[:2]))
        self._blocked = meant > BLOCKED_MOVE and went < meant / 2
        self.pose, self.step_taken = pose, step
        return self.pose

    def blocked(self) -> bool:
        return self._blocked

    def guess(self) -> np.ndarray:
        """What the memory shows at the current pose, the last frame where it holds nothing, at the networks'
        size (uint8): what a world trained on memory anchors (engine.training.memory_anchors) dreams the
        next frame as a change from."""
        remembered, covered = self._render()
        return to_uint8(self.to_model(np.where(covered[..., None], remembered, self.lifted)))

    def _render(self) -> tuple[np.ndarray, np.ndarray]:
        """The memory at the current pose at the lift size and what it covers, drawn once for the pose and
        what the memory holds."""
        remembered, kinds, _ = self._render_kinds()
        return remembered, kinds >= 0

    def _render_kinds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        drawn = self._drawn
        if drawn is None or drawn[0] != self.memory.clock or not np.array_equal(drawn[1], self.pose):
            self._drawn = drawn = (self.memory.clock, self.pose.copy(), *self.memory.render_kinds(self.pose,
                                                                                                self.lift_size))
        return drawn[2], drawn[3], drawn[4]

    def _build_as_you_go(self) -> None:
        """Every ``FILL_EVERY`` frames, what the view shows that was never seen or built (the dream's pixels,
        or nothing) built from the view's own seen and built pixels and lifted as built points: the dream
        fills a place opened by walking only until then."""
        if self.builder is None or self.frames % FILL_EVERY or self._built_at == self.frames:
            return
        self._built_at = self.frames
        remembered, kinds, depth = self._render_kinds()
        holes = (kinds < 0) | (kinds == 2)
        if holes.mean() < FILL_SHARE:
            return
        filled = fill_view(remembered, depth, holes, self.builder.config, FILL_WIDTH)
        if filled is not None:
            colour, filled_depth = filled
            self.memory.add(colour, filled_depth, self.pose, keep=holes & (filled_depth > 0), kind=BUILT)

    def needs_dream(self) -> bool:
        """Whether the view at the current pose has pixels neither remembered nor built (after this frame's
        building): only then does ``show`` need the dream (a world whose builder covers the view skips
        decoding it)."""
        self._build_as_you_go()
        return not self._covered()

    def _covered(self) -> bool:
        """Whether the view at the current pose is covered (with the builder: but for specks under
        ``SPECKS`` of it, which neighbouring pixels close)."""
        covered = self._render()[1]
        return bool(covered.all() or (self.builder is not None and 1 - covered.mean() < SPECKS))

    def show(self, dreamed: np.ndarray | None) -> np.ndarray:
        """The frame at the current pose at the display size, from the dream (any size, uint8; None where
        ``needs_dream`` said so): the memory where it holds something, the dream elsewhere; the dream's
        part is lifted into the memory. With a canvas, the prompt's own pixels over that, at the display
        size."""
        self._build_as_you_go()
        remembered, covered = self._render()
        if self._covered():
            self.lifted = remembered if covered.all() else fill_gaps(remembered[None], ~covered[None])[0]
            return self._display()
        if dreamed is None:
            raise ValueError("the view has pixels only the dream can fill: pass the dreamed frame")
        dreamed = bilinear_resize(dreamed, self.lift_size)
        if self._palette is not None:
            dreamed = match_colours(dreamed, self._palette)
        self.lifted = np.where(covered[..., None], remembered, dreamed)
        self.memory.add(self.lifted, self.estimate_depth(self.lifted), self.pose, keep=~covered, kind=DREAMED)
        return self._display()

    def _display(self) -> np.ndarray:
        if self.canvas is None:
            return bilinear_resize(self.lifted, self.frame_size)
        still = bool(np.hypot(*self.pose[:2]) < STILL and abs(self.pose[2]) < STILL)    # where the prompt was seen
        picture, drawn = self.canvas.render(self.pose, self.frame_size, self.memory.config.field_of_view,
                                            stretched=still)
        if drawn.all():                                    # the picture fills the view: nothing to upscale
            return picture.copy()
        return np.where(drawn[..., None], picture, bilinear_resize(self.lifted, self.frame_size))

    def model_frame(self) -> np.ndarray:
        """The last frame shown, at the networks' size (area averaged from the lift size), uint8."""
        return to_uint8(self.to_model(self.lifted))

    def close(self) -> None:
        if self.canvas is not None:
            self.canvas.close()
            self.canvas = None
        if self.builder is not None:
            self.builder.close()

    def snapshot(self) -> PlayMemoryState:
        return PlayMemoryState(self.memory.snapshot(), self.pose.copy(), self.step_taken.copy(), self.lifted.copy(),
                               self.frames)

    def restore(self, state: PlayMemoryState) -> None:
        """Back to a moment: the memory as it was then, and the surround of that moment on the canvas."""
        self.frames, self._built_at = state.frames, -1
        self._keep_building()                          # the surround of that frame: none, coarse or refined
        self.memory.restore(state.memory)
        self._drawn = None
        self.pose, self.step_taken, self.lifted = state.pose.copy(), state.step.copy(), state.lifted.copy()


def colour_statistics(picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each colour channel of a picture (H, W, 3)."""
    pixels = picture.reshape(-1, 3).astype(np.float32)
    return pixels.mean(0), pixels.std(0)


def match_colours(frame: np.ndarray, palette: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """A frame (H, W, 3) uint8 with each channel's mean and spread moved to ``palette``'s (Reinhard et al.
    2001's transfer, per RGB channel): a Doom-coloured dream of a painting's world in the painting's colours."""
    mean, spread = colour_statistics(frame)
    target_mean, target_spread = palette
    scaled = (frame.astype(np.float32) - mean) * (target_spread / np.maximum(spread, 1.0)) + target_mean
    return to_uint8(scaled)


def surround_surface(texture: Surround, mesh: Surround) -> SurroundSurface:
    """The canvas's mesh of a surround's built part: ``mesh`` (distances per corner) coarser than its picture
    (``texture``, any size), triangles only over built cells."""
    cylinder = mesh.cylinder
    positions = mesh.points(np.zeros(5), corners=True).reshape(-1, 3).astype(np.float32)
    columns, rows = np.meshgrid(np.arange(cylinder.columns + 1) / cylinder.columns,
                                np.arange(cylinder.rows + 1) / cylinder.rows)
    uvs = np.stack([columns, rows], -1).reshape(-1, 2).astype(np.float32)
    whole, stretched = grid_triangles(cylinder.rows, cylinder.columns, mesh.built, mesh.distance)
    return SurroundSurface(positions, uvs, whole, stretched, np.ascontiguousarray(texture.colour))
