"""What a listing photo may be, and the variants made of it: pure image logic, no
storage, no database.

`inspect` runs on the request path and decides from the bytes alone (never the
name or the declared type): JPEG, PNG or WebP, at most MAX_PHOTO_BYTES, at most
MAX_PIXELS (a small file that claims a huge canvas is a decompression bomb), and
decodable to the end (a truncated or corrupt file is refused, not stored). JPEG is
decoded at 1/8 scale there, which still reads every entropy-coded block, so a
10 MB photo is checked in tens of milliseconds.

`render_variants` runs in the worker: it turns the photo upright by its EXIF
orientation, then writes each variant as a new WebP without any metadata (no EXIF,
so no GPS position, no XMP), named by the SHA-256 of its bytes, so a name always
means the same content and can be cached forever.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_LISTING = 20
# 50 megapixels: more than any phone or camera a landlord uses; a bomb claims far more.
MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MEDIA_PREFIX = "media/"
VARIANT_FORMAT, VARIANT_TYPE, VARIANT_SUFFIX = "WEBP", "image/webp", ".webp"
VARIANT_QUALITY = 82


@dataclass(frozen=True)
class VariantSpec:
    name: str
    width: int  # the longest side is at most this; smaller photos are never enlarged


VARIANTS = (VariantSpec("thumbnail", 320), VariantSpec("card", 640), VariantSpec("full", 1600))


class ImageRefused(Exception):
    """Bytes that are not a photo Hearth keeps; `message` is shown to the landlord."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Inspected:
    format: str
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Variant:
    name: str
    data: bytes
    width: int
    height: int

    @property
    def key(self) -> str:
        return f"{MEDIA_PREFIX}{hashlib.sha256(self.data).hexdigest()}{VARIANT_SUFFIX}"


WRONG_TYPE = "Upload a JPEG, PNG or WebP photo; this file is not one."
TOO_BIG = f"A photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB."
EMPTY = "The file is empty."
CORRUPT = "This photo is damaged or incomplete and cannot be read."
BOMB = f"This photo is too large in pixels: at most {MAX_PIXELS // 1_000_000} megapixels."


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageRefused(EMPTY, "empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise ImageRefused(TOO_BIG, "too_big")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; ours is stricter.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRefused(BOMB, "bomb") from error
    except Image.UnidentifiedImageError as error:
        raise ImageRefused(WRONG_TYPE, "wrong_type") from error
    except (OSError, SyntaxError, ValueError) as error:  # a header Pillow recognised, broken
        raise ImageRefused(CORRUPT, "corrupt") from error
    if image.width * image.height > MAX_PIXELS:
        raise ImageRefused(BOMB, "bomb")
    return image


def inspect(data: bytes) -> Inspected:
    """The photo's type and size, or ImageRefused saying why it is not kept."""
    image = _open(data)
    described = Inspected(
        format=image.format,
        content_type=ACCEPTED_FORMATS[image.format],
        width=image.width,
        height=image.height,
    )
    if image.format == "JPEG":
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRefused(CORRUPT, "corrupt") from error
    return described


def render_variants(data: bytes) -> list[Variant]:
    """The thumbnail, card and full-size WebPs of an inspected photo (ImageRefused if
    it is not one: the worker checks again rather than trust what it was given)."""
    image = _open(data)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRefused(CORRUPT, "corrupt") from error
    mode = (
        "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    )
    upright = upright.convert(mode)
    variants = []
    for spec in VARIANTS:
        resized = upright.copy()
        resized.thumbnail((spec.width, spec.width), Image.Resampling.LANCZOS, reducing_gap=3.0)
        resized.info = {}  # no EXIF, XMP or comments carried over from the original
        out = io.BytesIO()
        resized.save(out, VARIANT_FORMAT, quality=VARIANT_QUALITY, method=4)
        variants.append(Variant(spec.name, out.getvalue(), resized.width, resized.height))
    return variants
