"""A bounded point cache of the world (``PointMemory``): frames lifted by their depth, one point per voxel.

Each pixel of a frame shown, at its depth along the view axis and the camera's pose (x, y, z, yaw, pitch:
engine.geometry's conventions), becomes a point in world space. Points are kept one per voxel, the newest
sighting winning (a door that opened, a lamp that went out, a better view from nearer), up to a fixed
capacity, past which the points seen longest ago go: memory stays flat however long a session runs.

Rendering projects every point in front of the camera (the pinhole of engine.geometry.reproject: Doom's
software renderer shears the view for pitch), keeps per pixel the nearest, and closes one-pixel holes from
their neighbours (a surface seen from nearer than it was lifted spreads its points apart). The coverage
mask says which pixels the memory knows; the rest is for the dream.

Points are of three kinds, in this order of trust: *seen* (the prompt, a real frame), *built* (what the world
builder continued from the picture's own pixels: engine.memory.builder) and *dreamed* (the network's frames).
A point never overwrites one of a more trusted kind in its voxel, a render draws each kind only where the more
trusted ones left the pixel empty, and the least trusted go first when the memory is full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.geometry import DOOM_FIELD_OF_VIEW, view_points

LEVELS = 16                          # voxel edges voxel * 2^level: 1/64 to 512 map units by default
# A voxel's key: its level and integer cell mixed by odd 64-bit multipliers (wrapping), unbounded in extent;
# two voxels share a key with odds of 2^-64.
MIXERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], np.uint64)
# How far behind the nearest point a point may lie and still count as the same surface: ViZDoom's depth
# buffer steps by 7 map units (engine.data.vizdoom_source.DEPTH_SCALE), and depth estimated from a picture
# is off by a share of itself.
DEPTH_ERROR, DEPTH_TOLERANCE = 8.0, 0.03
# A point's kind is in its stamp (when it was last seen, in frames added): built and dreamed points lie this far
# behind the clock, older than anything seen (and dreamed older than built), so eviction takes them first.
SEEN, BUILT, DREAMED = 0, 1 << 40, 2 << 40
KIND_SPAN = 1 << 40


@dataclass
class MemoryConfig:
    capacity: int = 150_000              # points held at most (~3.5 MB)
    voxel: float = 1 / 64                # edge of the finest voxel in map units (Doom: 64 = a floor tile); a
                                         # point goes to the level whose voxel is its pixel's footprint
    field_of_view: float = DOOM_FIELD_OF_VIEW
    near: float = 2.0                    # points nearer than this to the camera are not drawn
    max_depth: float = 1500.0            # depths beyond (or at 0: the buffer's nothing) are not lifted
    fill_rounds: int = 1                 # rounds of closing one-pixel holes in a render
    coarse_levels: int = 0               # then filling larger ones from renders this many halvings smaller


@dataclass
class MemoryState:
    """Everything a PointMemory holds (``snapshot``/``restore``: a moment branched keeps its memory)."""
    positions: np.ndarray
    colours: np.ndarray
    keys: np.ndarray
    stamps: np.ndarray
    sorted_keys: np.ndarray
    slots_by_key: np.ndarray
    count: int
    clock: int


class PointMemory:
    def __init__(self, config: MemoryConfig | None = None) -> None:
        self.config = config or MemoryConfig()
        capacity = self.config.capacity
        self.positions = np.zeros((capacity, 3), np.float32)
        self.colours = np.zeros((capacity, 3), np.uint8)
        self.keys = np.zeros(capacity, np.int64)
        self.stamps = np.zeros(capacity, np.int64)       # when each point was last seen (frames added)
        self.sorted_keys = np.zeros(0, np.int64)         # the keys held, sorted, and the slot of each
        self.slots_by_key = np.zeros(0, np.int64)
        self.count = 0
        self.clock = 0

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in (self.positions, self.colours, self.keys, self.stamps,
                                              self.sorted_keys, self.slots_by_key))

    def voxel_keys(self, points: np.ndarray, footprints: np.ndarray) -> np.ndarray:
        """One integer per voxel: points (N, 3) at the level (voxel edge voxel * 2^level) of their pixel's
        footprint (N,) in map units, so that a pixel is a voxel near and far alike."""
        levels = np.clip(np.floor(np.log2(np.maximum(footprints / self.config.voxel, 1e-6))), 0, LEVELS - 1)
        edges = (self.config.voxel * np.exp2(levels)).astype(np.float32)
        cells = np.concatenate([np.floor(points / edges[:, None]), levels[:, None]], axis=1).astype(np.int64)
        return (cells.astype(np.uint64) * MIXERS).sum(axis=1, dtype=np.uint64).view(np.int64)

    def kinds(self) -> np.ndarray:
        """The kind (SEEN, BUILT or DREAMED) of each point held (count,)."""
        return ((self.clock - self.stamps[: self.count]) // KIND_SPAN) * KIND_SPAN

    def add(self, frame: np.ndarray, depth: np.ndarray, pose: np.ndarray, keep: np.ndarray | None = None,
            kind: int = SEEN) -> int:
        """Lift a frame (H, W, 3) uint8 with its depth (H, W) along the view axis, seen from ``pose``, into the
        memory; ``keep`` (H, W) bool leaves out pixels that are not the world (a weapon, a HUD). ``kind``:
        SEEN, BUILT or DREAMED: a point gives way to one of a more trusted kind in its voxel however new, and
        the least trusted are forgotten first. Returns how many voxels it wrote."""
        config = self.config
        valid = (depth > 0) & (depth < config.max_depth)
        if keep is not None:
            valid &= keep
        points = view_points(depth, np.asarray(pose, np.float64), config.field_of_view).astype(np.float32)
        focal = (depth.shape[1] / 2) / np.tan(np.radians(config.field_of_view) / 2)
        return self.add_points(points[valid.reshape(-1)], frame.reshape(-1, 3)[valid.reshape(-1)],
                               depth[valid].astype(np.float32) / focal, kind)

    def add_points(self, points: np.ndarray, colours: np.ndarray, footprints: np.ndarray, kind: int = SEEN) -> int:
        """Put points (N, 3) in the world with their colours (N, 3) uint8 and footprints (N,) in map units (the
        size of the pixel each was, which picks its voxel) into the memory as one frame of ``kind``; returns
        how many voxels it wrote."""
        self.clock += 1
        stamp = self.clock - kind
        points = np.asarray(points, np.float32)
        keys = self.voxel_keys(points, np.asarray(footprints, np.float32))
        # One point per voxel from this frame: the last pixel that falls in it.
        reversed_keys = keys[::-1]
        keys, first = np.unique(reversed_keys, return_index=True)
        picked = len(reversed_keys) - 1 - first
        points, colours = points[picked], colours[picked]
        where = np.searchsorted(self.sorted_keys, keys)
        known = where < len(self.sorted_keys)
        known[known] = self.sorted_keys[where[known]] == keys[known]
        slots = np.empty(len(keys), np.int64)
        slots[known] = self.slots_by_key[where[known]]
        if kind != SEEN:                          # never over a more trusted kind (older stamps: less trusted)
            trusted_over = known.copy()
            trusted_over[known] = self.stamps[slots[known]] > self.clock - kind + KIND_SPAN // 2
            keep_voxels = ~trusted_over
            keys, points, colours, known, slots = (keys[keep_voxels], points[keep_voxels], colours[keep_voxels],
                                                   known[keep_voxels], slots[keep_voxels])
        self.stamps[slots[known]] = stamp                   # seen again: not among the oldest to evict below
        slots[~known] = self._free_slots(int((~known).sum()))
        self.positions[slots], self.colours[slots], self.stamps[slots] = points, colours, stamp
        self.keys[slots[~known]] = keys[~known]
        self._index(keys[~known], slots[~known])
        return len(keys)

    def _free_slots(self, needed: int) -> np.ndarray:
        """Slots for ``needed`` new voxels: unused ones first, then those of the points seen longest ago
        (their keys leave the index)."""
        held = self.count
        fresh = min(needed, self.config.capacity - held)
        evict = needed - fresh
        if evict > held:
            raise ValueError(f"a frame of {needed} voxels does not fit a memory of {self.config.capacity}")
        slots = np.arange(held, held + fresh)
        self.count = held + fresh
        if evict:
            oldest = np.argpartition(self.stamps[:held], evict - 1)[:evict]
            positions = np.searchsorted(self.sorted_keys, self.keys[oldest])
            self.sorted_keys = np.delete(self.sorted_keys, positions)
            self.slots_by_key = np.delete(self.slots_by_key, positions)
            slots = np.concatenate([slots, oldest])
        return slots

    def _index(self, keys: np.ndarray, slots: np.ndarray) -> None:
        """Merge new keys (sorted, none held yet) into the sorted index."""
        where = np.searchsorted(self.sorted_keys, keys)
        self.sorted_keys = np.insert(self.sorted_keys, where, keys)
        self.slots_by_key = np.insert(self.slots_by_key, where, slots)

    def render(self, pose: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The memory seen from ``pose`` at ``size`` (width, height): the frame (H, W, 3) uint8, which pixels
        it covers (H, W) bool, and their depth along the view axis (H, W) float32 (0 where uncovered)."""
        frame, kinds, depth = self.render_kinds(pose, size)
        return frame, kinds >= 0, depth

    def render_kinds(self, pose: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As ``render``, with the kind of point each pixel shows (H, W) int8 in place of the coverage: 0 seen,
        1 built, 2 dreamed, -1 nothing."""
        width, height = size
        config = self.config
        focal = (width / 2) / np.tan(np.radians(config.field_of_view) / 2)
        # Camera coordinates (forward, side, up) of every point, column by column (a (N, 3) x (3, 3) product
        # is many times slower in numpy); points behind or beside the view fall outside the frame's bounds
        # and are dropped in one test.
        angle = np.radians(pose[3])
        cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
        held = self.positions[: self.count]
        east, north = held[:, 0] - np.float32(pose[0]), held[:, 1] - np.float32(pose[1])
        forward = east * cos + north * sin
        side = east * sin - north * cos
        up = held[:, 2] - np.float32(pose[2])
        with np.errstate(divide="ignore", invalid="ignore"):
            reciprocal = np.float32(focal) / forward
            x = side * reciprocal + np.float32((width - 1) / 2 + 0.5)
            y = (np.float32(np.tan(np.radians(pose[4])) * focal + (height - 1) / 2 + 0.5) - up * reciprocal)
            landed = (forward > config.near) & (x >= 0) & (x < width) & (y >= 0) & (y < height)
        index = np.flatnonzero(landed)                            # the slots of the points that land
        pixel = y[index].astype(np.int32) * width + x[index].astype(np.int32)
        distance = forward[index]
        frame = np.zeros((height, width, 3), np.uint8)
        depth = np.zeros((height, width), np.float32)
        covered = np.zeros((height, width), bool)
        kinds = np.full((height, width), -1, np.int8)
        # What was seen first, its one-pixel gaps closed from its own neighbours; then what was built, then what
        # was dreamed, each only on the pixels still empty.
        kind = (self.clock - self.stamps[index]) // KIND_SPAN
        for number, layer in enumerate((np.flatnonzero(kind == 0), np.flatnonzero(kind == 1),
                                        np.flatnonzero(kind >= 2))):
            layer = layer[~covered.reshape(-1)[pixel[layer]]]
            if not len(layer):
                continue
            picked = self._nearest_newest(pixel[layer], distance[layer], index[layer], width * height)
            found = picked >= 0
            frame.reshape(-1, 3)[found] = self.colours[index[layer[picked[found]]]]
            depth.reshape(-1)[found] = distance[layer[picked[found]]]
            covered.reshape(-1)[found] = True
            for _ in range(config.fill_rounds):
                frame, depth, covered = close_holes(frame, depth, covered)
            kinds[covered & (kinds < 0)] = number
        if config.coarse_levels and not covered.all():
            trusted = np.flatnonzero(kind <= 1)
            self._fill_coarse(x[index[trusted]], y[index[trusted]], distance[trusted], index[trusted],
                              kind[trusted], frame, depth, kinds, covered)
        return frame, kinds, depth

    def _fill_coarse(self, x: np.ndarray, y: np.ndarray, distance: np.ndarray, index: np.ndarray, kind: np.ndarray,
                     frame: np.ndarray, depth: np.ndarray, kinds: np.ndarray, covered: np.ndarray) -> None:
        """Pixels left empty between the points of a surface seen from nearer than it was lifted (its points
        spread apart by 2 to 4 pixels) take the nearest point of a render at half, then a quarter of the size
        (the "pull" of pull-push point rendering, Grossman & Dally 1998), in place. What was seen or built
        only: a hole the dream is for stays one."""
        height, width = covered.shape
        for level in range(1, self.config.coarse_levels + 1):
            factor = 1 << level
            coarse_width, coarse_height = -(-width // factor), -(-height // factor)
            pixel = (y / factor).astype(np.int32) * coarse_width + (x / factor).astype(np.int32)
            bits = int(len(pixel)).bit_length()
            nearest = np.full(coarse_width * coarse_height, np.iinfo(np.int64).max, np.int64)
            key = (np.minimum(distance * 16, (1 << 30) - 1).astype(np.int64) << bits) | np.arange(len(pixel))
            np.minimum.at(nearest, pixel, key)
            found = nearest < np.iinfo(np.int64).max
            picked = (nearest & ((1 << bits) - 1)).reshape(coarse_height, coarse_width)
            rows, columns = np.nonzero(~covered & found.reshape(coarse_height, coarse_width)[
                np.arange(height)[:, None] // factor, np.arange(width)[None, :] // factor])
            if len(rows):
                chosen = picked[rows // factor, columns // factor]
                frame[rows, columns] = self.colours[index[chosen]]
                depth[rows, columns] = distance[chosen]
                kinds[rows, columns] = kind[chosen]
                covered[rows, columns] = True
            if covered.all():
                return

    def _nearest_newest(self, pixel: np.ndarray, distance: np.ndarray, index: np.ndarray, pixels: int) -> np.ndarray:
        """Per pixel, which of the landing points (by position in ``pixel``) is drawn, -1 for none: of the points
        within the depth buffer's error of the nearest, the newest (a surface seen again wins over the older
        sightings of it that the 8-bit depth put a step nearer)."""
        order = np.arange(len(pixel), dtype=np.int64)
        bits = int(len(pixel)).bit_length()
        nearest = np.full(pixels, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(nearest, pixel, (np.minimum(distance * 16, (1 << 30) - 1).astype(np.int64) << bits) | order)
        front = np.where(nearest < np.iinfo(np.int64).max, (nearest >> bits).astype(np.float32) / 16, 0.0)
        close = distance <= front[pixel] * (1 + DEPTH_TOLERANCE) + DEPTH_ERROR
        age = (self.clock - self.stamps[index[close]]).astype(np.int64)
        newest = np.full(pixels, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(newest, pixel[close], (age << bits) | order[close])
        return np.where(newest < np.iinfo(np.int64).max, newest & ((1 << bits) - 1), -1)

    def forget(self, kind: int) -> int:
        """Drop every point of ``kind`` (a surround replaced by a better one); returns how many went."""
        kept = np.flatnonzero(self.kinds() != kind)
        dropped = self.count - len(kept)
        if dropped:
            count = len(kept)
            self.positions[:count], self.colours[:count] = self.positions[kept], self.colours[kept]
            self.keys[:count], self.stamps[:count] = self.keys[kept], self.stamps[kept]
            self.count = count
            order = np.argsort(self.keys[:count], kind="stable")
            self.sorted_keys, self.slots_by_key = self.keys[:count][order].copy(), order.astype(np.int64)
        return dropped

    def snapshot(self) -> MemoryState:
        return MemoryState(self.positions[: self.count].copy(), self.colours[: self.count].copy(),
                           self.keys[: self.count].copy(), self.stamps[: self.count].copy(), self.sorted_keys.copy(),
                           self.slots_by_key.copy(), self.count, self.clock)

    def restore(self, state: MemoryState) -> None:
        count = state.count
        self.positions[:count], self.colours[:count] = state.positions, state.colours
        self.keys[:count], self.stamps[:count] = state.keys, state.stamps
        self.sorted_keys, self.slots_by_key = state.sorted_keys.copy(), state.slots_by_key.copy()
        self.count, self.clock = count, state.clock


def fit_memory(state: MemoryState, capacity: int, pose: np.ndarray) -> MemoryState:
    """A kept memory thinned to ``capacity`` points, those nearest to ``pose`` (x, y) kept (a scene made in a
    world whose memory holds more); as it is where it fits."""
    if state.count <= capacity:
        return state
    distance = np.hypot(state.positions[:, 0] - np.float32(pose[0]), state.positions[:, 1] - np.float32(pose[1]))
    kept = np.sort(np.argpartition(distance, capacity - 1)[:capacity])
    keys = state.keys[kept]
    order = np.argsort(keys, kind="stable")
    return MemoryState(state.positions[kept].copy(), state.colours[kept].copy(), keys.copy(), state.stamps[kept].copy(),
                       keys[order].copy(), order.astype(np.int64), capacity, state.clock)


def close_holes(frame: np.ndarray, depth: np.ndarray, covered: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uncovered pixels with covered neighbours on both sides (left-right or up-down) take the nearer side's
    colour and depth: the one-pixel gaps between points spread apart by a nearer view, not the edges of what
    was seen. On the frame's border, where there is one side only, an uncovered pixel takes its inner
    neighbour's where that is covered (the view's edge sees its pixels half as wide as its centre)."""
    out_frame, out_depth, out_covered = frame.copy(), depth.copy(), covered.copy()
    for axis in (1, 0):
        before, after = np.roll(covered, 1, axis), np.roll(covered, -1, axis)
        hole = ~out_covered & before & after
        if axis == 1:
            hole[:, 0] = hole[:, -1] = False
        else:
            hole[0, :] = hole[-1, :] = False
        if not hole.any():
            continue
        depth_before, depth_after = np.roll(depth, 1, axis), np.roll(depth, -1, axis)
        take_before = depth_before <= depth_after
        frame_before, frame_after = np.roll(frame, 1, axis), np.roll(frame, -1, axis)
        out_frame[hole] = np.where(take_before[hole][:, None], frame_before[hole], frame_after[hole])
        out_depth[hole] = np.where(take_before[hole], depth_before[hole], depth_after[hole])
        out_covered |= hole
    for edge, inner in ((np.s_[:, 0], np.s_[:, 1]), (np.s_[:, -1], np.s_[:, -2]),
                        (np.s_[0, :], np.s_[1, :]), (np.s_[-1, :], np.s_[-2, :])):
        taken = ~out_covered[edge] & covered[inner]
        if taken.any():
            out_frame[edge][taken], out_depth[edge][taken] = frame[inner][taken], depth[inner][taken]
            out_covered[edge][taken] = True
    return out_frame, out_depth, out_covered
