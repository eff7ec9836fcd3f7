"""Safe decoding, EXIF capture time and orientation, perceptual hashes."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation.synth import compose
from rules.detect.images import DecodeError, Limits, decode, hamming, phash
from rules.detect.media_pipeline import MediaAnalysis, analyse


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A valid 8x8 PNG whose IHDR claims width x height: tiny on disk, huge if decoded."""
    data = bytearray(_png(8, 8))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _photo(**exif: object) -> bytes:
    rng = np.random.default_rng(3)
    return compose.jpeg_bytes(compose.background(0, rng), 85, **exif)  # type: ignore[arg-type]


CASES = [
    ("declared 50000x40000 pixels", _bomb_png(50000, 40000), Limits(), "bomb"),
    ("more pixels than the ceiling", _png(40, 30), Limits(max_pixels=1000), "bomb"),
    ("larger than the byte ceiling", _png(64, 64), Limits(max_bytes=100), "too_large"),
    ("truncated JPEG", _photo()[:2000], Limits(), "corrupt"),
    ("not an image", b"<html>not found</html>" * 20, Limits(), "corrupt"),
    ("empty file", b"", Limits(), "corrupt"),
]


@pytest.mark.parametrize(("label", "payload", "limits", "reason"), CASES, ids=[c[0] for c in CASES])
def test_unsafe_or_corrupt_file_is_refused_with_a_reason(tmp_path: Path, label: str,
                                                        payload: bytes, limits: Limits,
                                                        reason: str) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(payload)
    with pytest.raises(DecodeError) as caught:
        decode(path, limits)
    assert caught.value.reason == reason


def test_pipeline_records_a_corrupt_file_instead_of_raising(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(_photo()[:1500])
    analysis = analyse(path, [])
    assert analysis.ok is False
    assert analysis.error is not None and analysis.error.startswith("corrupt:")
    assert len(analysis.sha256) == 64


def test_large_image_is_decoded_at_working_size_with_full_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(path, "JPEG")
    image = decode(path)
    assert (image.width, image.height) == (4000, 3000)
    assert max(image.rgb.shape[:2]) <= 1024


EXIF_CASES = [
    ("offset recorded", {"taken": datetime(2026, 10, 14, 10, 20), "offset": "-05:00"},  # noqa: DTZ001
     "2026-10-14T10:20:00-05:00", "exif:DateTimeOriginal+Offset"),
    ("no offset: camera-local", {"taken": datetime(2026, 10, 14, 10, 20)},  # noqa: DTZ001
     "2026-10-14T10:20:00", "exif:DateTimeOriginal"),
    ("no EXIF time", {}, None, None),
]


@pytest.mark.parametrize(("label", "exif", "iso", "source"), EXIF_CASES,
                         ids=[c[0] for c in EXIF_CASES])
def test_capture_time_comes_from_date_time_original(tmp_path: Path, label: str,
                                                    exif: dict[str, object], iso: str | None,
                                                    source: str | None) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(_photo(**exif))
    image = decode(path)
    assert (image.exif_time, image.exif_source) == (iso, source)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_photo(orientation=6))  # stored landscape, shown portrait
    image = decode(path)
    assert (image.width, image.height) == (683, 1024)
    assert image.rgb.shape[0] > image.rgb.shape[1]
    assert image.orientation == 6


def _hash_of(image: Image.Image) -> str:
    return phash(np.asarray(image.convert("RGB")))


def test_phash_matches_resized_recompressed_reshare_but_not_a_crop() -> None:
    rng = np.random.default_rng(11)
    original = compose.classroom(rng)
    compose.paste_heads(original, 5, rng)
    reshared = Image.open(io.BytesIO(compose.jpeg_bytes(original.resize((640, 427)), 60)))
    cropped = original.crop((0, 0, 600, 400))
    other = compose.background(3, rng)
    base = _hash_of(original)
    assert hamming(base, _hash_of(reshared)) <= 8
    assert hamming(base, _hash_of(cropped)) > 8
    assert hamming(base, _hash_of(other)) > 16


def test_analysis_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(_photo(taken=datetime(2026, 10, 14, 10, 20), offset="-05:00"))  # noqa: DTZ001
    analysis = analyse(path, [])
    import json

    again = MediaAnalysis.from_dict(json.loads(analysis.to_json()))
    assert again == analysis
    assert again.ok and again.exif_time == "2026-10-14T10:20:00-05:00"


def test_truncated_file_is_refused_even_after_weasyprint_was_imported(tmp_path: Path) -> None:
    """WeasyPrint flips Pillow's process-wide LOAD_TRUNCATED_IMAGES on import; decode must not
    inherit that and accept half an image."""
    import io

    import weasyprint  # noqa: F401 - imported for its side effect on Pillow
    from PIL import Image, ImageFile

    from rules.detect.images import DecodeError, decode

    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "teal").save(buffer, "JPEG")
    path = tmp_path / "truncated.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    with pytest.raises(DecodeError):
        decode(path)
