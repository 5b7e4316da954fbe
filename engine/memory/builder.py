"""The world builder: what the picture never showed, continued from the picture's own pixels.

At the start the picture is continued into a *surround*: a cylinder around the start pose, a whole turn
across and as high and low as the view can pitch (Doom shears the view for pitch, so the heights a view can
see are tangents of elevation: the cylinder's rows). The picture is laid on it where it was seen, and
PatchMatch (Barnes et al. 2009, via patchmatch-cython) fills the rest from the picture's own patches, so
palette and brushwork carry over; the seam where the cylinder closes is filled again with it rolled half a
turn, so the surround has no edge.

The solver's result is a *correspondence*: for each pixel of the cylinder, the picture pixel it copies
(``Correspondence``). It is found at a small size and applied at any size: every built pixel is a picture
pixel, as sharp as the picture at 160x120 and at 640x480 alike. Depth travels with the colour through the
same correspondence (as distance across the floor), bounded below the horizon by the floor plane at the
picture's eye height: the floor goes on as a floor, it does not stand up as a wall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.geometry import DOOM_PITCH_RANGE
from engine.images import box_resize

VIEW_ASPECT = 3 / 4                    # the camera's height over its width (the display's 4:3)
# Tangents of elevation the camera can see at the edge of its pitch range (its centre column's top and bottom).
UP = float(np.tan(np.radians(DOOM_PITCH_RANGE[1]))) + VIEW_ASPECT
DOWN = float(np.tan(np.radians(-DOOM_PITCH_RANGE[0]))) + VIEW_ASPECT


@dataclass
class BuilderConfig:
    coarse_width: int = 32             # cylinder pixels a quarter turn where the first, quick surround is solved
    width: int = 96                    # ... and where the refined one is
    patch_size: int = 7
    seam: int = 12                     # columns either side of where the cylinder closes, solved again rolled
    seed: int = 0


@dataclass(frozen=True)
class Cylinder:
    """A cylinder around the camera, ``width`` pixels a quarter turn: column 0 starts half a turn left of the
    picture's centre; a row is a tangent of elevation (``horizon`` rows above the horizon, positive up)."""
    width: int

    @property
    def columns(self) -> int:
        return 4 * self.width

    @property
    def focal(self) -> float:
        return self.columns / (2 * np.pi)           # pixels a radian of turn, and a unit of tangent

    @property
    def horizon(self) -> int:
        return int(np.ceil(UP * self.focal))

    @property
    def rows(self) -> int:
        return self.horizon + int(np.ceil(DOWN * self.focal))

    def directions(self, corners: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Each pixel's centre (or with ``corners``, each pixel corner's) azimuth in radians (right of the
        picture's centre positive) and tangent of elevation: two (rows, columns) arrays."""
        shift = 0.0 if corners else 0.5
        columns = (np.arange(self.columns + (1 if corners else 0)) + shift) / self.focal - np.pi
        rows = (self.horizon - (np.arange(self.rows + (1 if corners else 0)) + shift)) / self.focal
        return np.meshgrid(columns.astype(np.float32), rows.astype(np.float32))

    def position(self, azimuth: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(column, row) in pixels (a pixel i spans [i, i + 1)) of directions."""
        focal = np.float32(self.focal)
        return (np.mod(azimuth + np.float32(np.pi), np.float32(2 * np.pi)) * focal, self.horizon - tangent * focal)


def matching_width(picture_width: int, field_of_view: float) -> int:
    """Pixels a quarter turn of a cylinder as fine as a picture ``picture_width`` pixels across, seen with
    ``field_of_view``, is at its centre."""
    return max(8, round(picture_width / 2 / np.tan(np.radians(field_of_view) / 2) * np.pi / 2))


@dataclass(frozen=True)
class PictureView:
    """Where a picture (``size`` (width, height) pixels, ``field_of_view`` degrees across) lies around the
    camera that took it (engine.geometry's pinhole, pitch 0). A panorama answers the same questions
    (engine.memory.panorama.PanoramaView): the builder takes either."""
    size: tuple[int, int]
    field_of_view: float

    @property
    def focal(self) -> float:
        return self.size[0] / 2 / np.tan(np.radians(self.field_of_view) / 2)

    def at(self, size: tuple[int, int]) -> "PictureView":
        """The same picture at another size."""
        return PictureView(size, self.field_of_view)

    def pixel(self, azimuth: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y) in the picture's pixels of directions, and whether each lies in the picture."""
        azimuth, tangent = np.asarray(azimuth, np.float32), np.asarray(tangent, np.float32)
        ahead = np.abs(azimuth) < np.float32(np.pi / 2 - 1e-3)
        x = np.float32(self.focal) * np.tan(np.where(ahead, azimuth, np.float32(0)))
        y = -tangent * np.hypot(np.float32(self.focal), x)
        x += np.float32(self.size[0] / 2)
        y += np.float32(self.size[1] / 2)
        inside = ahead & (x >= 0) & (x < self.size[0]) & (y >= 0) & (y < self.size[1])
        return x, y, inside

    def directions(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth and tangent of elevation of picture pixels (x, y) (the inverse of ``pixel``)."""
        across = x - self.size[0] / 2
        return np.arctan2(across, self.focal), -(y - self.size[1] / 2) / np.hypot(self.focal, across)

    def distance(self, along: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Distance across the floor of picture pixels in column ``x`` whose depth (along the view axis) is
        ``along``."""
        return along * np.hypot(1.0, (x - self.size[0] / 2) / self.focal)


@dataclass
class Correspondence:
    """For each pixel of ``cylinder``, the cylinder pixel it copies, ``source`` (rows, columns, 2) as (column,
    row): a pixel of the picture's own (``view``, the picture as solved), pixels of the picture themselves.
    ``front``: the part the prompt itself shows (its own pixels, drawn as the picture; the rest is the
    surround's): the picture itself, or for a panorama the camera's first view of it."""
    cylinder: Cylinder
    view: Any
    source: np.ndarray
    front: PictureView | None = None

    def picture_pixels(self, cylinder: Cylinder, size: tuple[int, int],
                       corners: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each pixel (or corner) of ``cylinder``, the pixel (x, y) of the picture at ``size`` it copies
        (float, nearest: floor), and which are the picture's own (the rest are built)."""
        solved = self.cylinder
        azimuth, tangent = cylinder.directions(corners)
        column, row = solved.position(azimuth, tangent)
        cell_column = np.clip(np.floor(column).astype(np.int64), 0, solved.columns - 1)
        cell_row = np.clip(np.floor(row).astype(np.int64), 0, solved.rows - 1)
        source = self.source[cell_row, cell_column]                    # (..., 2) solved pixels copied
        # The same place within the source pixel as within the solved pixel: sharp at any size.
        source_column = source[..., 0] + (column - cell_column)
        source_row = source[..., 1] + (row - cell_row)
        view = self.view.at(size)
        focal = np.float32(solved.focal)
        x, y, _ = view.pixel(source_column / focal - np.float32(np.pi), (solved.horizon - source_row) / focal)
        _, _, own = (self.front or view).pixel(azimuth, tangent)
        return x, y, own


def _solve(image: np.ndarray, mask: np.ndarray, patch_size: int, seed: int,
           nnf: np.ndarray | None = None) -> np.ndarray:
    """PatchMatch from coarse to fine over ``image`` (H, W, C) float32 where ``mask`` (H, W) is to fill:
    the nearest-neighbour field (H, W, 2) as (column, row) of the source patch centre for every pixel.
    ``nnf``: a field to start from (a coarser solve, scaled up) instead of a pyramid of its own."""
    from patchmatch_cython import CythonSolver
    from patchmatch_cython.imageops import (build_query_patch_centers, build_valid_patch_centers, downsample,
                                            resize_image, sanitize_nnf, upsample)

    height, width = mask.shape
    half = patch_size // 2
    levels = 0 if nnf is not None else max(0, int(np.floor(np.log2(min(height, width) / patch_size))))
    mask_float = mask.astype(np.float32)
    # A level where every pixel touches the hole has nothing to copy from: start from a finer one.
    while levels and (downsample(mask_float, height >> levels, width >> levels) > 0).all():
        levels -= 1
    previous = None
    for level in range(levels + 1):
        level_height, level_width = height >> (levels - level), width >> (levels - level)
        level_image = downsample(image, level_height, level_width)
        level_mask = downsample(mask_float, level_height, level_width).squeeze(-1) > 0
        if previous is not None:                         # the hole starts from the coarser level's fill
            level_image[level_mask] = resize_image(previous, level_height, level_width)[level_mask]
        if nnf is not None:
            nnf = sanitize_nnf(upsample(nnf, level_height, level_width),
                               build_query_patch_centers(level_mask, half),
                               build_valid_patch_centers(level_mask, half), rng=np.random.default_rng(seed))
        solver = CythonSolver(level_image, level_mask, patch_size)
        previous = solver(iterations=2 * (level + 2) + 1, randomize_nnf=nnf is None, nnf=nnf, seed=seed,
                          em_loops=2 if level < levels else 1)
        nnf = np.asarray(solver.nnf)
    return nnf


def solve_surround(picture: np.ndarray, view: Any, width: int, config: BuilderConfig,
                   start: Correspondence | None = None, front: PictureView | None = None) -> Correspondence:
    """The correspondence of a surround around ``picture`` (h, w, 3) uint8 lying around the camera as ``view``
    says (a PictureView, or a PanoramaView: any size, the same shape), solved on a cylinder ``width`` pixels a
    quarter turn (from ``start``, a coarser solve, where given); ``front``: what the prompt itself shows, where
    that is not the whole picture (a panorama's first view).

    Up and down matter: a sky goes on above, a floor below. So the rows the picture spans are filled first,
    round the whole turn, from the picture; then what lies above from the top of that band only, and what lies
    below from its bottom (a guide by where the patches may come from)."""
    cylinder = Cylinder(width)
    # The picture at about the cylinder's own scale: a pixel of one is a pixel of the other at the centre.
    scale = cylinder.focal / view.at((picture.shape[1], picture.shape[0])).focal
    size = (max(2, round(picture.shape[1] * scale)), max(2, round(picture.shape[0] * scale)))
    small = box_resize(picture, size)
    view = view.at(size)
    x, y, known = view.pixel(*cylinder.directions())
    image = np.where(known[..., None], small[np.clip(y.astype(np.int64), 0, size[1] - 1),
                                             np.clip(x.astype(np.int64), 0, size[0] - 1)], 0).astype(np.float32)
    rows, columns = np.indices(known.shape)
    mapped = np.stack([columns, rows], -1)
    initial = None
    if start is not None:                   # the coarse solve's correspondence, as source pixels of this one
        x0, y0, _ = start.picture_pixels(cylinder, size)
        initial = np.stack(cylinder.position(*view.directions(x0, y0)), -1).astype(np.int32)
    spanned = np.flatnonzero(known.any(axis=1))
    top, bottom = int(spanned[0]), int(spanned[-1]) + 1
    guide = max(config.patch_size, (bottom - top) * 2 // 5)          # rows of the band the caps copy from
    _fill_rows(image, known, mapped, slice(top, bottom), slice(top, bottom), config, initial)
    # The band's first and last rows are where its patches ran out: the caps fill them again.
    margin = config.patch_size // 2 + 1
    top, bottom = top + margin, bottom - margin
    built = ~view.pixel(*cylinder.directions())[2]
    known[top - margin:top] &= ~built[top - margin:top]
    known[bottom:bottom + margin] &= ~built[bottom:bottom + margin]
    for hole_rows, source_rows in ((slice(0, top), slice(top, top + guide)),
                                   (slice(bottom, cylinder.rows), slice(bottom - guide, bottom))):
        _fill_rows(image, known, mapped, hole_rows, source_rows, config, initial)
    return Correspondence(cylinder, view, mapped.astype(np.int32), front)


def _fill_rows(image: np.ndarray, known: np.ndarray, mapped: np.ndarray, hole_rows: slice, source_rows: slice,
               config: BuilderConfig, initial: np.ndarray | None) -> None:
    """Fill the unknown pixels of ``hole_rows`` from the known ones of ``source_rows`` (next to or the same
    rows; the image, what is known and each pixel's source position change in place), seamless round."""
    rows = slice(min(hole_rows.start, source_rows.start), max(hole_rows.stop, source_rows.stop))
    hole = ~known[rows]
    if not hole.any():                      # a panorama all the way round (and as high): nothing to fill
        return
    start = None if initial is None else initial[rows] - np.array([0, rows.start])
    nnf = _solve(image[rows], hole, config.patch_size, config.seed, start) + np.array([0, rows.start])
    region_mapped = np.where(hole[..., None], mapped[nnf[..., 1], nnf[..., 0]], mapped[rows])
    if config.seam:                         # where the cylinder closes: solved again, rolled half a turn
        half = known.shape[1] // 2
        band = np.zeros_like(hole)
        band[:, half - config.seam:half + config.seam] = True
        band &= np.roll(hole, half, axis=1)
        rolled = np.roll(image[region_mapped[..., 1], region_mapped[..., 0]], half, axis=1)
        seam = _solve(rolled.astype(np.float32), band, config.patch_size, config.seed + 1)
        rolled_mapped = np.roll(region_mapped, half, axis=1)
        rolled_mapped[band] = rolled_mapped[seam[..., 1], seam[..., 0]][band]
        region_mapped = np.roll(rolled_mapped, -half, axis=1)
    mapped[rows][hole] = region_mapped[hole]
    image[rows][hole] = image[region_mapped[..., 1], region_mapped[..., 0]][hole]
    known[rows] |= hole


@dataclass
class Surround:
    """The surround on ``cylinder``: colour (rows, columns, 3) uint8, distance across the floor from the
    start (rows, columns) float32, and which pixels were built (the rest are the picture's own)."""
    cylinder: Cylinder
    colour: np.ndarray
    distance: np.ndarray
    built: np.ndarray

    def points(self, start: np.ndarray, corners: bool = False) -> np.ndarray:
        """Where each pixel's centre (or corner: ``distance`` then has a row and a column more) lies in the
        world (rows, columns, 3), seen from the start pose (x, y, z, heading, pitch)."""
        azimuth, tangent = self.cylinder.directions(corners)
        heading = np.radians(start[3]) - azimuth                     # turning right lowers the heading
        distance = self.distance.astype(np.float64)
        return np.stack([start[0] + distance * np.cos(heading), start[1] + distance * np.sin(heading),
                         start[2] + distance * tangent], -1)

    def footprints(self) -> np.ndarray:
        """The memory's voxel size for each pixel (rows, columns): half the pixel's size in the world, so that
        neighbours on a surface slanted to the voxel grid (a cylinder goes round it) never share a voxel."""
        _, tangent = self.cylinder.directions()
        return (self.distance * np.hypot(1.0, tangent) / self.cylinder.focal / 2).astype(np.float32)


def build_surround(correspondence: Correspondence, picture: np.ndarray, depth: np.ndarray, width: int,
                   eye_height: float, corners: bool = False, colour_only: bool = False) -> Surround:
    """The surround on a cylinder ``width`` pixels a quarter turn, from the picture (any size) and its depth
    (any size, along the picture's view axis; a panorama's across the floor); with ``corners``, colour per
    pixel and distance per corner."""
    cylinder = Cylinder(width)
    size = (picture.shape[1], picture.shape[0])
    x, y, own = correspondence.picture_pixels(cylinder, size)
    colour = picture[np.clip(y.astype(np.int64), 0, size[1] - 1), np.clip(x.astype(np.int64), 0, size[0] - 1)]
    if colour_only:
        return Surround(cylinder, colour, np.zeros((0, 0), np.float32), ~own)
    if corners:
        x, y, _ = correspondence.picture_pixels(cylinder, size, corners)
    _, tangent = cylinder.directions(corners)
    depth_size = (depth.shape[1], depth.shape[0])
    along = depth[np.clip((y / size[1] * depth_size[1]).astype(np.int64), 0, depth_size[1] - 1),
                  np.clip((x / size[0] * depth_size[0]).astype(np.int64), 0, depth_size[0] - 1)]
    # Depth along the picture's view axis (a panorama's: already across the floor) -> distance across the floor.
    distance = correspondence.view.at(size).distance(along, x)
    with np.errstate(divide="ignore"):
        floor = np.where(tangent < 0, eye_height / -tangent, np.inf)
    return Surround(cylinder, colour, np.minimum(distance, floor).astype(np.float32), ~own)


@dataclass
class PlaySizes:
    """Pixels a quarter turn of the surrounds a player needs: the memory's points (``lift``) and, with a
    canvas, the canvas's picture (``texture``) and mesh (``mesh``; 0: no canvas)."""
    lift: int
    texture: int = 0
    mesh: int = 0


@dataclass
class PlaySurround:
    points: Surround                   # colour and distance per pixel, lifted as built points
    texture: Surround | None = None    # colour only, at the canvas's size
    mesh: Surround | None = None       # distance per corner and which cells are built


def build_for_play(correspondence: Correspondence, picture: np.ndarray, lifted: np.ndarray, depth: np.ndarray,
                   eye_height: float, sizes: PlaySizes) -> PlaySurround:
    """What a player puts in the world of a correspondence: the memory's surround from the prompt at the
    lift size (``lifted``), the canvas's from the prompt at its own (``picture``)."""
    points = build_surround(correspondence, lifted, depth, sizes.lift, eye_height)
    if not sizes.texture:
        return PlaySurround(points)
    return PlaySurround(points, build_surround(correspondence, picture, depth, sizes.texture, eye_height, colour_only=True),
                        build_surround(correspondence, picture, depth, sizes.mesh, eye_height, corners=True))


def fill_view(frame: np.ndarray, depth: np.ndarray, holes: np.ndarray, config: BuilderConfig,
              width: int = 80, patch_size: int = 5) -> tuple[np.ndarray, np.ndarray] | None:
    """Building as you go: the ``holes`` (H, W) bool of a view (``frame`` (H, W, 3) uint8 with its ``depth``)
    filled from the view's own other pixels, colour and depth together (a hole behind an edge takes the
    depth of what it copies, as 3D photos fill behind depth edges). PatchMatch solves at ``width`` pixels
    across and its correspondence is applied at the view's size. None where nothing can be filled."""
    height = max(patch_size, round(holes.shape[0] * width / holes.shape[1]))
    small_holes = box_resize((holes * 255).astype(np.uint8), (width, height)) > 0
    if not small_holes.any() or small_holes.mean() > 0.7:          # nothing to fill, or too little to copy
        return None
    # Sources need a whole patch of known pixels: with none, there is nothing to build from.
    known = ~small_holes
    whole = np.lib.stride_tricks.sliding_window_view(known, (patch_size, patch_size)).all(axis=(-2, -1))
    if not whole.any():
        return None
    nnf = _solve(box_resize(frame, (width, height)).astype(np.float32), small_holes, patch_size, config.seed)
    rows, columns = np.nonzero(holes)
    scale_y, scale_x = height / holes.shape[0], width / holes.shape[1]
    cell_y, cell_x = (rows + 0.5) * scale_y, (columns + 0.5) * scale_x
    block_y = np.minimum(cell_y.astype(np.int64), height - 1)
    block_x = np.minimum(cell_x.astype(np.int64), width - 1)
    source = nnf[block_y, block_x]                                   # (N, 2): (column, row) copied, small
    source_x = np.clip(((source[:, 0] + cell_x - block_x) / scale_x).astype(np.int64), 0, holes.shape[1] - 1)
    source_y = np.clip(((source[:, 1] + cell_y - block_y) / scale_y).astype(np.int64), 0, holes.shape[0] - 1)
    colour, filled_depth = frame.copy(), depth.copy()
    colour[rows, columns] = frame[source_y, source_x]
    filled_depth[rows, columns] = depth[source_y, source_x]
    return colour, filled_depth
