"""How a prompt picture is read as a place: an artist's settings, their defaults and the ranges a world plays
them in. Scenes keep them, the player's options and the launcher's controls set them; each takes its defaults
and ranges from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.geometry import DOOM_EYE_HEIGHT, DOOM_FIELD_OF_VIEW


@dataclass
class PictureSettings:
    depth_scale: float = 1.0                      # the estimated depth is multiplied by this
    eye_height: float = DOOM_EYE_HEIGHT           # map units from the eye down to the floor in the picture
    field_of_view: float = DOOM_FIELD_OF_VIEW     # degrees across the picture's width (and the camera's)


SETTING_RANGES = {"depth_scale": (0.1, 10.0), "eye_height": (1.0, 500.0), "field_of_view": (30.0, 150.0)}


def read_settings(values: Any) -> PictureSettings:
    """An artist's settings from a dict of numbers; missing keys take their defaults, unknown keys and values
    out of range are refused (a ValueError naming the setting)."""
    if not isinstance(values, dict):
        raise ValueError("settings must be an object of numbers")
    for key, value in values.items():
        if key not in SETTING_RANGES:
            raise ValueError(f"settings has an unknown key {key!r}")
        low, high = SETTING_RANGES[key]
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise ValueError(f"settings {key} must be a number from {low:g} to {high:g}, not {value!r}")
    return PictureSettings(**{key: float(value) for key, value in values.items()})


def settings_dict(settings: PictureSettings) -> dict[str, float]:
    return {key: float(value) for key, value in asdict(settings).items()}
