"""student_image: pictures of students posted where the pack says they may not be.

What the check reads: each `target.media[i]["analysis"]`, the `MediaAnalysis.to_dict()` that the
flow attaches after running `rules.detect.media_pipeline.analyse` on the stored file (media items
without an analysis, or whose analysis is not `ok`, are skipped). From it: `faces` (boxes and
scores), `exif_time`/`exif_source` (capture time), `ocr_text`/`ocr_spans` (text in the image) and
`document_score`. Students are recognised by *name* (roster matching on the post text and on the
OCR text, strong forms only), never by face: the faces say "people are in it", the names say who.

Modes (the pack chooses with `params`):
- `consent` (default): every roster student named with an image of identifiable faces must have
  `photo_consent`; one hit per student without it. `public_arena_exempt` lifts this for sporting
  events and public performances (words in `public_arena_terms`). `flag_unnamed` also reports faces
  in a school context when nobody is named (consent cannot be verified).
- `instructional_day`: a personal (employee) account posting identifiable faces in a school
  context (district or school names, `context_terms`, or a named student) in an image taken
  during the instructional day: capture time from EXIF when present (a time without offset is
  read in the district's zone), else the publication time, against District.instructional_day.

In every mode (`opt_out`): a student with `media_opt_out` named together with a photo (not a
document-like image: documents naming students are the confidentiality check's) is reported.
Faces without a school context outside school hours are never a hit.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from hallmonitor.config import Student
from rules.base import Check, CheckContext, CheckParams, Hit, Span, Target
from rules.detect.roster import NameMatch, RosterIndex, fold
from rules.registry import register

DETECTOR = "student_image/res10-ssd+roster"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class StudentImageParams(CheckParams):
    mode: Literal["consent", "instructional_day"] = "consent"
    public_arena_exempt: bool = False
    public_arena_terms: list[str] = Field(default_factory=lambda: [
        "game", "match", "tournament", "playoff", "homecoming", "concert", "recital",
        "play", "musical", "performance", "choir", "band concert", "theater", "theatre"])
    context_terms: list[str] = Field(default_factory=lambda: [
        "class", "classroom", "students", "student", "learners", "school", "kids", "recess",
        "homeroom", "lesson", "field trip", "kindergarten", "grade", "graders"])
    flag_unnamed: bool = False
    min_face_score: float = Field(default=0.6, ge=0, le=1)
    min_face_px: int = Field(default=24, ge=1)  # smaller faces are a crowd, not identifiable
    opt_out: bool = True
    document_threshold: float = 0.5  # analyses above this are documents, not photos
    roles: list[str] = Field(default_factory=lambda: ["image", "video_thumbnail", "avatar"])


@register
class StudentImage(Check):
    """Images of students posted without consent, or taken during the instructional day."""

    name = "student_image"
    title = "Student photos without consent or during school hours"
    Params = StudentImageParams
    subjects = ("post", "profile")

    def run(self, target: Target, params: Any, ctx: CheckContext) -> list[Hit]:
        images = _images(target, params)
        if not images:
            return []
        roster = ctx.cached("student_image.roster",
                            lambda: RosterIndex(ctx.config.students, ctx.config.staff))
        named = _named(target, images, roster)
        photos = [m for m in images
                  if m["analysis"].get("document_score", 0) < params.document_threshold]
        faces = [(m, f) for m in images for f in m["analysis"].get("faces", [])
                 if f["score"] >= params.min_face_score and min(f["box"][2:]) >= params.min_face_px]
        hits = _opt_out_hits(named, photos) if params.opt_out else []
        if not faces:
            return hits
        if params.mode == "instructional_day":
            hit = _instructional_day(target, params, ctx, named, faces)
            return hits + ([hit] if hit else [])
        return hits + _consent_hits(target, params, ctx, named, faces)


def _images(target: Target, params: StudentImageParams) -> list[dict[str, Any]]:
    return [m for m in target.media
            if m.get("role", "image") in params.roles and (m.get("analysis") or {}).get("ok")]


class _Named:
    """Students named in the post text (spans) or inside an image (OCR spans)."""

    def __init__(self) -> None:
        self.students: dict[str, Student] = {}
        self.spans: dict[str, list[Span]] = {}
        self.ocr: dict[str, list[dict[str, Any]]] = {}


def _named(target: Target, images: list[dict[str, Any]], roster: RosterIndex) -> _Named:
    named = _Named()
    text = target.text or ""
    for match in _strong(roster, text):
        student = roster.students[match.index]
        named.students[student.student_id] = student
        named.spans.setdefault(student.student_id, []).append(
            Span(match.start, match.end, "student-name"))
    for media in images:
        analysis = media["analysis"]
        ocr_text = analysis.get("ocr_text") or ""
        for match in _strong(roster, ocr_text):
            student = roster.students[match.index]
            named.students[student.student_id] = student
            named.ocr.setdefault(student.student_id, []).append(
                {"sha256": analysis["sha256"], "start": match.start, "end": match.end,
                 "text": ocr_text[match.start:match.end],
                 "box": _line_box(analysis, match.start)})
    return named


def _strong(roster: RosterIndex, text: str) -> list[NameMatch]:
    if not text:
        return []
    return [m for m in roster.find(text, fold(text)) if m.is_student and m.strong]


def _line_box(analysis: dict[str, Any], offset: int) -> list[int] | None:
    for span in analysis.get("ocr_spans", []):
        if span["start"] <= offset < span["end"]:
            return list(span["box"])
    return None


def _opt_out_hits(named: _Named, photos: list[dict[str, Any]]) -> list[Hit]:
    if not photos:
        return []
    hits = []
    for sid, student in named.students.items():
        if student.media_opt_out:
            hits.append(Hit(
                key=f"opt-out:{sid}",
                summary=f"Photo posted with media-opt-out student {student.full_name} ({sid})",
                category="media-opt-out-student-image", spans=named.spans.get(sid, []),
                details={"student_id": sid, "images": [_image_evidence(m) for m in photos],
                         "ocr_spans": named.ocr.get(sid, [])},
                detector=DETECTOR, score=0.95))
    return hits


def _consent_hits(target: Target, params: StudentImageParams, ctx: CheckContext, named: _Named,
                  faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[Hit]:
    texts = _texts(target, [m for m, _ in faces])
    if params.public_arena_exempt and _mentions(texts, params.public_arena_terms):
        return []
    evidence = _faces_evidence(faces)
    hits = []
    for sid, student in named.students.items():
        if student.photo_consent or student.media_opt_out:
            continue  # opted-out students are reported by _opt_out_hits
        hits.append(Hit(
            key=f"no-consent:{sid}",
            summary=f"Image of {len(faces)} face(s) naming {student.full_name} ({sid}), "
                    "no photo consent on record",
            category="student-image-without-consent", spans=named.spans.get(sid, []),
            details={"student_id": sid, "images": evidence, "ocr_spans": named.ocr.get(sid, [])},
            detector=DETECTOR, score=_best(faces)))
    if not named.students and params.flag_unnamed and _school_context(texts, params, ctx):
        hits.append(Hit(
            key="consent-unverified",
            summary=f"Image of {len(faces)} face(s) in a school context; no student named, "
                    "consent cannot be verified",
            category="student-image-consent-unverified", details={"images": evidence},
            detector=DETECTOR, score=_best(faces) * 0.8))
    return hits


def _instructional_day(target: Target, params: StudentImageParams, ctx: CheckContext, named: _Named,
                       faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> Hit | None:
    if target.account.kind != "employee":
        return None
    taken, source = _capture_time(target, [m for m, _ in faces], ctx)
    if taken is None or not _in_instructional_day(taken, ctx):
        return None
    texts = _texts(target, [m for m, _ in faces])
    if not named.students and not _school_context(texts, params, ctx):
        return None
    local = taken.astimezone(ctx.config.district.tz)
    return Hit(
        key="instructional-day",
        summary=f"Personal account posted an image of {len(faces)} face(s) in a school context, "
                f"taken {local:%a %Y-%m-%d %H:%M} ({source})",
        category="student-image-instructional-day",
        spans=[s for spans in named.spans.values() for s in spans],
        details={"images": _faces_evidence(faces), "capture_time": taken.isoformat(),
                 "capture_time_local": local.isoformat(), "capture_source": source,
                 "students": sorted(named.students)},
        detector=DETECTOR, score=_best(faces))


def _capture_time(target: Target, media: list[dict[str, Any]],
                  ctx: CheckContext) -> tuple[datetime | None, str]:
    for item in media:
        raw = item["analysis"].get("exif_time")
        if raw:
            taken = datetime.fromisoformat(raw)
            if taken.tzinfo is None:  # camera-local time: read it in the district's zone
                taken = taken.replace(tzinfo=ctx.config.district.tz)
            return taken, item["analysis"].get("exif_source") or "exif"
    return target.published_at, "published_at"


def _in_instructional_day(moment: datetime, ctx: CheckContext) -> bool:
    day = ctx.config.district.instructional_day
    local = moment.astimezone(ctx.config.district.tz)
    return WEEKDAYS[local.weekday()] in day.weekdays and day.start <= local.time() < day.end


def _texts(target: Target, media: list[dict[str, Any]]) -> str:
    parts = [target.title or "", target.text or ""]
    parts += [m["analysis"].get("ocr_text") or "" for m in media]
    parts += [m.get("alt") or "" for m in media]
    return fold("\n".join(parts))


def _mentions(folded: str, terms: list[str]) -> bool:
    return any(re.search(rf"\b{re.escape(fold(t))}s?\b", folded) for t in terms)


def _school_context(folded: str, params: StudentImageParams, ctx: CheckContext) -> bool:
    district = ctx.config.district
    names = [*district.names, district.name, *(s.name for s in district.schools)]
    return _mentions(folded, params.context_terms) or _mentions(folded, names)


def _faces_evidence(faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    by_image: dict[str, dict[str, Any]] = {}
    for media, face in faces:
        analysis = media["analysis"]
        entry = by_image.setdefault(analysis["sha256"], _image_evidence(media) | {"faces": []})
        entry["faces"].append({"box": list(face["box"]), "score": face["score"]})
    return list(by_image.values())


def _image_evidence(media: dict[str, Any]) -> dict[str, Any]:
    analysis = media["analysis"]
    return {"url": media.get("url"), "sha256": analysis["sha256"], "role": media.get("role"),
            "exif_time": analysis.get("exif_time"), "exif_source": analysis.get("exif_source"),
            "detector": (analysis.get("detectors") or {}).get("faces")}


def _best(faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> float:
    return max(float(f["score"]) for _, f in faces)
