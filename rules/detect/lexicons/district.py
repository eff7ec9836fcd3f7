"""What makes text refer to the district, and where a profile keeps its contact data.

Built once per run from the district's configuration (`DistrictTerms.for_context`): the names the
district goes by, its schools (with "High"/"Middle" short forms and acronyms such as "PLHS"), its
staff, its students, and the generic words in `references.yaml` ("our students", "my class").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from hallmonitor.config import DistrictConfig
from rules.base import CheckContext, Target
from rules.detect.lexicons import fold, load
from rules.detect.lexicons.matcher import Match, TermMatcher, compile_folded

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_SCHOOL_SUFFIX = re.compile(r"\s+(school|academy)$", re.IGNORECASE)
# What people drop when they speak of a school or district by its place name ("Cedar Ridge",
# "Prairie Lakes"); only kept when at least two words remain, so "Lakeview" or "Lincoln" alone
# (too common to be safe) must be listed in `names` by the district itself.
_TYPE_SUFFIX = re.compile(
    r"\s+(public\s+schools?|school\s+district|public\s+school\s+district|schools|"
    r"high\s+school|middle\s+school|elementary\s+school|junior\s+high(\s+school)?|elementary|"
    r"academy|school|high|middle)$",
    re.IGNORECASE,
)
_SMALL_WORDS = {"of", "the", "and", "at", "for", "&"}
_KIND = re.compile(r"\b(middle|high|elementary)(?:\s+school)?$", re.IGNORECASE)
_KIND_SHORT = {"middle": ("MS", "Middle"), "high": ("HS", "High"), "elementary": ("Elem", "ES")}
_HASHTAG = re.compile(r"#(\w{3,})")

# Labels of the matches: the district itself (or a school) versus people and generic words.
NAME = "name"  # a name of the district or one of its schools
STAFF = "staff"
STUDENT = "student"
GENERIC = "generic"  # "students", "my class", "our team", ...


def _acronym(name: str) -> str | None:
    words = [w for w in re.split(r"[\s-]+", name) if w and w.lower() not in _SMALL_WORDS]
    letters = "".join(w[0] for w in words if w[0].isalpha()).upper()
    return letters if len(words) >= 3 and len(letters) >= 3 else None


def name_variants(names: Iterable[str], acronyms: bool = True) -> set[str]:
    """A name plus the forms people write: without a trailing 'School', its place name, and its
    acronym."""
    out: set[str] = set()
    for name in names:
        name = name.strip()
        if not name:
            continue
        out.add(name)
        short = _SCHOOL_SUFFIX.sub("", name)
        if short != name and len(short.split()) >= 2:
            out.add(short)
        core = _TYPE_SUFFIX.sub("", name)
        if core != name and len(core.split()) >= 2:
            out.add(core)
        acronym = _acronym(name) if acronyms else None
        if acronym:
            out.add(acronym)
        # How staff shorten a school's type: "Cottonwood MS", "Pine Ridge HS", "GFE High" (the
        # place name's initials and the type word).
        kind = _KIND.search(name)
        if core != name and kind:
            base = [core]
            initials = _acronym(core + " x") if acronyms else None
            if initials and len(initials) >= 4:
                base.append(initials[:-1])
            for short in _KIND_SHORT[kind.group(1).lower()]:
                out.update(f"{b} {short}" for b in base)
    return out


def place_words(names: Iterable[str]) -> set[str]:
    """One-word place names left when a school's type is dropped ("Fieldstone" of "Fieldstone
    Elementary"). Too common to count as a reference on their own ("Lincoln"), they are safe in
    phrases that claim to speak for an organisation ("we at Fieldstone have decided")."""
    out = set()
    for name in names:
        core = _TYPE_SUFFIX.sub("", name.strip())
        if core != name.strip() and len(core.split()) == 1 and len(core) >= 4:
            out.add(fold(core))
    return out


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower().rstrip(".")


def is_district_domain(domain: str, domains: Iterable[str]) -> bool:
    """The domain is a district domain or a subdomain of one (staff@hs.district.k12.mn.us)."""
    domain = domain.lower().rstrip(".")
    for own in domains:
        own = own.lower().strip().lstrip("@").rstrip(".")
        if own and (domain == own or domain.endswith("." + own)):
            return True
    return False


@dataclass
class DistrictTerms:
    """Matchers for references to the district, built once per run."""

    names: TermMatcher  # district and school names only
    references: TermMatcher  # names + staff + students + generic words
    email_domains: tuple[str, ...]
    homepage_host: str
    phone_digits: str | None
    name_forms: tuple[str, ...] = ()  # folded names, longest first, for regex templates

    @classmethod
    def build(cls, config: DistrictConfig) -> DistrictTerms:
        district = config.district
        # The district's own short names are listed in `names`; schools get derived forms too.
        names = name_variants([district.name, *district.names], acronyms=False)
        names |= name_variants(s.name for s in district.schools)
        name_terms = [(n, NAME) for n in names]
        refs: list[tuple[str, str]] = list(name_terms)
        for person in config.staff:
            refs.append((f"{person.first_name} {person.last_name}", STAFF))
            for title in ("mr.", "mrs.", "ms.", "miss", "dr.", "coach"):
                refs.append((f"{title} {person.last_name}", STAFF))
        for student in config.students:
            refs.append((student.full_name, STUDENT))
            if student.preferred_name and student.preferred_name != student.first_name:
                refs.append((f"{student.preferred_name} {student.last_name}", STUDENT))
        refs.extend((term, GENERIC) for term in load("references")["generic"])
        host = (urlparse(district.homepage).hostname or "").lower().removeprefix("www.")
        digits = re.sub(r"\D", "", district.phone or "")[-10:] or None
        forms = tuple(sorted({fold(n) for n in names}, key=lambda n: (-len(n), n)))
        return cls(
            TermMatcher(name_terms),
            TermMatcher(refs),
            tuple(district.email_domains),
            host,
            digits,
            forms,
        )

    @classmethod
    def for_context(cls, ctx: CheckContext) -> DistrictTerms:
        built: DistrictTerms = ctx.cached("lexicons.district_terms", lambda: cls.build(ctx.config))
        return built

    def name_pattern(self, *generic: str) -> str:
        """A regex alternation (no capture) of the district's and schools' names, plus `generic`
        phrases such as "the district"; for lexicon templates with a `{name}` or `{org}` slot."""
        forms = [re.escape(n).replace("\\ ", r"\s+") for n in self.name_forms]
        forms += [g.replace(" ", r"\s+") for g in generic]
        return "(?:" + "|".join(forms) + r")\b"

    def template(self, pattern: str, *generic: str) -> re.Pattern[str]:
        alternation = self.name_pattern(*generic)
        return compile_folded(pattern.replace("{name}", alternation).replace("{org}", alternation))

    def name_mentions(self, text: str) -> list[Match]:
        """Where the district or one of its schools is named. Acronyms only count in capitals
        (a folded 'plps' inside ordinary prose is rare, but 'ISD' style tokens are written
        upper-case)."""
        return [m for m in self.names.find(fold(text)) if _case_ok(text, m)]

    def hashtag_mentions(self, text: str) -> list[Match]:
        """Names run into a hashtag: "#KRHSEnglish", "#CVteachersCaucus". A hashtag counts when
        it starts with a name form written without its spaces (an acronym only in capitals)."""
        if "#" not in text:
            return []
        found = []
        for tag in _HASHTAG.finditer(text):
            body = tag.group(1)
            folded = fold(body)
            for form in self._joined_forms:
                if folded.startswith(form) and (
                    len(form) > 4 or body[: len(form)] == body[: len(form)].upper()
                ):
                    found.append(Match(tag.start(), tag.end(), NAME, body))
                    break
        return found

    @cached_property
    def _joined_forms(self) -> tuple[str, ...]:
        """Names without their spaces; a plural team name also in the singular a hashtag
        builds on ("#ThunderhawkFootball" for the Thunderhawks)."""
        forms = [f.replace(" ", "") for f in self.name_forms if len(f.replace(" ", "")) >= 3]
        forms += [f[:-1] for f in forms if f.endswith("s") and not f.endswith("ss") and len(f) > 7]
        return tuple(sorted(set(forms), key=lambda f: (-len(f), f)))

    def reference_mentions(self, text: str) -> list[Match]:
        return [m for m in self.references.find(fold(text)) if _case_ok(text, m)]


def _case_ok(text: str, match: Match) -> bool:
    term = match.term
    if term.isupper() and " " not in term and len(term) <= 6:
        return text[match.start : match.end] == term
    return True


def profile_contact(target: Target) -> list[tuple[str, str]]:
    """(where, value) pairs of a profile's contact data: e-mails, website, links and the bio."""
    extra: dict[str, Any] = target.extra or {}
    found: list[tuple[str, str]] = []
    for email in extra.get("emails") or []:
        found.append(("emails", str(email)))
    for key in ("website", "phone"):
        if extra.get(key):
            found.append((key, str(extra[key])))
    for key in ("links", "phones"):
        for value in extra.get(key) or []:
            found.append((key, str(value)))
    if target.text:
        found.append(("bio", target.text))
    return found


def emails_in(value: str) -> list[re.Match[str]]:
    return list(EMAIL.finditer(value))


def phone_digits_in(value: str) -> list[str]:
    return [re.sub(r"\D", "", m.group(0))[-10:] for m in PHONE.finditer(value)]
