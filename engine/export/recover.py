"""``dreamwalk recover``: a world pack's ONNX graphs -> the PyTorch checkpoints they were exported from.

A pack is the one artifact of a world that outlives its training run (checkpoints stay out of git, and a
fresh checkout has none). Recovering the dynamics model and the autoencoder from it lets the shipped world
be evaluated with ``dreamwalk eval world``, fine-tuned (``--set init=``) or used as a teacher again.

How: the exporter keeps every weight as an ONNX initializer, but under names of its own ("onnx::MatMul_12")
and sometimes transposed or reshaped. So a network of the pack's config is filled with distinct random
values, exported with the very same graph wrappers, and each initializer of that export is traced back to
the parameter whose values it holds (the same numbers, possibly transposed or reshaped). The pack's
initializer of the same name then gives that parameter's trained values. Finally the recovered network is
exported again and must reproduce the pack's graph outputs, so a recovery is exact or refused.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.errors import DreamwalkError
from engine.files import file_sha256
from engine.export.graphs import (FRAME_AXES, DecoderGraph, DynamicsStepGraph, EncoderGraph,
                                  dynamics_example, export_graph)
from engine.pack import open_pack
from engine.models.autoencoder import Autoencoder, AutoencoderConfig
from engine.models.denoiser import Denoiser
from engine.models.dynamics import DynamicsTransformer
from engine.models.checkpoint import file_digest, save_checkpoint
from engine.config import from_dict, to_dict
from engine.training.dynamics import DynamicsTrainConfig

TOLERANCE = 1e-5            # recovered vs packed graph outputs on the same inputs (float rounding only)
AUTOENCODER_FILE = "autoencoder.safetensors"
DYNAMICS_FILE = "dynamics.safetensors"
# A graph wrapper around a network, with what export_graph takes: example inputs, output names, free axes.
Graph = tuple[nn.Module, dict[str, torch.Tensor], list[str], dict[str, dict[int, str]] | None]


class RecoverError(DreamwalkError):
    pass


def _initializers(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    return {tensor.name: numpy_helper.to_array(tensor) for tensor in onnx.load(str(path)).graph.initializer}


def _fingerprint(values: np.ndarray) -> str:
    """The same numbers in any order or shape give the same print."""
    return hashlib.sha1(np.sort(values.astype(np.float32).ravel()).tobytes()).hexdigest()


def _arrangement(source: np.ndarray, exported: np.ndarray) -> str | None:
    """How the exporter laid out a parameter: 'same' (equal up to reshape) or 'transposed' (a 2-D weight)."""
    if np.array_equal(source.ravel(), exported.ravel()):
        return "same"
    if source.ndim == 2 and np.array_equal(source.T.ravel(), exported.ravel()):
        return "transposed"
    return None


def trace_parameters(module: nn.Module, graphs: list[Graph], folder: Path) -> dict[str, tuple[str, str, str]]:
    """For each floating parameter/buffer of ``module``: (graph index, initializer name, arrangement) in a
    fresh export of ``graphs`` (wrappers around ``module``). ``module``'s values are overwritten."""
    generator = torch.Generator().manual_seed(0)
    sources: dict[str, np.ndarray] = {}
    with torch.no_grad():
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            if tensor.is_floating_point():
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
                sources[name] = tensor.detach().numpy().copy()
    by_print: dict[str, list[str]] = {}
    for name, values in sources.items():
        by_print.setdefault(_fingerprint(values), []).append(name)
    traced: dict[str, tuple[str, str, str]] = {}
    for index, (wrapper, inputs, outputs, axes) in enumerate(graphs):
        path = export_graph(wrapper, inputs, outputs, folder / f"traced-{index}.onnx", axes)
        for initializer, values in _initializers(path).items():
            for name in by_print.get(_fingerprint(values), []):
                arrangement = _arrangement(sources[name], values)
                if arrangement and name not in traced:
                    traced[name] = (str(index), initializer, arrangement)
    return traced


def _restore(module: nn.Module, traced: dict[str, tuple[str, str, str]], packed: list[dict[str, np.ndarray]],
             what: str) -> None:
    state = module.state_dict()
    for name, (index, initializer, arrangement) in traced.items():
        values = packed[int(index)].get(initializer)
        if values is None:
            raise RecoverError(f"the pack's {what} graph has no weight {initializer} ({name}): it was exported "
                               f"from another version of the network")
        if values.size != state[name].numel():
            raise RecoverError(f"the pack's {what} weight {initializer} has {values.size} values where {name} "
                               f"holds {state[name].numel()}")
        if arrangement == "transposed":
            values = values.reshape(state[name].shape[::-1]).T
        state[name] = torch.from_numpy(np.array(values)).reshape(state[name].shape).to(state[name].dtype)
    module.load_state_dict(state)


def _missing(module: nn.Module, traced: dict[str, Any]) -> list[str]:
    """Weights no initializer of the export holds (so the pack cannot give them back)."""
    floating = [name for name, tensor in [*module.named_parameters(), *module.named_buffers()]
                if tensor.is_floating_point()]
    return [name for name in floating if name not in traced]


def _compare(paths: list[Path], recovered: list[Path], inputs: list[dict[str, torch.Tensor]], what: str) -> float:
    import onnxruntime

    worst = 0.0
    for packed, mine, feed in zip(paths, recovered, inputs):
        expected = onnxruntime.InferenceSession(str(packed), providers=["CPUExecutionProvider"])
        actual = onnxruntime.InferenceSession(str(mine), providers=["CPUExecutionProvider"])
        arrays = {name: tensor.numpy() for name, tensor in feed.items()}
        for a, b in zip(expected.run(None, arrays), actual.run(None, arrays)):
            worst = max(worst, float(np.abs(a - b).max()))
    if not worst <= TOLERANCE:
        raise RecoverError(f"the recovered {what} differs from the pack's graphs by {worst:.2e} "
                           f"(tolerance {TOLERANCE:g}): not written")
    return worst


def _rebuild(module: nn.Module, graphs: list[Graph], packed: list[Path], feeds: list[dict[str, torch.Tensor]],
             what: str, folder: Path) -> float:
    """Give ``module`` the weights of the pack's graphs ``packed`` (exported from ``graphs``), then export it
    again and compare on ``feeds``: the largest output difference, or RecoverError."""
    traced = trace_parameters(module, graphs, folder)
    missing = _missing(module, traced)
    if missing:
        raise RecoverError(f"the pack's {what} graphs do not hold {', '.join(missing[:4])}")
    _restore(module, traced, [_initializers(path) for path in packed], what)
    mine = [export_graph(wrapper, inputs, outputs, folder / f"{what}-{index}.onnx", axes)
            for index, (wrapper, inputs, outputs, axes) in enumerate(graphs)]
    return _compare(packed, mine, feeds, what)


def _autoencoder_config(manifest: dict[str, Any], encoder: dict[str, np.ndarray]) -> AutoencoderConfig:
    """The pack names frame and latent size; widths and blocks are read off the encoder's convolutions:
    one stride-2 4x4 convolution closes each stage (its input width is the stage's), and the 3x3 ones are
    the stem plus two per residual block (``blocks_per_stage`` per stage and one at the end)."""
    kernels = [values.shape for values in encoder.values() if values.ndim == 4]
    widths = [shape[1] for shape in kernels if shape[2] == 4]
    convolutions = sum(1 for shape in kernels if shape[2] == 3)
    if not widths or (convolutions - 3) % (2 * len(widths)):
        raise RecoverError("the pack's encoder is not one this version of Dreamwalk builds")
    return AutoencoderConfig(width=manifest["frame"]["width"], height=manifest["frame"]["height"],
                             channels=widths, blocks_per_stage=(convolutions - 3) // (2 * len(widths)),
                             latent_channels=manifest["latent"]["channels"])


def recover_world(pack: str | Path, out: str | Path) -> dict[str, Any]:
    """Write ``out/autoencoder.safetensors`` and ``out/dynamics.safetensors`` rebuilt from ``pack``."""
    opened = open_pack(pack)
    out = Path(out)
    try:
        manifest = opened.manifest
        training = manifest.get("training") or {}
        if "config" not in training:
            raise RecoverError(f"{Path(pack).name} does not record its network's config: cannot rebuild it")
        config = from_dict(DynamicsTrainConfig, training["config"])
        with tempfile.TemporaryDirectory(prefix="dreamwalk-recover-") as temporary:
            folder = Path(temporary)
            encoder_weights = _initializers(opened.graph_path("encoder"))
            autoencoder = Autoencoder(_autoencoder_config(manifest, encoder_weights))
            frame = torch.zeros(1, 3, autoencoder.config.height, autoencoder.config.width)
            latent = torch.zeros(1, *autoencoder.config.latent_shape)
            denoiser = Denoiser(DynamicsTransformer(config.model), config.diffusion).eval()
            example = dynamics_example(denoiser)
            generator = torch.Generator().manual_seed(1)           # inputs the rebuilt graphs must agree on
            probe_frame = torch.rand(frame.shape, generator=generator) * 2 - 1
            probe_latent = torch.randn(latent.shape, generator=generator)
            probe_action = torch.rand(example["action"].shape, generator=generator)

            ae_graphs = [(EncoderGraph(autoencoder), {"frame": frame}, ["latent"], None),
                         (DecoderGraph(autoencoder), {"latent": latent}, ["frame"], None)]
            ae_difference = _rebuild(autoencoder, ae_graphs, [opened.graph_path("encoder"),
                                                              opened.graph_path("decoder")],
                                     [{"frame": probe_frame}, {"latent": probe_latent}], "autoencoder", folder)
            dyn_graphs = [(DynamicsStepGraph(denoiser).eval(), example, ["denoised", "keys", "values"], FRAME_AXES)]
            dyn_paths = [opened.graph_path("dynamics")]
            dyn_feeds = [{**example, "action": probe_action}]
            dyn_difference = _rebuild(denoiser, dyn_graphs, dyn_paths, dyn_feeds, "dynamics", folder)

        out.mkdir(parents=True, exist_ok=True)
        recovered_from = {"pack": Path(pack).name, "pack_sha256": file_sha256(Path(pack)) if Path(pack).is_file()
                          else None}
        ae_meta = {"kind": "autoencoder", "config": {"model": to_dict(autoencoder.config),
                                                     "data": training.get("data", "")},
                   "step": 0, "samples": 0, "trained_minutes": 0.0, "recovered_from": recovered_from}
        save_checkpoint(out / AUTOENCODER_FILE, autoencoder.state_dict(), ae_meta)
        dyn_config = dict(training["config"], autoencoder=str(out / AUTOENCODER_FILE))
        dyn_meta = {"kind": "dynamics", "config": dyn_config,
                    "autoencoder_sha": file_digest(out / AUTOENCODER_FILE),
                    "world": {"fps": manifest["frame"]["fps"], "turn_range": manifest["actions"]["turn_range"],
                              "look_range": manifest["actions"]["look_range"]},
                    "step": training.get("steps", 0), "samples": training.get("samples", 0),
                    "trained_minutes": round(60 * float(training.get("hours", 0.0)), 2),
                    "hardware": training.get("hardware", ""), "recovered_from": recovered_from}
        if manifest.get("distilled"):
            dyn_meta["distilled"] = manifest["distilled"]
        save_checkpoint(out / DYNAMICS_FILE, denoiser.state_dict(), dyn_meta)
    finally:
        opened.close()
    return {"autoencoder": str(out / AUTOENCODER_FILE), "dynamics": str(out / DYNAMICS_FILE),
            "autoencoder_max_abs_difference": ae_difference, "dynamics_max_abs_difference": dyn_difference}

