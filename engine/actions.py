"""The action schema (docs/contracts.md, "Actions"): one action per model frame.

An action is a plain dict such as ``{"forward": True, "turn": 4.0}`` or an :class:`Action`.
Missing keys mean "not pressed" / 0; unknown keys, wrong types and non-finite numbers raise
:class:`ActionError`. ``turn`` is the yaw change this frame in degrees (positive turns right),
``look`` the pitch change in degrees (positive looks up).

Models see a fixed-size float vector (:func:`encode`): buttons as 0/1 and turn/look divided by the
range the world was trained with, so they lie in [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from engine.errors import ActionError

BUTTON_KEYS: tuple[str, ...] = (
    "forward", "backward", "left", "right",
    "jump", "crouch", "sprint", "use", "attack", "attack_alt",
)
AXIS_KEYS: tuple[str, ...] = ("turn", "look")
KEYS: tuple[str, ...] = BUTTON_KEYS + AXIS_KEYS
ACTION_DIM = len(KEYS)

# Default ranges in degrees per model frame, used when a world or source does not name its own.
# 15 degrees a frame at 17.5 frames/s is ~260 degrees/s: a fast but ordinary mouse flick.
DEFAULT_TURN_RANGE = 15.0
DEFAULT_LOOK_RANGE = 5.0


@dataclass(frozen=True)
class Action:
    """One frame of player input. Every field defaults to "not pressed" / 0."""

    forward: bool = False
    backward: bool = False
    left: bool = False
    right: bool = False
    jump: bool = False
    crouch: bool = False
    sprint: bool = False
    use: bool = False
    attack: bool = False
    attack_alt: bool = False
    turn: float = 0.0
    look: float = 0.0

    def __post_init__(self) -> None:
        for key in BUTTON_KEYS:
            value = getattr(self, key)
            if not isinstance(value, (bool, np.bool_)):
                raise ActionError(f"action key '{key}' must be true or false, got {value!r}")
            object.__setattr__(self, key, bool(value))
        for key in AXIS_KEYS:
            value = getattr(self, key)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ActionError(f"action key '{key}' must be a number of degrees, got {value!r}")
            if not math.isfinite(float(value)):
                raise ActionError(f"action key '{key}' must be finite, got {value!r}")
            object.__setattr__(self, key, float(value))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "Action":
        if not isinstance(values, Mapping):
            raise ActionError(f"an action must be a dict or Action, got {type(values).__name__}")
        unknown = [key for key in values if key not in KEYS]
        if unknown:
            raise ActionError(f"unknown action key {unknown[0]!r}; valid keys: {', '.join(KEYS)}")
        return cls(**dict(values))

    @classmethod
    def coerce(cls, action: "Action | Mapping[str, Any]") -> "Action":
        """Accept either form of an action everywhere one is taken."""
        return action if isinstance(action, Action) else cls.from_dict(action)

    def to_dict(self) -> dict[str, bool | float]:
        return asdict(self)

    def clipped(self, turn_range: float, look_range: float) -> "Action":
        """Limit turn/look to what a world was trained with (a mouse can move faster than any recording)."""
        turn = min(max(self.turn, -turn_range), turn_range)
        look = min(max(self.look, -look_range), look_range)
        return self if (turn, look) == (self.turn, self.look) else replace(self, turn=turn, look=look)

    def to_array(self) -> np.ndarray:
        """Raw numeric form, (ACTION_DIM,) float32: buttons 0/1, turn/look in degrees (lossless storage)."""
        return np.array([float(getattr(self, key)) for key in KEYS], dtype=np.float32)

    @classmethod
    def from_array(cls, row: Sequence[float]) -> "Action":
        if len(row) != ACTION_DIM:
            raise ActionError(f"an action row needs {ACTION_DIM} values, got {len(row)}")
        buttons = {key: bool(row[i] >= 0.5) for i, key in enumerate(BUTTON_KEYS)}
        axes = {key: float(row[len(BUTTON_KEYS) + i]) for i, key in enumerate(AXIS_KEYS)}
        return cls(**buttons, **axes)


assert tuple(f.name for f in fields(Action)) == KEYS  # the dataclass and the key table must agree


def actions_to_array(actions: Iterable["Action | Mapping[str, Any]"]) -> np.ndarray:
    """(T, ACTION_DIM) float32 raw form of a sequence of actions."""
    rows = [Action.coerce(action).to_array() for action in actions]
    return np.stack(rows) if rows else np.zeros((0, ACTION_DIM), np.float32)


def actions_from_array(array: np.ndarray) -> list[dict[str, bool | float]]:
    """Schema dicts from the raw form written by :func:`actions_to_array`."""
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[1] != ACTION_DIM:
        raise ActionError(f"action array must be (T, {ACTION_DIM}), got {array.shape}")
    return [Action.from_array(row).to_dict() for row in array]


def encode(raw: np.ndarray, turn_range: float = DEFAULT_TURN_RANGE,
           look_range: float = DEFAULT_LOOK_RANGE) -> np.ndarray:
    """Model input from raw action rows (..., ACTION_DIM): buttons 0/1, turn/look scaled into [-1, 1]."""
    raw = np.asarray(raw, dtype=np.float32)
    if raw.shape[-1] != ACTION_DIM:
        raise ActionError(f"action rows must have {ACTION_DIM} values, got shape {raw.shape}")
    encoded = raw.copy()
    encoded[..., : len(BUTTON_KEYS)] = (raw[..., : len(BUTTON_KEYS)] >= 0.5)
    scale = np.array([turn_range, look_range], dtype=np.float32)
    encoded[..., len(BUTTON_KEYS):] = np.clip(raw[..., len(BUTTON_KEYS):] / scale, -1.0, 1.0)
    return encoded


def encode_action(action: "Action | Mapping[str, Any]", turn_range: float = DEFAULT_TURN_RANGE,
                  look_range: float = DEFAULT_LOOK_RANGE) -> np.ndarray:
    """(ACTION_DIM,) float32 model input for one action."""
    return encode(Action.coerce(action).to_array(), turn_range, look_range)
