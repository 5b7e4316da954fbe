"""The world memory at play (packs with a ``depth`` graph and a ``memory`` entry: `dreamwalk pack memory`).

Every frame shown is lifted by its depth into a bounded world-space cache (engine.memory.PointMemory); the
camera's pose follows the actions (engine.geometry.MotionModel, with the walls the memory knows stopping
it); each new frame shows what the memory holds at the new pose, and the dream only where it holds nothing.
What the dream adds there is lifted too, so a place dreamed once stays what it was dreamed as; what was
remembered is not overwritten by the dream. The prompt enters the same way, lifted by its estimated depth
from the start pose (x, y, z, yaw, pitch) = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.config import from_dict
from engine.geometry import MotionModel, wall_points
from engine.memory import MemoryConfig, MemoryState, PointMemory

NEAR_WALLS = 64.0              # map units around the player where remembered walls are checked


class AreaResize:
    """Area-averaging resize between two fixed sizes (engine.data.windows.area_resize's result) from running
    sums along each axis: no matrix product, whose threads would fight the networks' for the cores."""

    def __init__(self, source: tuple[int, int], target: tuple[int, int]) -> None:
        self.axes = [self._edges(source[1], target[1]), self._edges(source[0], target[0])]

    @staticmethod
    def _edges(inputs: int, outputs: int) -> tuple[np.ndarray, np.ndarray, float]:
        edges = np.linspace(0, inputs, outputs + 1)
        whole = np.minimum(np.floor(edges).astype(np.int64), inputs - 1)
        return whole, (edges - whole).astype(np.float32), inputs / outputs

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """(H, W, C) -> (h, w, C) float32."""
        out = frame.astype(np.float32)
        for axis, (whole, part, width) in enumerate(self.axes):
            running = np.cumsum(out, axis=axis)
            before = np.concatenate([np.zeros_like(np.take(running, [0], axis=axis)), running], axis=axis)
            shape = [1, 1, 1]
            shape[axis] = len(part)
            # The running sum at each (fractional) edge, then the difference between neighbouring edges.
            at_edges = np.take(before, whole, axis=axis) + part.reshape(shape) * np.take(out, whole, axis=axis)
            out = np.diff(at_edges, axis=axis) / width
        return out


@dataclass
class PlayMemoryState:
    memory: MemoryState
    pose: np.ndarray
    step: np.ndarray


class PlayMemory:
    def __init__(self, depth_graph: Any, manifest: dict[str, Any], frame_size: tuple[int, int],
                 model_size: tuple[int, int] | None = None) -> None:
        """``frame_size``: what is shown and lifted (the display size), ``model_size``: the networks' frames."""
        settings = manifest["memory"]
        self.depth_graph = depth_graph
        self.depth_size = tuple(settings["depth_size"])                 # (width, height) the network reads
        self.frame_size = frame_size
        self.to_depth = AreaResize(frame_size, self.depth_size)
        self.to_model = AreaResize(frame_size, model_size or frame_size)
        self.motion = MotionModel(np.asarray(settings["motion"]))
        self.memory = PointMemory(from_dict(MemoryConfig, settings["config"]))
        self.pose = np.zeros(5)
        self.step_taken = np.zeros(2)

    def estimate_depth(self, frame: np.ndarray) -> np.ndarray:
        """(H, W) depth of a frame (H, W, 3) uint8, from the pack's depth graph at its own size."""
        picture = np.rint(self.to_depth(frame)) / 127.5 - 1.0
        depth = self.depth_graph.run(None, {"picture": picture.transpose(2, 0, 1)[None]})[0][0, 0]
        height, width = frame.shape[:2]
        rows = (np.arange(height) * depth.shape[0] // height)
        columns = (np.arange(width) * depth.shape[1] // width)
        return depth[rows][:, columns].astype(np.float32)

    def start(self, frame: np.ndarray) -> None:
        """An empty memory, the camera at the start pose, and the prompt lifted into it."""
        self.memory = PointMemory(self.memory.config)
        self.pose, self.step_taken = np.zeros(5), np.zeros(2)
        self.memory.add(frame, self.estimate_depth(frame), self.pose)

    def advance(self, raw_action: np.ndarray) -> np.ndarray:
        """The camera's pose after the raw action (12,): its motion, stopped by remembered walls nearby."""
        held = self.memory.positions[: len(self.memory)]
        x, y = np.float32(self.pose[0]), np.float32(self.pose[1])
        near = held[(np.abs(held[:, 0] - x) < NEAR_WALLS) & (np.abs(held[:, 1] - y) < NEAR_WALLS)]
        walls = wall_points(near, self.pose[2]) if len(near) else None
        self.pose, self.step_taken = self.motion.step(self.pose, self.step_taken, raw_action, walls)
        return self.pose

    def show(self, dreamed: np.ndarray) -> np.ndarray:
        """The frame at the current pose: the memory where it holds something, the dream elsewhere; the
        dream's part is lifted into the memory."""
        remembered, covered, _ = self.memory.render(self.pose, self.frame_size)
        frame = np.where(covered[..., None], remembered, dreamed)
        if not covered.all():
            self.memory.add(frame, self.estimate_depth(frame), self.pose, keep=~covered, seen=False)
        return frame

    def model_frame(self, frame: np.ndarray) -> np.ndarray:
        """A shown frame at the networks' size (area averaged), uint8."""
        return np.clip(np.rint(self.to_model(frame)), 0, 255).astype(np.uint8)

    def snapshot(self) -> PlayMemoryState:
        return PlayMemoryState(self.memory.snapshot(), self.pose.copy(), self.step_taken.copy())

    def restore(self, state: PlayMemoryState) -> None:
        self.memory.restore(state.memory)
        self.pose, self.step_taken = state.pose.copy(), state.step.copy()
