"""How a prompt picture is read as a place: an artist's settings, their defaults and the ranges a world plays
them in. Scenes keep them, the player's options and the launcher's controls set them; each takes its defaults
and ranges from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.geometry import DOOM_EYE_HEIGHT, DOOM_FIELD_OF_VIEW
from engine.memory.reading import read_with_rules


WALK_IN_DEPTH = 600.0          # map units: a picture's middle read farther is brought this near (three seconds of
                               # walking forward then make it at least 1.3 times larger)


@dataclass
class PictureSettings:
    depth_scale: float = 1.0                      # distances multiplied by this: larger, a larger place
    eye_height: float = DOOM_EYE_HEIGHT           # map units from the eye down to the floor in the picture
    field_of_view: float = DOOM_FIELD_OF_VIEW     # degrees across the picture's width (and the camera's)
    relief: float = 1.0                           # how deep the picture reads: 0 flat, 1 as read, 2 twice as deep
    panorama_span: float = 0.0                    # degrees a panorama reaches round (0: as its shape says)
    sky_far: bool = True                          # the sky and what shines in it (sun, moon) read far


SETTING_RANGES = {"depth_scale": (0.1, 10.0), "eye_height": (1.0, 500.0), "field_of_view": (30.0, 150.0),
                  "relief": (0.0, 3.0), "panorama_span": (0.0, 360.0)}
SWITCHES = ("sky_far",)


def depth_middle(depth: np.ndarray) -> float:
    """The depth network's reading of a picture's middle (the median of its middle quarter)."""
    height, width = depth.shape
    middle_region = depth[height * 3 // 8: height * 5 // 8, width * 3 // 8: width * 5 // 8]
    return max(float(np.median(middle_region)), 1e-3)


def read_picture_depth(depth: np.ndarray, picture: np.ndarray, settings: PictureSettings,
                       far: float, middle: float | None = None) -> np.ndarray:
    """The depth network's reading (h, w) of ``picture`` (H, W, 3) uint8 as the place the world plays: deeper or
    flatter around its middle by ``settings.relief``, brought near enough to walk into (WALK_IN_DEPTH), scaled
    by ``settings.depth_scale``, no farther than the floor ``settings.eye_height`` below, and with
    ``settings.sky_far`` its sky at ``far`` (engine.memory.reading). ``middle``: the reading of the middle to
    keep (a panorama's views round it are read as its first view is), else this picture's (``depth_middle``)."""
    middle = np.float32(depth_middle(depth) if middle is None else middle)
    depth = middle * (np.maximum(depth, np.float32(1e-3)) / middle) ** np.float32(settings.relief)
    depth = depth * np.float32(min(1.0, WALK_IN_DEPTH / float(middle)) * settings.depth_scale)
    return read_with_rules(depth.astype(np.float32), picture, settings.field_of_view, settings.eye_height, far,
                           settings.sky_far)


def read_settings(values: Any) -> PictureSettings:
    """An artist's settings from a dict of numbers; missing keys take their defaults, unknown keys and values
    out of range are refused (a ValueError naming the setting)."""
    if not isinstance(values, dict):
        raise ValueError("settings must be an object of numbers")
    for key, value in values.items():
        if key in SWITCHES:
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"settings {key} must be true or false, not {value!r}")
            continue
        if key not in SETTING_RANGES:
            raise ValueError(f"settings has an unknown key {key!r}")
        low, high = SETTING_RANGES[key]
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise ValueError(f"settings {key} must be a number from {low:g} to {high:g}, not {value!r}")
    return PictureSettings(**{key: bool(value) if key in SWITCHES else float(value) for key, value in values.items()})


def settings_dict(settings: PictureSettings) -> dict[str, float | bool]:
    return {key: value if key in SWITCHES else float(value) for key, value in asdict(settings).items()}
