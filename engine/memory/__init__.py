"""The world memory: what was seen, lifted by its depth into a bounded world-space cache of points, and
rendered at any camera pose (z-buffered, with a coverage mask), so a place looked away from and back at
comes back as it was. numpy only: it runs at play time without torch."""

from engine.memory.points import MemoryConfig, MemoryState, PointMemory

__all__ = ["MemoryConfig", "MemoryState", "PointMemory"]
