"""Prompt images of any kind -> one model frame: RGB, centre-cropped to the world's aspect, area-resized."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DreamwalkError

MAX_PIXELS = 120_000_000       # a 20000x6000 panorama still opens; decompression bombs do not


class ImageError(DreamwalkError):
    """A prompt image that cannot be used, with the reason."""


def load_prompt(image: Any, size: tuple[int, int]) -> np.ndarray:
    """A path, PIL image or (H, W, 3|4) uint8 array -> (height, width, 3) uint8 of ``size`` = (width, height)."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    if isinstance(image, (str, Path)):
        try:
            with Image.open(image) as opened:
                picture = _to_rgb(opened, size)
        except FileNotFoundError as error:
            raise ImageError(f"no image at {image}") from error
        except UnidentifiedImageError as error:
            raise ImageError(f"{Path(image).name} is not an image Dreamwalk can read") from error
        except Image.DecompressionBombError as error:
            raise ImageError(f"{Path(image).name} is too large ({error})") from error
        except (OSError, SyntaxError, ValueError) as error:
            raise ImageError(f"{Path(image).name} is damaged or truncated: {error}") from error
    elif isinstance(image, Image.Image):
        picture = _to_rgb(image, size)
    else:
        array = np.asarray(image)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
            raise ImageError(f"an image array must be (H, W, 3) or (H, W, 4) uint8, got {array.shape} {array.dtype}")
        picture = _to_rgb(Image.fromarray(array), size)
    return np.asarray(picture, dtype=np.uint8)


def _to_rgb(picture: Any, size: tuple[int, int]) -> Any:
    from PIL import Image, ImageOps

    if getattr(picture, "is_animated", False):
        picture.seek(0)                                  # an animation is prompted by its first frame
    picture = ImageOps.exif_transpose(picture)
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(picture, dtype=np.float64)
        picture = Image.fromarray((255 * array / max(float(array.max()), 1.0)).astype(np.uint8))
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        picture = Image.alpha_composite(background, rgba)
    picture = picture.convert("RGB")
    width, height = size
    # Crop the centre to the frame's aspect, then average areas down (BOX: every source pixel counts).
    return ImageOps.fit(picture, (width, height), method=Image.BOX, centering=(0.5, 0.5))
