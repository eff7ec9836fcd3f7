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
    # Degenerate shapes (tracking pixels, 1xN spacers, banner strips) carry no face, mark or page
    # and make OpenCV's resizes and DNN blobs fail: refused before any detector sees them.
    min_side: int = 16
    max_aspect: float = 12.0


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
        return float(self.width / self.rgb.shape[1])


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
        raise DecodeError(
            "bomb",
            f"declares {width}x{height} pixels; ceiling "
            f"{limits.max_pixels} pixels, {limits.max_side} px a side",
        )
    degenerate(width, height, limits)
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
    degenerate(rgb_array.shape[1], rgb_array.shape[0], limits)  # after orientation and scaling
    return DecodedImage(rgb_array, full_w, full_h, orientation, exif_time, exif_source)


def degenerate(width: int, height: int, limits: Limits) -> None:
    """Raise DecodeError("degenerate") for a shape no detector can use: a side under
    `limits.min_side` (a 1x1 tracking pixel) or sides more than `limits.max_aspect` apart."""
    short, long = min(width, height), max(width, height)
    if short < limits.min_side or long > limits.max_aspect * short:
        raise DecodeError(
            "degenerate",
            f"{width}x{height} px: no detector runs on this shape "
            f"(min side {limits.min_side}, max aspect "
            f"{limits.max_aspect:g})",
        )


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


@dataclass(frozen=True)
class SamePicture:
    """Whether two images are the same picture, and the measurements that decided it."""

    same: bool
    ncc: float  # normalised cross-correlation of the aligned pixels (-1..1)
    overlap: float  # share of the first image covered by the second after alignment (0..1)
    inliers: int  # feature matches consistent with the alignment (0: aligned by shape alone)
    method: str  # "features" | "resize"
    region_ncc: float | None = None  # NCC inside the region asked about (the mark's box)
    detail_ncc: float | None = None  # NCC of the edges outside that region

    def to_dict(self) -> dict[str, object]:
        return {
            "same": self.same,
            "ncc": round(self.ncc, 3),
            "overlap": round(self.overlap, 3),
            "inliers": self.inliers,
            "method": self.method,
            "region_ncc": None if self.region_ncc is None else round(self.region_ncc, 3),
            "detail_ncc": None if self.detail_ncc is None else round(self.detail_ncc, 3),
        }


_COMPARE_SIDE = 320


def same_picture(
    first: np.ndarray,
    second: np.ndarray,
    *,
    min_ncc: float = 0.9,
    min_overlap: float = 0.5,
    region: tuple[int, int, int, int] | None = None,
    min_detail_ncc: float = 0.9,
) -> SamePicture:
    """Are two RGB images the same picture (resized, recompressed, cropped, lightly rotated)?

    Perceptual hashes of two *different* photos of similar scenes (a class in front of the same
    wall, two shots of one banner) can lie a few bits apart, so a hash alone exempted real
    findings as "re-shares" (issue 14). Here the second image is aligned onto the first (ORB
    matches and a RANSAC similarity transform; when too few features match and the shapes agree,
    a plain resize) and the aligned pixels must correlate (NCC >= `min_ncc`) over at least
    `min_overlap` of the first image. Different photos of one scene fail the NCC: people move.
    `region` (x, y, w, h in `first`'s pixels, e.g. a mark's box) must agree too (NCC >= 0.8):
    a stock photo with a mark pasted on it is not the same picture as the bare stock photo,
    although the two correlate at 0.96 overall. And the edges *outside* the region must agree
    (NCC of gradient magnitudes >= `min_detail_ncc`): two flyers with the same mark and header
    bar but other words correlate at 0.97 in plain pixels, because the shared mark and the bars
    carry most of the variance; their lettering does not line up."""
    a, b = _gray(first), _gray(second)
    aligned = _align(a, b)
    if aligned is None:
        return SamePicture(False, 0.0, 0.0, 0, "features")
    warped, mask, inliers, method = aligned
    overlap = float(mask.mean())
    if overlap < 0.05:
        return SamePicture(False, 0.0, overlap, inliers, method)
    blurred_a = cv2.GaussianBlur(a, (0, 0), 1.2).astype(np.float32)
    blurred_b = cv2.GaussianBlur(warped, (0, 0), 1.2).astype(np.float32)
    ncc = _masked_ncc(blurred_a, blurred_b, mask)
    same = ncc >= min_ncc and overlap >= min_overlap
    region_ncc = None
    if region is not None:
        factor = a.shape[1] / first.shape[1]
        x, y, w, h = (round(v * factor) for v in region)
        inside = np.zeros_like(mask)
        inside[max(0, y) : y + max(1, h), max(0, x) : x + max(1, w)] = True
        region_ncc = _masked_ncc(blurred_a, blurred_b, mask & inside)
        same = same and region_ncc >= 0.8
    detail_ncc = None
    if same:
        outside = mask & ~inside if region is not None else mask
        if outside.sum() < 0.1 * mask.sum():  # the mark is the whole picture: compare all of it
            outside = mask
        detail_ncc = _masked_ncc(_edges(blurred_a), _edges(blurred_b), outside)
        same = detail_ncc >= min_detail_ncc
    return SamePicture(same, ncc, overlap, inliers, method, region_ncc, detail_ncc)


def _edges(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude: where lettering, outlines and texture are, not flat fills."""
    dx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(dx, dy)


def _masked_ncc(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    if mask.sum() < 16:
        return 0.0
    x, y = a[mask], b[mask]
    x, y = x - x.mean(), y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denominator) if denominator > 1e-6 else 0.0


def _gray(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    factor = _COMPARE_SIDE / max(gray.shape)
    size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _align(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, str] | None:
    """`b` warped into `a`'s frame, the mask of valid pixels, inliers and the method."""
    orb = cv2.ORB.create(nfeatures=800, fastThreshold=10)
    ka, da = orb.detectAndCompute(a, None)
    kb, db = orb.detectAndCompute(b, None)
    if da is not None and db is not None and len(ka) >= 8 and len(kb) >= 8:
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(db, da, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
        if len(good) >= 8:
            src = np.array([kb[m.queryIdx].pt for m in good], dtype=np.float32)
            dst = np.array([ka[m.trainIdx].pt for m in good], dtype=np.float32)
            matrix, inlier_mask = cv2.estimateAffinePartial2D(
                src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0
            )
            inliers = int(inlier_mask.sum()) if inlier_mask is not None else 0
            if matrix is not None and inliers >= 8:
                size = (a.shape[1], a.shape[0])
                warped = cv2.warpAffine(b, matrix, size, flags=cv2.INTER_LINEAR)
                valid = cv2.warpAffine(
                    np.full(b.shape, 255, np.uint8), matrix, size, flags=cv2.INTER_NEAREST
                )
                return warped, cv2.erode(valid, np.ones((5, 5), np.uint8)) > 0, inliers, "features"
    ratio_a, ratio_b = a.shape[1] / a.shape[0], b.shape[1] / b.shape[0]
    if abs(ratio_a - ratio_b) > 0.02 * ratio_a:
        return None
    warped = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
    return warped, np.ones(a.shape, bool), 0, "resize"
