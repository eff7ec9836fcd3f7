"""student_image: pictures of students posted where the pack says they may not be.

What the check reads: each `target.media[i]["analysis"]`, the `MediaAnalysis.to_dict()` that the
flow attaches after running `rules.detect.media_pipeline.analyse` on the stored file (media items
without an analysis, or whose analysis is not `ok`, are skipped). From it: `faces` (boxes and
scores), `exif_time`/`exif_source` (capture time), `ocr_text`/`ocr_spans` (text in the image) and
`document_score`. Students are recognised by *name* (roster matching on the post text, full
names or a unique first name, and on the OCR text, full names), never by face: the faces say
"people are in it", the names say who. What the words around the picture say (school vocabulary,
family and staff words, "right now", public events, consent gaps) comes from
`rules.detect.school_context`; the evidence lists every signal that fired.

Levels follow the strength of the evidence: a hit the check marks `level=advisory` stays
advisory whatever the rule says; strong evidence keeps the rule's level.

Modes (the pack chooses with `params`):
- `consent` (default): every roster student named with an image of identifiable faces must have
  `photo_consent`; one hit per student without it (a first name alone is strong only with some
  school context or on a sponsored page, else advisory). A post admitting that permission,
  release or consent forms are missing is a hit too. `public_arena_exempt` lifts all of this
  for public events (games, meets, openers, JV/varsity, concerts, musicals, ceremonies, pep
  rallies, plus `public_arena_terms`). `flag_unnamed` adds an advisory for unnamed faces in a
  school context (consent cannot be verified).
- `instructional_day`: a personal (employee) account posting identifiable faces taken during the
  instructional day of a school day (summer break excluded): camera time from EXIF when present
  (a time without offset is read in the district's zone), else the publication time. Strong:
  in-day EXIF with school words or a named student and no family or staff-only words, or an
  in-day post without EXIF that says it is happening now. Weak (advisory): in-day EXIF with no
  words either way, an in-day post without "now", a share.

`opt_out`: a student with `media_opt_out` named together with a photo (an image with faces, or
one that does not look like a document) is reported; advisory under `instructional_day` (that
clause is about the day, the confidentiality check covers naming) and exempt at a public event
when `public_arena_exempt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from hallmonitor.config import Student
from rules.base import Check, CheckContext, CheckParams, Hit, Level, Span, Target
from rules.detect.lexicons import fold
from rules.detect.roster import NameMatch, RosterIndex
from rules.detect.school_context import (
    Context,
    consent_gap,
    nonpublic_setting,
    public_event,
    school_context,
)
from rules.registry import register

DETECTOR = "student_image/res10-ssd+roster"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class StudentImageParams(CheckParams):
    mode: Literal["consent", "instructional_day"] = "consent"
    public_arena_exempt: bool = False
    # Added to the event vocabulary of rules.detect.school_context (sports by name, JV/varsity,
    # openers, concerts, musicals, ceremonies, pep rallies), never a replacement for it.
    public_arena_terms: list[str] = Field(default_factory=list)
    # Added to the school vocabulary of rules.detect.school_context (kind "pack").
    context_terms: list[str] = Field(default_factory=list)
    flag_unnamed: bool = False  # unnamed faces in a school context: advisory (consent unknown)
    min_face_score: float = Field(default=0.6, ge=0, le=1)
    min_face_px: int = Field(default=24, ge=1)  # smaller faces are a crowd, not identifiable
    # On a page (document_score at or above document_threshold) a face must score this much: the
    # detector answers 0.70-0.87 on letterhead seals, stamps and clip art, and 0.92-1.0 on the
    # people in photographed flyers and yearbook pages (dev corpus, 5 districts, 130 pages).
    page_face_score: float = Field(default=0.9, ge=0, le=1)
    # A "face" filling more than this share of the frame at a weak score is a pet or a texture
    # close up (dev: 11 such detections, 0.70-0.97, none on a picture of students); a real
    # close-up face scores near 1.0 and is kept.
    max_face_share: float = Field(default=0.2, gt=0, le=1)
    # Head-and-shoulders figures (rules.detect.figures) count as people where no face was found.
    figures: bool = True
    min_figure_score: float = Field(default=0.0, ge=0, le=1)
    opt_out: bool = True
    document_threshold: float = 0.5  # without faces, analyses above this are documents
    # Summer break (month-day, inclusive): no instructional day, whatever the weekday.
    summer: tuple[str, str] = ("06-10", "08-20")
    roles: list[str] = Field(default_factory=lambda: ["image", "video_thumbnail", "avatar"])


@register
class StudentImage(Check[StudentImageParams]):
    """Images of students posted without consent, or taken during the instructional day."""

    name = "student_image"
    title = "Student photos without consent or during school hours"
    subjects = ("post", "profile")

    def run(self, target: Target, params: StudentImageParams, ctx: CheckContext) -> list[Hit]:
        images = _images(target, params)
        if not images:
            return []
        roster = ctx.cached(
            "student_image.roster", lambda: RosterIndex(ctx.config.students, ctx.config.staff)
        )
        named = _named(target, images, roster)
        faces = [
            (m, f) for m in images for f in m["analysis"].get("faces", []) if _face(m, f, params)
        ]
        if not faces and params.figures:
            # No face found anywhere: people seen from behind, blurred, far off or drawn, by
            # their head-and-shoulders outline (rules.detect.figures). Weaker evidence than a
            # face, so it stands in for one only where a student is named or consent is said
            # to be missing (below); alone it says nothing.
            faces = [
                (m, {**f, "kind": "figure"})
                for m in images
                for f in m["analysis"].get("figures", [])
                if float(f["score"]) >= params.min_figure_score
            ]
        # A picture with faces is a photo whatever its document score: classroom walls and
        # whiteboards score like pages, and skipping them lost opted-out students (issue 14).
        photos = [
            m
            for m in images
            if any(m is fm for fm, _ in faces)
            or m["analysis"].get("document_score", 0) < params.document_threshold
        ]
        signals = _signals(target, [m for m, _ in faces] or photos, params, ctx)
        hits = _opt_out_hits(named, photos, bool(faces)) if params.opt_out else []
        if params.mode == "instructional_day":  # the pack's clause is about the day, not consent
            # ... and about images *of learners*: with no face seen, nothing says the opted-out
            # student is pictured (a letter, a drawing); naming them is confidentiality's.
            hits = [replace(h, level=Level.ADVISORY) for h in hits] if faces else []
        elif params.public_arena_exempt and signals.public_arena:
            hits = []  # a public event: exempt even without consent (Alexandria 471)
        if not faces:
            return hits
        if params.mode == "instructional_day":
            hit = _instructional_day(target, params, ctx, named, faces, signals)
            return hits + ([hit] if hit else [])
        return hits + _consent_hits(target, params, named, faces, signals)


def _face(media: dict[str, Any], face: dict[str, Any], params: StudentImageParams) -> bool:
    """An identifiable face, by the detector's score, its size, and where it was found."""
    analysis = media["analysis"]
    score, (_, _, width, height) = float(face["score"]), face["box"]
    if score < params.min_face_score or min(width, height) < params.min_face_px:
        return False
    if analysis.get("document_score", 0) >= params.document_threshold:
        return score >= params.page_face_score
    frame = float(analysis.get("width") or 0) * float(analysis.get("height") or 0)
    share = width * height / frame if frame else 0.0
    return share <= params.max_face_share or score >= params.page_face_score


def _images(target: Target, params: StudentImageParams) -> list[dict[str, Any]]:
    return [
        m
        for m in target.media
        if m.get("role", "image") in params.roles and (m.get("analysis") or {}).get("ok")
    ]


class _Named:
    """Students named in the post text (spans) or inside an image (OCR spans). `weak` holds
    those named by a first name alone (unique on the roster, capitalised, not a common word:
    rules.detect.roster), which is how captions name children ("Kaylee and Maddie")."""

    def __init__(self) -> None:
        self.students: dict[str, Student] = {}
        self.weak: set[str] = set()
        self.spans: dict[str, list[Span]] = {}
        self.ocr: dict[str, list[dict[str, Any]]] = {}


def _named(target: Target, images: list[dict[str, Any]], roster: RosterIndex) -> _Named:
    named = _Named()
    text = target.text or ""
    matches = [m for m in roster.find(text, fold(text)) if m.is_student] if text else []
    strong = {roster.students[m.index].student_id for m in matches if m.strong}
    for match in matches:
        student = roster.students[match.index]
        named.students[student.student_id] = student
        if student.student_id not in strong:
            named.weak.add(student.student_id)
        named.spans.setdefault(student.student_id, []).append(
            Span(match.start, match.end, "student-name" if match.strong else "student-first-name")
        )
    for media in images:
        analysis = media["analysis"]
        ocr_text = analysis.get("ocr_text") or ""
        for match in _strong(roster, ocr_text):
            student = roster.students[match.index]
            named.students[student.student_id] = student
            named.weak.discard(student.student_id)
            named.ocr.setdefault(student.student_id, []).append(
                {
                    "sha256": analysis["sha256"],
                    "start": match.start,
                    "end": match.end,
                    "text": ocr_text[match.start : match.end],
                    "box": _line_box(analysis, match.start),
                }
            )
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


def _opt_out_hits(named: _Named, photos: list[dict[str, Any]], faces: bool) -> list[Hit]:
    if not photos:
        return []
    hits = []
    for sid, student in named.students.items():
        if not faces and sid not in named.spans:
            # Named only by text read off a faceless picture (a roster, a report on a desk): a
            # record, which the confidentiality check reports, not a picture of the student.
            continue
        if student.media_opt_out:
            weak = sid in named.weak and not faces
            hits.append(
                Hit(
                    key=f"opt-out:{sid}",
                    summary=f"Photo posted with media-opt-out student {student.full_name} ({sid})",
                    category="media-opt-out-student-image",
                    spans=named.spans.get(sid, []),
                    details={
                        "student_id": sid,
                        "images": [_image_evidence(m) for m in photos],
                        "ocr_spans": named.ocr.get(sid, []),
                        "named_by": "first name" if sid in named.weak else "full name",
                    },
                    detector=DETECTOR,
                    score=0.95,
                    level=Level.ADVISORY if weak else None,
                )
            )
    return hits


@dataclass
class _Signals:
    """What the post's words (text, title, alt text, OCR of its photos) say around the faces."""

    context: Context
    event: list[str]
    gap: list[str]
    nonpublic: list[str]

    @property
    def public_arena(self) -> bool:
        """A public event, and no word placing the picture in a class, practice or trip."""
        return bool(self.event) and not self.nonpublic


def _signals(
    target: Target, media: list[dict[str, Any]], params: StudentImageParams, ctx: CheckContext
) -> _Signals:
    folded = _texts(target, media)
    names = ctx.cached("student_image.names", lambda: _district_names(ctx))
    context = school_context(folded, names)
    pack = [
        t
        for t in params.context_terms
        if re.search(rf"(?<!\w){re.escape(fold(t))}s?(?!\w)", folded)
    ]
    if pack:
        context.kinds.setdefault("pack", pack)
    return _Signals(
        context,
        public_event(folded, [fold(t) for t in params.public_arena_terms]),
        consent_gap(folded),
        nonpublic_setting(folded),
    )


def _district_names(ctx: CheckContext) -> list[str]:
    district = ctx.config.district
    names = [*district.names, district.name, *(s.name for s in district.schools)]
    return sorted({fold(n) for n in names if len(n) >= 3})


def _consent_hits(
    target: Target,
    params: StudentImageParams,
    named: _Named,
    faces: list[tuple[dict[str, Any], dict[str, Any]]],
    signals: _Signals,
) -> list[Hit]:
    if params.public_arena_exempt and signals.public_arena:
        return []
    evidence = _faces_evidence(faces)
    base = {
        "images": evidence,
        "context": signals.context.evidence(),
        "public_event": signals.event,
        "nonpublic_setting": signals.nonpublic,
    }
    hits = []
    seen = any(f.get("kind") != "figure" for _, f in faces)  # a face, not only a figure
    school = (signals.context.strength > 0 or target.account.kind == "sponsored") and not (
        signals.context.family_photo
    )
    for sid, student in named.students.items():
        if student.photo_consent or student.media_opt_out:
            continue  # opted-out students are reported by _opt_out_hits
        # A first name alone (unique on the roster, capitalised, not a common word) is how
        # captions name children: strong beside school words, on a sponsored page, or beside a
        # face the detector saw on a post with no family words; else advisory.
        weak = sid in named.weak and not school and not (seen and not signals.context.family)
        hits.append(
            Hit(
                key=f"no-consent:{sid}",
                summary=f"Image of {_people(faces)} naming {student.full_name} ({sid}), "
                "no photo consent on record",
                category="student-image-without-consent",
                spans=named.spans.get(sid, []),
                details={
                    **base,
                    "student_id": sid,
                    "ocr_spans": named.ocr.get(sid, []),
                    "named_by": "first name" if sid in named.weak else "full name",
                },
                detector=DETECTOR,
                score=_best(faces),
                level=Level.ADVISORY if weak else None,
            )
        )
    if signals.gap:
        hits.append(
            Hit(
                key="consent-gap",
                summary=f"Image of {_people(faces)}; the post says consent forms are missing: "
                f'"{signals.gap[0]}"',
                category="student-image-consent-missing",
                details={**base, "consent_gap": signals.gap},
                detector=DETECTOR,
                score=_best(faces),
            )
        )
    if not named.students and not signals.gap and params.flag_unnamed and school and seen:
        hits.append(
            Hit(
                key="consent-unverified",
                summary=f"Image of {len(faces)} face(s) in a school context; no student named, "
                "consent cannot be verified",
                category="student-image-consent-unverified",
                details=base,
                detector=DETECTOR,
                score=_best(faces) * 0.8,
                level=Level.ADVISORY,
            )
        )
    return hits


def _instructional_day(
    target: Target,
    params: StudentImageParams,
    ctx: CheckContext,
    named: _Named,
    faces: list[tuple[dict[str, Any], dict[str, Any]]],
    signals: _Signals,
) -> Hit | None:
    """West Fargo: learners pictured on a personal account in a photo taken during the day.

    Strong (violation): the camera's own time (EXIF) inside the instructional day of a school
    day, and the words say school (a named student, or any school vocabulary) and not family;
    or, without EXIF, a post published inside the day that says it is happening now, with
    school words. Weak (advisory): in-day EXIF with no words either way, or an in-day post
    with school words that does not say "now". A camera time outside the day clears it."""
    if target.account.kind != "employee":
        return None
    context = signals.context
    taken, source = _capture_time(target, [m for m, _ in faces], ctx)
    if taken is None or not _in_instructional_day(taken, ctx, params):
        return None
    school = bool(named.students) or context.strength > 0
    if context.family_photo and not named.students:
        return None  # a family photo on a weekday off
    if context.staff and not named.students and "learners" not in context.kinds:
        return None  # colleagues at a PD day, not learners
    if source == "published_at":
        if not school:
            return None
        strong = bool(context.now) and target.kind != "share"
    else:
        strong = school and target.kind != "share"
    if all(f.get("kind") == "figure" for _, f in faces):
        # People without a face seen: an outline is evidence of people only beside a named
        # student (alone, the cascade also answers on a pumpkin or a plate), and weak evidence.
        if not named.students:
            return None
        strong = False
    local = taken.astimezone(ctx.config.district.tz)
    return Hit(
        key="instructional-day",
        summary=f"Personal account posted an image of {_people(faces)}"
        f"{' in a school context' if school else ''}, taken {local:%a %Y-%m-%d %H:%M} "
        f"({source})",
        category="student-image-instructional-day",
        spans=[s for spans in named.spans.values() for s in spans],
        details={
            "images": _faces_evidence(faces),
            "capture_time": taken.isoformat(),
            "capture_time_local": local.isoformat(),
            "capture_source": source,
            "students": sorted(named.students),
            "context": context.evidence(),
            "evidence_strength": "strong" if strong else "weak",
        },
        detector=DETECTOR,
        score=_best(faces),
        level=None if strong else Level.ADVISORY,
    )


def _capture_time(
    target: Target, media: list[dict[str, Any]], ctx: CheckContext
) -> tuple[datetime | None, str]:
    for item in media:
        raw = item["analysis"].get("exif_time")
        if raw:
            taken = datetime.fromisoformat(raw)
            if taken.tzinfo is None:  # camera-local time: read it in the district's zone
                taken = taken.replace(tzinfo=ctx.config.district.tz)
            return taken, item["analysis"].get("exif_source") or "exif"
    return target.published_at, "published_at"


def _in_instructional_day(moment: datetime, ctx: CheckContext, params: StudentImageParams) -> bool:
    day = ctx.config.district.instructional_day
    local = moment.astimezone(ctx.config.district.tz)
    if params.summer[0] <= f"{local:%m-%d}" <= params.summer[1]:
        return False
    return WEEKDAYS[local.weekday()] in day.weekdays and day.start <= local.time() < day.end


def _texts(target: Target, media: list[dict[str, Any]]) -> str:
    parts = [target.title or "", target.text or ""]
    parts += [m["analysis"].get("ocr_text") or "" for m in media]
    parts += [m.get("alt") or "" for m in media]
    return fold("\n".join(parts))


def _faces_evidence(faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    by_image: dict[str, dict[str, Any]] = {}
    for media, face in faces:
        analysis = media["analysis"]
        entry = by_image.setdefault(analysis["sha256"], _image_evidence(media))
        kind = "figures" if face.get("kind") == "figure" else "faces"
        entry.setdefault(kind, []).append({"box": list(face["box"]), "score": face["score"]})
    return list(by_image.values())


def _image_evidence(media: dict[str, Any]) -> dict[str, Any]:
    analysis = media["analysis"]
    return {
        "url": media.get("url"),
        "sha256": analysis["sha256"],
        "role": media.get("role"),
        "exif_time": analysis.get("exif_time"),
        "exif_source": analysis.get("exif_source"),
        "detector": (analysis.get("detectors") or {}).get("faces"),
    }


def _people(faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    figures = sum(1 for _, f in faces if f.get("kind") == "figure")
    if figures == len(faces):
        return f"{figures} person figure(s) without a detectable face"
    return f"{len(faces)} face(s)"


def _best(faces: list[tuple[dict[str, Any], dict[str, Any]]]) -> float:
    return max(float(f["score"]) for _, f in faces)
