"""Safe image decoding, EXIF capture time and orientation, and a perceptual hash.

Media come from the internet, so decoding is guarded: a file is refused *before* its pixels are
decoded when it is larger than `Limits.max_bytes`, declares more than `Limits.max_pixels` pixels or
a side longer than `Limits.max_side` (a decompression bomb: a few KB of PNG that inflates to
gigabytes), and any decoder failure becomes a `DecodeError` with a machine reason that the pipeline
records instead of raising. JPEGs are decoded straight to a reduced size (libjpeg's DCT scaling),
so a 24-MP photo costs little more than a 1-MP one.

EXIF time: `DateTimeOriginal` (0x9003) with `OffsetTimeOriginal` (0x9011) when the camera wrote it
(EXIF 2.31); without an offset the time is local to the camera, and the caller decides the zone
(the student-image check uses the district's). `DateTime` (0x0132) is a last resort: editors rewrite
it, so its source is labelled differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

Image.MAX_IMAGE_PIXELS = None  # we enforce our own ceiling before decoding (Limits.max_pixels)

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_OFFSET_ORIGINAL = 0x9011
_DATETIME = 0x0132
_ORIENTATION = 0x0112
_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 40 * 1024 * 1024
    max_pixels: int = 60_000_000
    max_side: int = 20_000
    work_side: int = 1024  # detectors see the image scaled so that its longer side is at most this


class DecodeError(Exception):
    """The file cannot be (safely) decoded. `reason` is a stable code stored with the analysis."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class DecodedImage:
    rgb: np.ndarray  # HxWx3 uint8, EXIF orientation applied, longer side <= Limits.work_side
    width: int  # of the full, oriented image
    height: int
    orientation: int  # EXIF orientation tag (1 = as stored)
    exif_time: str | None  # ISO 8601; aware when the offset is known, naive (camera-local) if not
    exif_source: str | None  # which tags it came from

    @property
    def scale(self) -> float:
        """Factor from work coordinates to full-image coordinates."""
        return self.width / self.rgb.shape[1]


def decode(path: Path, limits: Limits | None = None) -> DecodedImage:
    limits = limits or Limits()
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise DecodeError("too_large", f"{size} bytes > {limits.max_bytes}")
    if size == 0:
        raise DecodeError("corrupt", "empty file")
    # A truncated file is corrupt, not half an image. Pillow keeps this as a process-wide flag
    # and WeasyPrint sets it to True when imported (reports run in the same process), so it is
    # asserted on every decode rather than once at import.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path) as image:
            return _decode_open(image, limits)
    except DecodeError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # PIL reports corrupt data as OSError/SyntaxError/ValueError depending on the plugin.
        raise DecodeError("corrupt", f"{type(exc).__name__}: {exc}") from exc
    except Image.DecompressionBombError as exc:
        raise DecodeError("bomb", str(exc)) from exc


def _decode_open(image: Image.Image, limits: Limits) -> DecodedImage:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise DecodeError("corrupt", f"declared size {width}x{height}")
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise DecodeError("bomb", f"declares {width}x{height} pixels; ceiling "
                                  f"{limits.max_pixels} pixels, {limits.max_side} px a side")
    exif = image.getexif()
    orientation = int(exif.get(_ORIENTATION, 1) or 1)
    exif_time, exif_source = capture_time(exif)
    if image.format == "JPEG":
        image.draft("RGB", (limits.work_side, limits.work_side))  # DCT-domain downscale
    image.seek(0)  # first frame of an animation
    image.load()
    oriented = ImageOps.exif_transpose(image) if orientation != 1 else image
    rgb = oriented.convert("RGB")
    full_w, full_h = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    rgb_array = _fit(np.asarray(rgb), limits.work_side)
    return DecodedImage(rgb_array, full_w, full_h, orientation, exif_time, exif_source)


def _fit(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    factor = side / max(h, w)
    if factor >= 1:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def capture_time(exif: Image.Exif) -> tuple[str | None, str | None]:
    """(ISO time, source) from EXIF, or (None, None)."""
    ifd = exif.get_ifd(_EXIF_IFD)
    original = _parse_time(ifd.get(_DATETIME_ORIGINAL))
    if original is not None:
        offset = _parse_offset(ifd.get(_OFFSET_ORIGINAL))
        if offset is not None:
            return original.replace(tzinfo=offset).isoformat(), "exif:DateTimeOriginal+Offset"
        return original.isoformat(), "exif:DateTimeOriginal"
    modified = _parse_time(exif.get(_DATETIME))
    if modified is not None:
        return modified.isoformat(), "exif:DateTime"
    return None, None


def _parse_time(value: object) -> datetime | None:
    match = _EXIF_TIME.match(str(value or "").strip())
    if not match:
        return None
    try:
        # EXIF times are naive by definition; the zone is attached by the caller.
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError:
        return None


def _parse_offset(value: object) -> timezone | None:
    match = _OFFSET.match(str(value or "").strip())
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return timezone(sign * delta) if delta <= timedelta(hours=14) else None


def phash(rgb: np.ndarray) -> str:
    """64-bit DCT perceptual hash (the classic pHash) as 16 hex digits."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()
    median = float(np.median(low[1:]))
    bits = low > median
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
