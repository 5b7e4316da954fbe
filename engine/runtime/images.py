"""Prompt images of any kind -> one model frame: RGB, centre-cropped to the world's aspect, area-resized; a
panorama (engine.memory.panorama: twice as wide as high or wider) seen ahead instead of cropped, and kept whole
for the builder (``load_panorama``)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DreamwalkError
from engine.geometry import DOOM_FIELD_OF_VIEW

MIN_SIDE = 32                  # pixels: below this a picture holds too little to start a world from
MAX_MEGAPIXELS = 50            # above this decoding takes seconds and gigabytes; a 48 MP phone photo still opens
DRAFT_FACTOR = 16              # a large JPEG is decoded at a reduced scale still >= 16x the frame: same result, fast
BACKGROUND = (0, 0, 0)         # RGB under a transparent picture's see-through parts
EXIF_ORIENTATION = 0x0112      # the EXIF tag that says how a picture is turned to be shown
TURNED = (5, 6, 7, 8)          # ... the orientations that turn it a quarter (its width shown as its height)


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


def load_prompt(image: Any, size: tuple[int, int], field_of_view: float = DOOM_FIELD_OF_VIEW,
                span: float = 0.0) -> np.ndarray:
    """A path, PIL image or (H, W, 3|4) uint8 array -> (height, width, 3) uint8 of ``size`` = (width, height):
    the picture's centre at the frame's aspect, or a panorama (``span`` degrees round, 0: as its shape says)
    seen ahead by a camera ``field_of_view`` degrees across (where it does not reach the view's top and
    bottom, continued from its own pixels).
    Pictures (paths and PIL images) under 32 pixels on a side or over 50 megapixels are refused before they are
    decoded; arrays are taken as they are (frames that code made, such as a world's own)."""
    from engine.memory.builder import PictureView
    from engine.memory.panorama import panorama_view

    draft = (DRAFT_FACTOR * max(size),) * 2
    view = panorama_view(picture_size(image), field_of_view, span) if isinstance(image, (str, Path)) else None
    if view is not None:        # a panorama is seen a view at a time: decoded as fine as the view, not 16 times
        draft = _panorama_draft(view, PictureView(size, field_of_view).focal)
    return _load(image, draft, lambda picture: _fitted(picture, size, field_of_view, span))


def load_panorama(image: Any, field_of_view: float, most_focal: float,
                  span: float = 0.0) -> tuple[np.ndarray, Any] | None:
    """A panorama whole, (H, W, 3) uint8 no finer than ``most_focal`` pixels a radian of turn, with where it
    lies round the camera (engine.memory.panorama.PanoramaView at that size: ``span`` degrees round, 0: as its
    shape says); None for a picture that is not one (read from its header alone)."""
    from engine.memory.panorama import panorama_view

    view = panorama_view(picture_size(image), field_of_view, span)
    if view is None:
        return None

    def whole(picture: Any) -> tuple[np.ndarray, Any]:           # as decoded (a JPEG: at its draft's size)
        return _reduced(picture, panorama_view(picture.size, field_of_view, span), most_focal)

    return _load(image, _panorama_draft(view, most_focal), whole)


def _panorama_draft(view: Any, focal: float) -> tuple[int, int]:
    """The size a JPEG panorama decodes at, at least (``_load``): ``focal`` pixels a radian."""
    scale = min(1.0, focal / view.focal)
    return max(1, int(np.ceil(view.size[0] * scale))), max(1, int(np.ceil(view.size[1] * scale)))


def panorama_words(image: Any, field_of_view: float = DOOM_FIELD_OF_VIEW, span: float = 0.0) -> str:
    """How a prompt image lies round the camera, in a few words, where it is a panorama ("a panorama, all
    the way round"; "a panorama, 215 degrees round"); "" for any other picture or one that cannot be read."""
    from engine.memory.panorama import panorama_view

    try:
        view = panorama_view(picture_size(image), field_of_view, span)
    except ImageError:
        return ""
    if view is None:
        return ""
    if view.whole_turn:
        return "a panorama, all the way round"
    return f"a panorama, {np.degrees(view.span):.0f} degrees round"


def picture_size(image: Any) -> tuple[int, int]:
    """(width, height) of a prompt image (a path: from its header), as it is shown (an EXIF turn counted)."""
    from PIL import Image

    if isinstance(image, (str, Path)):
        with _open(image) as opened:
            size = opened.size
            orientation = _orientation(opened)
    elif isinstance(image, Image.Image):
        size, orientation = image.size, _orientation(image)
    else:
        return (int(np.shape(image)[1]), int(np.shape(image)[0]))
    return size[::-1] if orientation in TURNED else size


def _orientation(picture: Any) -> int:
    """A picture's EXIF orientation (1: as stored) from its header: a PNG's EXIF after its pixels is not read
    (Pillow would decode the whole picture for it), nor a damaged one (decoding says what is wrong)."""
    if picture.format == "PNG" and "exif" not in picture.info:
        return 1
    try:
        return int(picture.getexif().get(EXIF_ORIENTATION, 1))
    except (OSError, SyntaxError, ValueError, TypeError):
        return 1


def _load(image: Any, draft: tuple[int, int], convert: Any) -> Any:
    """``convert`` (a PIL picture, RGB, as shown -> what the caller wants) of a path, PIL image or array;
    a JPEG decoded at a fraction of its size still ``draft`` (width, height) or larger."""
    from PIL import Image

    if isinstance(image, (str, Path)):
        with _open(image) as opened:
            try:
                # Only a JPEG can decode at a fraction of its size; every other format ignores the draft.
                if _orientation(opened) in TURNED:                   # the draft is of the stored picture
                    draft = draft[::-1]
                opened.draft(None, draft)
                return convert(_to_rgb(opened))
            except (OSError, SyntaxError, ValueError) as error:
                raise ImageError(f"{Path(image).name} is damaged or truncated: {error}") from error
    if isinstance(image, Image.Image):
        check_picture_size("the picture", *image.size)
        return convert(_to_rgb(image))
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ImageError(f"an image array must be (H, W, 3) or (H, W, 4) uint8, got {array.shape} {array.dtype}")
    return convert(_to_rgb(Image.fromarray(array)))


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


def _to_rgb(picture: Any) -> Any:
    """A PIL picture as shown (its first frame, turned by its EXIF, 16-bit scaled, transparency on
    BACKGROUND), RGB."""
    from PIL import Image, ImageOps

    if getattr(picture, "is_animated", False):
        picture.seek(0)                                  # an animation is prompted by its first frame
    picture = ImageOps.exif_transpose(picture)
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(picture, dtype=np.float64)
        picture = Image.fromarray((255 * array / max(float(array.max()), 1.0)).astype(np.uint8))
    return flatten_transparency(picture).convert("RGB")


def _fitted(picture: Any, size: tuple[int, int], field_of_view: float, span: float) -> np.ndarray:
    """An RGB picture as the camera's first view at ``size``: its centre cropped to the frame's aspect and
    averaged down (BOX: every source pixel counts), or a panorama seen ahead."""
    from PIL import Image, ImageOps

    from engine.memory.builder import PictureView
    from engine.memory.panorama import first_view, panorama_view

    view = panorama_view(picture.size, field_of_view, span)
    if view is None:
        return np.asarray(ImageOps.fit(picture, size, method=Image.BOX, centering=(0.5, 0.5)), dtype=np.uint8)
    # Sampled from the panorama at twice the view's own scale at most: as sharp, and quick at any size.
    panorama, view = _reduced(picture, view, 2 * PictureView(size, field_of_view).focal)
    return first_view(panorama, view, size, field_of_view)


def _reduced(picture: Any, view: Any, most_focal: float) -> tuple[np.ndarray, Any]:
    """An RGB panorama as an array no finer than ``most_focal`` pixels a radian (averaged down), and its view."""
    from PIL import Image

    if view.focal > most_focal:
        scale = most_focal / view.focal
        picture = picture.resize((max(2, round(picture.size[0] * scale)), max(2, round(picture.size[1] * scale))),
                                 Image.BOX)
    return np.asarray(picture, dtype=np.uint8), view.at(picture.size)
