"""A panorama as a prompt: a picture much wider than the view, lying all round the camera (or as far round as
it reaches), used whole rather than cropped to the view.

Its columns are the turn; its rows are tangents of elevation, as on the builder's cylinder (a cylindrical
panorama: what a phone's sweep and a painter's long strip give), or, for a picture exactly twice as wide as
high, elevation itself (an equirectangular one: a whole sphere, as 360-degree cameras and HunyuanWorld write
them). How far round a cylindrical one reaches follows from its shape: its height is what the camera sees
from the top of its view to the bottom, unless it would then be more than a whole turn across, when it is a
whole turn (and as high as its shape then says).

The camera's first view is the panorama seen ahead (``render_view``); the builder (engine.memory.builder)
lays the whole panorama on its cylinder and builds only what it never showed; its depth is read by the depth
network in views round the turn (``panorama_depth``), each as distance across the floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from engine.images import box_resize
from engine.memory.builder import VIEW_ASPECT, BuilderConfig, PictureView, fill_view

PANORAMA_ASPECT = 2.0          # a picture at least this many times wider than high is a panorama
EQUIRECT_TOLERANCE = 0.01      # ... and within this of exactly twice as wide, an equirectangular one
FULL_TURN = 2 * np.pi
MESH_CELLS = (32, 24)          # a view is sampled from a panorama in at most this many cells, each mapped
MESH_PIXELS = 20               # bilinearly, and at least this many pixels across


@dataclass(frozen=True)
class PanoramaView:
    """A panorama (``size`` (width, height) pixels) around the camera: ``span`` radians of turn across its
    width, centred ahead; its rows tangents of elevation, or with ``equirect`` elevations (radians)."""
    size: tuple[int, int]
    span: float
    equirect: bool = False

    @property
    def focal(self) -> float:
        return self.size[0] / self.span                     # pixels a radian of turn

    @property
    def whole_turn(self) -> bool:
        return self.span >= FULL_TURN - 1e-6

    def at(self, size: tuple[int, int]) -> "PanoramaView":
        return PanoramaView(size, self.span, self.equirect)

    def pixel(self, azimuth: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y) in the panorama's pixels of directions (azimuth right of its centre, tangent of elevation),
        and whether each lies in it."""
        azimuth, tangent = np.asarray(azimuth, np.float32), np.asarray(tangent, np.float32)
        azimuth = np.mod(azimuth + np.float32(np.pi), np.float32(FULL_TURN)) - np.float32(np.pi)
        focal = np.float32(self.focal)
        up = np.arctan(tangent) if self.equirect else tangent
        x = azimuth * focal + np.float32(self.size[0] / 2)
        y = np.float32(self.size[1] / 2) - up * focal
        inside = (x >= 0) & (x < self.size[0]) & (y >= 0) & (y < self.size[1])
        return x, y, inside

    def directions(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth and tangent of elevation of panorama pixels (x, y) (the inverse of ``pixel``)."""
        up = (self.size[1] / 2 - y) / self.focal
        return (x - self.size[0] / 2) / self.focal, np.tan(np.clip(up, -1.5, 1.5)) if self.equirect else up

    def distance(self, along: np.ndarray, x: np.ndarray) -> np.ndarray:
        """A panorama's depth is distance across the floor already (``panorama_depth``)."""
        return along


def panorama_view(size: tuple[int, int], field_of_view: float, span: float = 0.0) -> PanoramaView | None:
    """How a picture of ``size`` (width, height) lies around a camera seeing ``field_of_view`` degrees across:
    a PanoramaView where it is a panorama (PANORAMA_ASPECT or wider), else None (a view, cropped to the
    camera's). ``span``: degrees it reaches round, as an artist says (a cylinder that wide); 0: as its shape
    says."""
    width, height = size
    if width < PANORAMA_ASPECT * height:
        return None
    if span > 0:
        return PanoramaView(size, min(FULL_TURN, float(np.radians(span))))
    if abs(width / height - 2) <= 2 * EQUIRECT_TOLERANCE:
        return PanoramaView(size, FULL_TURN, equirect=True)
    top = VIEW_ASPECT * np.tan(np.radians(field_of_view) / 2)          # tangent at the top of the view
    focal = max(height / 2 / top, width / FULL_TURN)
    return PanoramaView(size, min(FULL_TURN, width / focal))


def render_view(panorama: np.ndarray, view: PanoramaView, size: tuple[int, int], field_of_view: float,
                azimuth: float = 0.0, held: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """The camera's view (``size``, ``field_of_view`` degrees across, pitch 0) ``azimuth`` radians right of the
    panorama's centre: (H, W, 3) uint8 and (``held``) which pixels the panorama holds (where it ends, its
    nearest pixel goes on). Sampled bilinearly at twice the view's scale at most (a mesh of MESH_CELLS cells,
    each mapped bilinearly: the camera's rows bend on a panorama), then averaged down."""
    from PIL import Image

    view = view.at(panorama.shape[1::-1])
    focal = PictureView(size, field_of_view).focal
    if view.focal > 2 * focal:                      # finer than needed: averaged down first (quick, and sharp)
        scale = 2 * focal / view.focal
        panorama = box_resize(panorama, (max(2, round(panorama.shape[1] * scale)),
                                         max(2, round(panorama.shape[0] * scale))))
        view = view.at(panorama.shape[1::-1])
    scale = view.focal / focal
    native = size if scale <= 1 else (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    camera = PictureView(native, field_of_view)
    cells = (max(4, min(MESH_CELLS[0], native[0] // MESH_PIXELS)),
             max(3, min(MESH_CELLS[1], native[1] // MESH_PIXELS)))
    columns, lines = np.meshgrid(np.rint(np.linspace(0, native[0], cells[0] + 1)),
                                 np.rint(np.linspace(0, native[1], cells[1] + 1)))
    ahead, tangent = camera.directions(columns.astype(np.float32), lines.astype(np.float32))
    _, y, _ = view.pixel(ahead, tangent)
    x = (ahead + np.float32(azimuth)) * np.float32(view.focal) + np.float32(view.size[0] / 2)    # unwrapped
    # Padded so that every corner lands in it: round the turn with the other end, elsewhere the nearest pixel.
    left = max(0, int(np.ceil(-x.min())) + 2)
    right = max(0, int(np.ceil(x.max())) - view.size[0] + 2)
    top = max(0, int(np.ceil(-y.min())) + 2)
    bottom = max(0, int(np.ceil(y.max())) - view.size[1] + 2)
    wrap = "wrap" if view.whole_turn else "edge"
    padded = np.pad(panorama, ((0, 0), (left, right), (0, 0)), mode=wrap)
    padded = np.pad(padded, ((top, bottom), (0, 0), (0, 0)), mode="edge")
    x, y = x + left, y + top
    # Each cell: its box in the view, and the quadrilateral it comes from (upper left, lower left, lower
    # right, upper right).
    boxes = np.stack([columns[:-1, :-1], lines[:-1, :-1], columns[1:, 1:], lines[1:, 1:]], -1).astype(int)
    quads = np.stack([x[:-1, :-1], y[:-1, :-1], x[1:, :-1], y[1:, :-1], x[1:, 1:], y[1:, 1:], x[:-1, 1:],
                      y[:-1, 1:]], -1).astype(np.float64)
    mesh = list(zip(map(tuple, boxes.reshape(-1, 4).tolist()), map(tuple, quads.reshape(-1, 8).tolist())))
    picture = np.asarray(Image.fromarray(padded).transform(native, Image.MESH, mesh, Image.BILINEAR))
    if native != size:
        picture = box_resize(picture, size)
    if not held:
        return picture, None
    mask = np.zeros(panorama.shape[:2], np.uint8) + 255
    mask = np.pad(np.pad(mask, ((0, 0), (left, right)), mode=wrap), ((top, bottom), (0, 0)))
    inside = np.asarray(Image.fromarray(mask).transform(native, Image.MESH, mesh, Image.NEAREST))
    return picture, box_resize(inside, size) > 127


def first_view(panorama: np.ndarray, view: PanoramaView, size: tuple[int, int], field_of_view: float) -> np.ndarray:
    """The camera's first view of a panorama (the prompt the world starts from): seen ahead, and where a
    panorama lower than the view leaves the top and bottom empty, those continued from its own pixels as the
    builder continues it (PatchMatch), or where too little of the view is held for that, its edge rows go on."""
    picture, inside = render_view(panorama, view, size, field_of_view)
    if inside.all():
        return picture
    filled = fill_view(picture, np.zeros(picture.shape[:2], np.float32), ~inside, BuilderConfig())
    return picture if filled is None else filled[0]


def nearest_views(azimuth: np.ndarray, headings: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Directions (``azimuth``, radians right of ahead) split among views at ``headings`` (radians), each to
    the view it is nearest the middle of: for each view that has some, (its index, which directions, their
    azimuth within that view). In ``azimuth``'s own precision."""
    kind = azimuth.dtype.type
    offsets = azimuth[None] - np.asarray(headings, azimuth.dtype)[:, None, None]
    offsets = np.mod(offsets + kind(np.pi), kind(FULL_TURN)) - kind(np.pi)
    nearest = np.abs(offsets).argmin(0)
    for index in range(len(headings)):
        mine = nearest == index
        if mine.any():
            yield index, mine, offsets[index][mine]


def tile_azimuths(view: PanoramaView, field_of_view: float) -> np.ndarray:
    """Where views are read round a panorama for its depth (radians right of its centre): half a view apart,
    across its whole span (round the whole turn, for a whole-turn one)."""
    step = np.radians(field_of_view) / 2
    if view.whole_turn:
        count = int(np.ceil(FULL_TURN / step))
        return (np.arange(count) - count // 2) * (FULL_TURN / count)
    reach = int(np.ceil(view.span / 2 / step))
    return np.arange(-reach, reach + 1) * step


def panorama_depth(panorama: np.ndarray, view: PanoramaView, size: tuple[int, int], field_of_view: float,
                   tile_size: tuple[int, int], read: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """A panorama's depth at ``size`` (its own shape, smaller): distance across the floor of each pixel, from
    ``read`` (a view (H, W, 3) uint8 at ``tile_size`` -> its depth (h, w) along the view axis) of views
    ``field_of_view`` degrees across round it (``tile_azimuths``), each pixel from the view it is nearest the
    middle of."""
    azimuths = tile_azimuths(view, field_of_view)
    grid = view.at(size)
    columns, lines = np.meshgrid(np.arange(size[0], dtype=np.float32) + 0.5,
                                 np.arange(size[1], dtype=np.float32) + 0.5)
    azimuth, tangent = grid.directions(columns, lines)
    distance = np.zeros(size[::-1], np.float32)
    for index, mine, offset in nearest_views(azimuth, azimuths):
        tile, _ = render_view(panorama, view, tile_size, field_of_view, float(azimuths[index]), held=False)
        along = read(tile)
        camera = PictureView(along.shape[::-1], field_of_view)
        x, y, _ = camera.pixel(offset, tangent[mine])
        column = np.clip(x.astype(np.int64), 0, along.shape[1] - 1)
        row = np.clip(y.astype(np.int64), 0, along.shape[0] - 1)
        distance[mine] = camera.distance(along[row, column], x)
    return distance
