"""Whole-word term matching with one Aho-Corasick pass, plus trigger-gated regular expressions.

Why a word automaton rather than one big regex: a few hundred alternatives in `re` are tried at
every position of every post; pyahocorasick walks the text once whatever the number of terms
(the issue's trial: ~100,000 posts/s over a 5,000-name roster). Whole-word boundaries are checked
after a match, which is what keeps "Scunthorpe", "class assessment" and "cocktail" clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from rules.detect.lexicons import fold


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    label: str  # what the term stands for (a category, "district", "staff", ...)
    term: str


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class TermMatcher:
    """Finds whole-word occurrences of literal terms. A term ending in `*` also matches longer
    words that start with it ("fuck*" finds "fucking"). Matching is on folded text."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, bool, str]]] = {}
        for raw, label in terms:
            prefix = raw.endswith("*")
            key = fold(raw.rstrip("*").strip())
            if key:
                entries.setdefault(key, []).append((label, prefix, raw))
        for key, values in entries.items():
            self._automaton.add_word(key, (len(key), values))
        self.empty = not entries
        if not self.empty:
            self._automaton.make_automaton()

    def find(self, folded: str) -> list[Match]:
        """Matches in `folded` (already passed through `fold`), left to right."""
        if self.empty:
            return []
        found = []
        n = len(folded)
        for end_index, (length, values) in self._automaton.iter(folded):
            start, end = end_index - length + 1, end_index + 1
            if start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                continue
            after_is_word = end < n and (folded[end].isalnum() or folded[end] == "_")
            for label, prefix, raw in values:
                stop = end
                if prefix:
                    while stop < n and _is_word(folded[stop]):
                        stop += 1
                elif after_is_word:
                    continue
                found.append(Match(start, stop, label, raw))
        found.sort(key=lambda m: (m.start, -m.end))
        return found


class PatternSet:
    """Regular expressions grouped by label; a group runs only when one of its triggers (whole
    words, found by the caller's TermMatcher) is in the post. Patterns are case-insensitive and
    run on folded text."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self._compiled = {
            label: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
            for label, patterns in groups.items()
            if patterns
        }

    def find(self, folded: str, labels: Iterable[str]) -> list[Match]:
        found = []
        for label in labels:
            compiled = self._compiled.get(label)
            if compiled is None:
                continue
            for m in compiled.finditer(folded):
                if m.end() > m.start():
                    found.append(Match(m.start(), m.end(), label, m.group(0)))
        return found
