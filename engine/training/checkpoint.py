"""Training state beside the checkpoints (engine.models.checkpoint): optimizer tensors, prefixes, EMA weights."""

from __future__ import annotations

import copy

import torch


def prefixed(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{name}": tensor for name, tensor in state.items()}


def unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    start = len(prefix) + 1
    return {name[start:]: tensor for name, tensor in tensors.items() if name.startswith(prefix + ".")}


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """AdamW state as flat tensors (safetensors holds no Python objects)."""
    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return tensors


def load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor
    full = optimizer.state_dict()
    full["state"] = state
    optimizer.load_state_dict(full)


class EMA:
    """Exponential moving average of a model's weights (the weights that get evaluated and exported)."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for average, current in zip(self.model.parameters(), model.parameters()):
            average.lerp_(current.detach(), 1.0 - self.decay)
        for average, current in zip(self.model.buffers(), model.buffers()):
            average.copy_(current)
