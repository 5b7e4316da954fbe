"""Checkpoints as safetensors with the resolved config in their metadata (written atomically), and the
loaders that rebuild the networks from them: an autoencoder, or a dynamics model (denoiser) with the
autoencoder it was trained over."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from engine.config import from_dict
from engine.errors import DataError
from engine.files import file_sha256, replacing
from engine.models.autoencoder import Autoencoder, AutoencoderConfig
from engine.models.denoiser import Denoiser, DiffusionConfig
from engine.models.depth import DepthConfig, DepthNet
from engine.models.dynamics import DynamicsConfig, DynamicsTransformer


def save_checkpoint(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write tensors + JSON metadata to ``path`` atomically (a crash leaves the previous checkpoint)."""
    contiguous = {name: tensor.detach().contiguous().cpu() for name, tensor in tensors.items()}
    try:
        with replacing(path) as temporary:
            save_file(contiguous, str(temporary), metadata={"dreamwalk": json.dumps(meta)})
    except OSError as error:
        raise DataError(f"cannot write checkpoint {path}: {error.strerror or error}") from error


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of a checkpoint; DataError for a missing or damaged file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"no checkpoint at {path}")
    try:
        tensors = load_file(str(path))
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {}).get("dreamwalk", "{}"))
    except (SafetensorError, OSError, json.JSONDecodeError, RuntimeError) as error:
        raise DataError(f"corrupt checkpoint {path}: {error}") from error
    return tensors, meta


def checkpoint_meta(path: Path) -> dict[str, Any]:
    """A checkpoint's metadata alone, without reading its tensors; DataError for a missing or damaged file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return json.loads((handle.metadata() or {}).get("dreamwalk", "{}"))
    except (SafetensorError, OSError, json.JSONDecodeError, RuntimeError) as error:
        raise DataError(f"corrupt checkpoint {path}: {error}") from error


def load_kind(path: str | Path, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of a checkpoint that must be of ``kind`` (autoencoder, dynamics, depth)."""
    tensors, meta = load_checkpoint(Path(path))
    if meta.get("kind") != kind:
        raise DataError(f"{path} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind} checkpoint")
    return tensors, meta


def file_digest(path: Path) -> str:
    """A short tag of a file's contents (names the latent cache of one autoencoder)."""
    return file_sha256(path)[:16]


def load_autoencoder(path: str | Path) -> tuple[Autoencoder, dict[str, Any]]:
    tensors, meta = load_kind(path, "autoencoder")
    model = Autoencoder(from_dict(AutoencoderConfig, meta["config"]["model"]))
    model.load_state_dict(tensors)
    return model.eval(), meta


def same_encoder(first: Autoencoder, second: Autoencoder) -> bool:
    """Do two autoencoders map frames to the same latents (same encoder weights and statistics)?"""
    one, two = first.state_dict(), second.state_dict()
    names = [name for name in one if not name.startswith("decoder.")]
    return set(names) == {name for name in two if not name.startswith("decoder.")} and \
        all(torch.equal(one[name], two[name]) for name in names)


def world_autoencoder(meta: dict[str, Any], override: str | Path | None = None) -> Autoencoder:
    """The autoencoder a dynamics model was trained with, or ``override``: another file with the very
    same encoder (a sharpened decoder, ``dreamwalk train decoder``), so the latents are the same."""
    autoencoder, _ = load_autoencoder(meta["config"]["autoencoder"])
    if not override:
        return autoencoder
    replacement, _ = load_autoencoder(override)
    if not same_encoder(autoencoder, replacement):
        raise DataError(f"{override} encodes frames differently from the autoencoder this model was trained "
                        f"with ({meta['config']['autoencoder']}); only its decoder may differ")
    return replacement


def world_model_from_config(config: dict[str, Any]) -> Denoiser:
    """A fresh dynamics model (denoiser around the transformer) as a checkpoint's resolved config describes it."""
    network = DynamicsTransformer(from_dict(DynamicsConfig, config["model"]))
    return Denoiser(network, from_dict(DiffusionConfig, config["diffusion"]))


def load_world_model(path: str | Path) -> tuple[Denoiser, dict[str, Any]]:
    tensors, meta = load_kind(path, "dynamics")
    model = world_model_from_config(meta["config"])
    model.load_state_dict(tensors)
    return model.eval(), meta


def load_depth_model(path: str | Path) -> tuple[DepthNet, dict[str, Any]]:
    tensors, meta = load_kind(path, "depth")
    network = DepthNet(from_dict(DepthConfig, meta["config"]["model"]))
    network.load_state_dict(tensors)
    return network.eval(), meta
