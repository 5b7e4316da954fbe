"""How a world reads a picture as a place, before playing it (worlds with a depth network): the depth the
world plays (its network's reading through the artist's settings: engine.runtime.picture_settings), drawn as a
colour map with the floor at the eye height tinted, and the picture lifted by that depth into a world memory
and seen from a camera swaying beside the start pose, so that an artist sees near things move against far
ones and can adjust the reading before pressing Play.

    preview = PicturePreview("worlds/doom-memory.dwpack")
    depth = preview.read(picture, PictureSettings(relief=2.0))       # (h, w) float32, map units
    image = preview.depth_image(depth, floor_depth(depth.shape, 90.0, 41.0))
    frames = preview.parallax(picture, PictureSettings(relief=2.0))

Only the pack's depth graph runs, on the CPU. The reading, lifting and rendering are play's
(read_picture_depth, engine.memory.PointMemory), so what the preview shows from the start pose is what the
player shows first; an artist's brush (engine.runtime.depth_brush) multiplies the depth read here, and a scene
(``scene``) carries that depth into play.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.config import from_dict
from engine.errors import DreamwalkError
from engine.geometry import fill_gaps
from engine.images import AreaResize, bilinear_resize, nearest, to_uint8
from engine.memory import MemoryConfig, PointMemory
from engine.runtime.depth_brush import DepthEdit
from engine.runtime.memory import SKY_DEPTH, read_depth
from engine.runtime.picture_settings import PictureSettings, read_picture_depth, settings_dict
from engine.runtime.scene import Scene

NO_DEPTH = "this world has no depth network: no depth preview"
SWAY = 12.0                 # map units the camera moves to each side of the start pose
GAP_SCALE = 4               # gaps are filled at 1/4 of the view's size (fill_gaps costs ~10 ms a round at 320x240)
NEAR_PERCENTILE, FAR_PERCENTILE = 2.0, 98.0     # of nearness, what the colour map spans
# Far to near: dark violet through red and orange to pale yellow (a perceptually ordered map, as "inferno").
COLOURS = np.array([[0, 0, 4], [60, 15, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], np.float32)
FLOOR_COLOUR = np.array([40, 210, 230], np.float32)     # cyan: no colour of the map above
FLOOR_SHARE = 0.05          # of the floor's depth: a pixel read this near it is tinted as the floor
FLOOR_TINT = 0.6            # how much of a floor pixel's colour is the tint


class PicturePreview:
    """The depth graph of one world pack and the memory settings of its play, for previews of pictures."""

    def __init__(self, pack: str | Path) -> None:
        import onnxruntime

        from engine.pack import open_pack, read_pack_manifest, world_digest

        manifest = read_pack_manifest(pack)        # refused in a line before a pack is unpacked
        if "depth" not in manifest["graphs"] or "memory" not in manifest:
            raise DreamwalkError(NO_DEPTH)
        opened = open_pack(pack)
        try:
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = 1        # a small network: one core, the other for the window
            try:
                self.graph = onnxruntime.InferenceSession(str(opened.graph_path("depth")), options,
                                                          providers=["CPUExecutionProvider"])
            except Exception as error:  # onnxruntime's own exception types
                raise DreamwalkError(f"the world's depth graph does not load: {str(error).splitlines()[0]}") from error
            memory = opened.manifest["memory"]
            self.depth_size: tuple[int, int] = tuple(memory["depth_size"])      # (width, height) it reads
            self.memory_config = from_dict(MemoryConfig, memory["config"])
            self.world_name: str = opened.manifest["name"]                      # as scenes name the world
            self.world_digest, self.world_path = world_digest(opened.manifest), str(Path(pack).resolve())
            self.far = SKY_DEPTH * self.memory_config.max_depth                # where a sky is put, as at play
        finally:
            opened.close()
        self._depth_of: tuple[np.ndarray, np.ndarray] | None = None              # (picture, its depth)
        self._parallax_of: tuple[np.ndarray, tuple, list[np.ndarray]] | None = None

    def depth(self, picture: np.ndarray) -> np.ndarray:
        """The depth network's reading (h, w) float32 in map units, at its own size, of a picture (H, W, 3)
        uint8 area-resized to that size (as the player reads a prompt); the last picture's is kept."""
        if self._depth_of is not None and _same(self._depth_of[0], picture):
            return self._depth_of[1]
        depth = read_depth(self.graph, AreaResize(picture.shape[1::-1], self.depth_size)(picture))
        self._depth_of = (picture.copy(), depth)
        return depth

    def read(self, picture: np.ndarray, settings: PictureSettings | None = None,
             edit: DepthEdit | None = None) -> np.ndarray:
        """The depth (h, w) float32 the world plays for ``picture`` (H, W, 3) uint8 read with ``settings``
        (engine.runtime.picture_settings.read_picture_depth, the sky at ``far``), with a brush's ``edit``."""
        depth = read_picture_depth(self.depth(picture), picture, settings or PictureSettings(), self.far)
        return depth if edit is None else edit.apply(depth, self.far)

    def scene(self, picture: np.ndarray, settings: PictureSettings, edit: DepthEdit | None = None,
              source: str = "", whole: np.ndarray | None = None) -> Scene:
        """A scene (engine.runtime.scene) that starts this world from ``picture`` (H, W, 3) uint8, as play
        draws it, with the depth read from it as play reads it, and the brush's ``edit``; ``whole``: the
        panorama ``picture`` is the first view of, kept in its place."""
        return Scene(picture=picture if whole is None else whole, world=self.world_name, world_digest=self.world_digest,
                     world_path=self.world_path, depth=self.read(picture, settings, edit),
                     settings=settings_dict(settings), source=source)

    @staticmethod
    def depth_image(depth: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
        """A depth map (h, w) as a colour picture (h, w, 3) uint8: near bright and warm, far dark (COLOURS).
        Nearness (1 / depth) spans the map between its 2nd and 98th percentiles, so that a few stray pixels do
        not wash it out; pixels without depth are black. With ``floor`` (h, w: engine.memory.reading.
        floor_depth) the pixels read within FLOOR_SHARE of it are tinted FLOOR_COLOUR: where the picture's
        floor lies at the eye height."""
        known = np.isfinite(depth) & (depth > 0)
        nearness = np.where(known, 1.0 / np.where(known, depth, 1.0), 0.0)
        if known.any():
            low, high = np.percentile(nearness[known], [NEAR_PERCENTILE, FAR_PERCENTILE])
        else:
            low = high = 0.0
        share = np.clip((nearness - low) / (high - low), 0, 1) if high > low else np.full(depth.shape, 0.5)
        anchors = np.linspace(0, 1, len(COLOURS))
        image = np.stack([np.interp(share, anchors, COLOURS[:, channel]) for channel in range(3)], axis=-1)
        if floor is not None:
            on_floor = known & np.isfinite(floor) & (np.abs(depth - floor) <= FLOOR_SHARE * floor)
            image = np.where(on_floor[..., None], (1 - FLOOR_TINT) * image + FLOOR_TINT * FLOOR_COLOUR, image)
        return np.where(known[..., None], to_uint8(image), 0).astype(np.uint8)

    @staticmethod
    def colour_ramp(width: int, height: int) -> np.ndarray:
        """The depth map's colours (height, width, 3) uint8 from near (left, bright) to far (right, dark): its
        legend."""
        share = np.linspace(1, 0, width)
        anchors = np.linspace(0, 1, len(COLOURS))
        row = np.stack([np.interp(share, anchors, COLOURS[:, channel]) for channel in range(3)], axis=-1)
        return np.repeat(to_uint8(row)[None], height, axis=0)

    def parallax(self, picture: np.ndarray, settings: PictureSettings | None = None,
                 size: tuple[int, int] = (320, 240), frames: int = 24,
                 edit: DepthEdit | None = None) -> list[np.ndarray]:
        """A loop of ``frames`` views (h, w, 3) uint8 at ``size`` (width, height) of a picture (H, W, 3) uint8
        of the world's aspect, lifted by the depth the world plays (``read``: the settings and the brush's
        ``edit``) from the start pose into a world memory with the settings' field of view: the camera sways
        ``SWAY`` map units to each side and turns to keep the middle depth of the picture where it was (near
        things move one way, far ones the other, the more the nearer the place is read). The first view is
        from the start pose; gaps are filled from their neighbours. The last loop is kept for the same
        picture and reading."""
        settings = settings or PictureSettings()
        key = (tuple(settings_dict(settings).items()), tuple(size), frames,
               None if edit is None else edit.scale.tobytes())
        if self._parallax_of is not None and self._parallax_of[1] == key and _same(self._parallax_of[0], picture):
            return list(self._parallax_of[2])
        width, height = size
        shown = to_uint8(AreaResize(picture.shape[1::-1], size)(picture))                      # (h, w, 3)
        depth = self.read(picture, settings, edit)
        memory = PointMemory(replace(self.memory_config, field_of_view=settings.field_of_view))
        memory.add(shown, nearest(depth, (height, width)), np.zeros(5))           # as the player lifts a prompt
        lifted = depth[(depth > 0) & (depth < self.memory_config.max_depth)]
        middle = float(np.median(lifted)) if lifted.size else 1.0
        turn = np.degrees(np.arctan2(SWAY, middle))
        views = []
        for phase in 2 * np.pi * np.arange(frames) / frames:
            # y is to the left: moving left, the camera turns right (clockwise) to keep the middle in view.
            pose = np.array([0.0, SWAY * np.sin(phase), 0.0, -turn * np.sin(phase), 0.0])
            view, covered, _ = memory.render(pose, size)
            views.append(view if covered.all() else fill_from_coarse(view, covered))
        self._parallax_of = (picture.copy(), key, views)
        return list(views)


def fill_from_coarse(view: np.ndarray, covered: np.ndarray, scale: int = GAP_SCALE) -> np.ndarray:
    """A view (h, w, 3) uint8 whose uncovered pixels take the colour of their surroundings: the covered
    pixels averaged down ``scale`` times, their gaps filled there (fill_gaps, ring by ring: a strip the
    camera's move revealed takes ``scale`` times fewer rounds), and that brought back up (bilinear)."""
    height, width = covered.shape
    size = (max(1, width // scale), max(1, height // scale))
    down = AreaResize((width, height), size)
    weight = down(covered[..., None].astype(np.float32))                            # (h/s, w/s, 1)
    colour = down(view * covered[..., None]) / np.maximum(weight, 1e-6)             # (h/s, w/s, 3)
    coarse = fill_gaps(to_uint8(colour)[None], (weight[..., 0] < 1e-3)[None])[0]
    return np.where(covered[..., None], view, bilinear_resize(coarse, (width, height)))


def _same(kept: np.ndarray, picture: np.ndarray) -> bool:
    return kept.shape == picture.shape and np.array_equal(kept, picture)
