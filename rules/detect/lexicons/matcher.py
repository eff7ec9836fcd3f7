"""Whole-word term matching with one Aho-Corasick pass, plus trigger-gated regular expressions.

Why a word automaton rather than one big regex: a few hundred alternatives in `re` are tried at
every position of every post; pyahocorasick walks the text once whatever the number of terms
(the issue's trial: ~100,000 posts/s over a 5,000-name roster). Whole-word boundaries are checked
after a match, which is what keeps "Scunthorpe", "class assessment" and "cocktail" clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

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


_ESCAPE = re.compile(r"\\.|\(\?P[<=]")  # escapes (\S, \W) and named groups


def compile_folded(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile a pattern meant for folded (lower-case) text. Case-insensitive matching is asked
    for only when the pattern itself has an upper-case letter outside an escape such as \\S:
    on lower-case text it changes nothing else, and without it Python's `re` runs these
    lexicons' patterns about four times faster."""
    if any(c.isupper() for c in _ESCAPE.sub("", pattern)):
        flags |= re.IGNORECASE
    return re.compile(pattern, flags)


# Runs of letters and digits: what any whole-word match starts with (see Gate).
_RUN = re.compile(r"[^\W_]+")
_last_words: tuple[str, set[str]] = ("", set())


def words(folded: str) -> set[str]:
    """The runs of letters and digits in `folded`, computed once per text (the checks and the
    engine's gates read the same post one after another)."""
    global _last_words
    last = _last_words
    if last[0] is folded:
        return last[1]
    found = set(_RUN.findall(folded))
    _last_words = (folded, found)
    return found


@dataclass(frozen=True)
class Gate:
    """A check's promise about a text: `run` finds nothing in it unless the text (folded) has
    one of `words` as a whole run of letters and digits, or all the words of one of `groups`, or
    contains one of `substrings` anywhere.

    The engine tests the gates of all of a post's rules against one set of the post's words (a
    C-speed set operation) and skips the rules whose gate stays shut, so most posts never reach
    a check. A gate must only be conservative: opening for a post with nothing to find costs time,
    never a finding."""

    words: frozenset[str] = frozenset()
    groups: tuple[frozenset[str], ...] = ()
    substrings: tuple[str, ...] = ()
    _by_word: dict[str, list[frozenset[str]]] = field(default_factory=dict, compare=False,
                                                     repr=False)
    _keys: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _automaton: ahocorasick.Automaton | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # A group is looked at only when its longest word is in the text.
        for group in self.groups:
            self._by_word.setdefault(max(group, key=lambda w: (len(w), w)), []).append(group)
        object.__setattr__(self, "_keys", frozenset(self._by_word))
        if self.substrings:
            automaton = ahocorasick.Automaton()
            for text in self.substrings:
                automaton.add_word(text, None)
            automaton.make_automaton()
            object.__setattr__(self, "_automaton", automaton)

    @classmethod
    def for_terms(cls, keys: Iterable[tuple[str, bool]], substrings: Iterable[str] = ()) -> Gate:
        """The gate of whole-word matching of folded `keys` ((key, matches longer words too)).
        A match starts and ends at word boundaries, so each run of letters and digits in the key
        is a whole run in the text, except a last run that may go on (a key like "fuck*")."""
        single, groups, subs = set(), set(), set(substrings)
        for key, prefix in keys:
            runs = _RUN.findall(key)
            if prefix and key[-1:].isalnum() and runs:
                runs.pop()  # the text's run only starts with it
            if runs:
                if len(runs) == 1:
                    single.add(runs[0])
                else:
                    groups.add(frozenset(runs))
            else:
                subs.add(key)
        groups = {g for g in groups if g.isdisjoint(single)}  # already opened by a single word
        return cls(frozenset(single), tuple(sorted(groups, key=sorted)), tuple(sorted(subs)))

    def __or__(self, other: Gate) -> Gate:
        return Gate(self.words | other.words, (*self.groups, *other.groups),
                    tuple(sorted({*self.substrings, *other.substrings})))

    def opens(self, folded: str, runs: set[str]) -> bool:
        if not runs.isdisjoint(self.words):
            return True
        if not runs.isdisjoint(self._keys):
            for word in runs & self._keys:
                for group in self._by_word[word]:
                    if group <= runs:
                        return True
        automaton = self._automaton
        return automaton is not None and next(automaton.iter(folded), None) is not None


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
        self.gate = Gate.for_terms((k, any(p for _, p, _ in v)) for k, v in entries.items())
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
    words, found by the caller's TermMatcher) is in the post. Patterns run on folded text, so
    they are written in lower case (see compile_folded)."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self._compiled = {
            label: compile_folded("|".join(f"(?:{p})" for p in patterns))
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
