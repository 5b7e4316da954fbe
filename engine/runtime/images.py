"""Prompt images of any kind -> one model frame: RGB, centre-cropped to the world's aspect, area-resized."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DreamwalkError

MIN_SIDE = 32                  # pixels: below this a picture holds too little to start a world from
MAX_MEGAPIXELS = 50            # above this decoding takes seconds and gigabytes; a 48 MP phone photo still opens
DRAFT_FACTOR = 16              # a large JPEG is decoded at a reduced scale still >= 16x the frame: same result, fast
BACKGROUND = (0, 0, 0)         # RGB under a transparent picture's see-through parts


class ImageError(DreamwalkError):
    """A prompt image that cannot be used, with the reason."""


def check_picture_size(name: str, width: int, height: int) -> None:
    """Refuse a picture too small to show a scene or too large to decode quickly, from its size alone."""
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"{name} is only {width}x{height} pixels; a prompt picture needs at least "
                         f"{MIN_SIDE} pixels on each side")
    megapixels = width * height / 1e6
    if megapixels > MAX_MEGAPIXELS:
        raise ImageError(f"{name} is too large: {width}x{height} pixels ({megapixels:.0f} megapixels); Dreamwalk "
                         f"opens pictures up to {MAX_MEGAPIXELS} megapixels, so scale it down first")


def check_prompt_file(path: str | Path) -> None:
    """Read only the header of the picture at ``path`` and refuse it, with the reason, if it cannot be a prompt
    (missing, not a picture, too small, too large): milliseconds, whatever the picture's size."""
    with _open(path):
        pass


def load_prompt(image: Any, size: tuple[int, int]) -> np.ndarray:
    """A path, PIL image or (H, W, 3|4) uint8 array -> (height, width, 3) uint8 of ``size`` = (width, height).
    Pictures (paths and PIL images) under 32 pixels on a side or over 50 megapixels are refused before they are
    decoded; arrays are taken as they are (frames that code made, such as a world's own)."""
    from PIL import Image

    if isinstance(image, (str, Path)):
        with _open(image) as opened:
            try:
                # Only a JPEG can decode at a fraction of its size; every other format ignores the draft.
                opened.draft(None, (DRAFT_FACTOR * max(size),) * 2)
                picture = _to_rgb(opened, size)
            except (OSError, SyntaxError, ValueError) as error:
                raise ImageError(f"{Path(image).name} is damaged or truncated: {error}") from error
    elif isinstance(image, Image.Image):
        check_picture_size("the picture", *image.size)
        picture = _to_rgb(image, size)
    else:
        array = np.asarray(image)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
            raise ImageError(f"an image array must be (H, W, 3) or (H, W, 4) uint8, got {array.shape} {array.dtype}")
        picture = _to_rgb(Image.fromarray(array), size)
    return np.asarray(picture, dtype=np.uint8)


def _open(path: str | Path) -> Any:
    """The picture at ``path``, opened lazily (header only) and checked for size; refusals as ImageError."""
    from PIL import Image, UnidentifiedImageError

    name = Path(path).name
    try:
        with warnings.catch_warnings():        # over 89 MP Pillow warns, then we refuse it in our own words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(path)
    except FileNotFoundError as error:
        raise ImageError(f"no image at {path}") from error
    except UnidentifiedImageError as error:
        raise ImageError(f"{name} is not an image Dreamwalk can read") from error
    except Image.DecompressionBombError as error:       # over 179 MP: Pillow refuses before telling the size
        raise ImageError(f"{name} is too large: over {2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f} megapixels; Dreamwalk "
                         f"opens pictures up to {MAX_MEGAPIXELS} megapixels, so scale it down first") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{name} is damaged or truncated: {error}") from error
    try:
        check_picture_size(name, *opened.size)
    except ImageError:
        opened.close()
        raise
    return opened


def flatten_transparency(picture: Any) -> Any:
    """A PIL picture with transparency (an alpha channel, or a palette's transparent colour) laid on BACKGROUND,
    as RGBA; any other picture as it is. Play and the launcher's thumbnails both show a transparent picture so."""
    from PIL import Image

    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (*BACKGROUND, 255)), rgba)
    return picture


def _to_rgb(picture: Any, size: tuple[int, int]) -> Any:
    from PIL import Image, ImageOps

    if getattr(picture, "is_animated", False):
        picture.seek(0)                                  # an animation is prompted by its first frame
    picture = ImageOps.exif_transpose(picture)
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(picture, dtype=np.float64)
        picture = Image.fromarray((255 * array / max(float(array.max()), 1.0)).astype(np.uint8))
    picture = flatten_transparency(picture).convert("RGB")
    width, height = size
    # Crop the centre to the frame's aspect, then average areas down (BOX: every source pixel counts).
    return ImageOps.fit(picture, (width, height), method=Image.BOX, centering=(0.5, 0.5))
