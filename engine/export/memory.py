"""A world memory for an existing pack (`dreamwalk pack memory`): the depth network as the pack's ``depth``
graph (checked against PyTorch) and, in the manifest's ``memory``, how the camera moves under the actions
(engine.geometry.MotionModel fitted on recordings with poses), the memory's size and the world builder's
settings. A session of such a pack continues its prompt into a surround from the picture's own pixels
(engine.memory.builder), lifts every frame it shows into a world memory and draws what it remembers at the
camera's new pose (engine.runtime.memory).

    dreamwalk pack memory assets/worlds/doom.dwpack --depth runs/depth/depth.safetensors \\
        --motion data/doom-depth --out runs/doom-memory.dwpack
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.data import read_episodes
from engine.errors import DreamwalkError
from engine.files import file_sha256
from engine.export.graphs import export_graph
from engine.geometry import MotionModel
from engine.memory import MemoryConfig
from engine.memory.builder import BuilderConfig
from engine.models.checkpoint import load_depth_model
from engine.pack import derive_pack

DEPTH_TOLERANCE = 1e-3         # relative, on depth in map units
MEMORY_NOTE = "; it remembers what it showed (a 3D memory of the place)"
BUILDER_NOTE = " and builds what your picture never showed from the picture's own pixels"
MEMORY_NAME = " with a memory"     # a world given a memory is another world: its own name, unless one is given


class DepthGraph(nn.Module):
    """``picture`` (1, 3, h, w) in [-1, 1] -> ``depth`` (1, 1, h, w) in map units."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, picture: torch.Tensor) -> torch.Tensor:
        return self.network(picture)


def fit_motion(recordings: str | Path) -> tuple[MotionModel, int]:
    """The camera's motion under the actions, fitted on every recorded episode with poses; and how many
    frames it was fitted on."""
    pairs = [(episode.raw_actions, episode.poses) for episode in read_episodes(recordings) if episode.poses is not None]
    if not pairs:
        raise DreamwalkError(f"no episode in {recordings} has poses to fit the camera's motion on")
    return MotionModel.fit(pairs), sum(len(poses) for _, poses in pairs)


def add_memory(pack: str | Path, depth_checkpoint: str | Path, recordings: str | Path, out: str | Path,
               config: MemoryConfig | None = None, builder: BuilderConfig | None = None,
               name: str | None = None) -> dict[str, Any]:
    """``builder`` None: a memory without the world builder (what the picture never showed is dreamed).
    ``name``: the new world's (default: the pack's own, said to have a memory), beside a description that says
    what the memory does."""
    import onnxruntime

    network, depth_meta = load_depth_model(depth_checkpoint)
    motion, frames = fit_motion(recordings)
    config = config or MemoryConfig()
    size = (network.config.width, network.config.height)
    found: dict[str, float] = {}

    def change(folder: Path, manifest: dict[str, Any]) -> None:
        picture = torch.rand(1, 3, size[1], size[0], generator=torch.Generator().manual_seed(0)) * 2 - 1
        graph = DepthGraph(network).eval()
        export_graph(graph, {"picture": picture}, ["depth"], folder / "depth.onnx")
        session = onnxruntime.InferenceSession(str(folder / "depth.onnx"), providers=["CPUExecutionProvider"])
        with torch.no_grad():
            expected = graph(picture).numpy()
        actual = session.run(None, {"picture": picture.numpy()})[0]
        difference = float(np.abs(actual / expected - 1).max())
        if not difference <= DEPTH_TOLERANCE:
            raise DreamwalkError(f"the depth graph disagrees with PyTorch by {difference:.1e} (relative); "
                                 "nothing was written")
        manifest["graphs"]["depth"] = {"file": "depth.onnx", "sha256": file_sha256(folder / "depth.onnx")}
        manifest["memory"] = {
            "depth_size": list(size), "motion": motion.weights.round(6).tolist(), "motion_frames": frames,
            "config": asdict(config), "builder": None if builder is None else asdict(builder),
            "depth_training": {key: depth_meta.get(key) for key in ("step", "samples", "trained_minutes",
                                                                    "hardware", "frames")},
        }
        manifest["parity"]["depth_max_relative_difference"] = found["difference"] = difference
        manifest["description"] = manifest["description"].split(MEMORY_NOTE)[0] + MEMORY_NOTE + (
            "" if builder is None else BUILDER_NOTE)
        manifest["name"] = name or manifest["name"].removesuffix(MEMORY_NAME) + MEMORY_NAME

    derive_pack(pack, out, change)
    return {"out": str(out), "depth_difference": found["difference"], "motion_frames": frames}
