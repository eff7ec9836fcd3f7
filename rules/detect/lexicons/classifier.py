"""The offensive-language classifier behind `conduct`: alt-profanity-check (a maintained fork of
profanity-check; a TF-IDF + linear SVM model shipped inside the wheel, so it runs offline).

Calling scikit-learn for every post costs ~0.2 ms, far too slow for a million posts, so posts are
screened first: only a post containing at least one word that the model itself scores as
offensive on its own is passed to the model. Both the screen and the score come from the same
model, so the screen changes speed, not meaning, except for posts offensive only through word
combinations the model cannot see one word at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rules.detect.lexicons.matcher import TermMatcher


@dataclass
class OffensiveClassifier:
    screen: frozenset[str]
    _predict: Any
    _matchers: dict[frozenset[str], TermMatcher] = field(default_factory=dict)

    @classmethod
    def load(cls, screen_threshold: float = 0.5) -> OffensiveClassifier:
        # Imported here: scikit-learn takes about a second to import.
        from profanity_check import predict_prob
        from profanity_check.profanity_check import vectorizer

        vocabulary = sorted(vectorizer.vocabulary_)
        scores = predict_prob(vocabulary)
        screen = frozenset(
            w for w, s in zip(vocabulary, scores, strict=True) if s >= screen_threshold
        )
        return cls(screen, predict_prob)

    def suspicious(self, folded: str, ignore: Iterable[str] = ()) -> list[tuple[int, int]]:
        """Spans of the words that made the post worth scoring (whole words, one automaton pass),
        leaving out the `ignore` words."""
        key = frozenset(ignore)
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = TermMatcher((w, "screen") for w in self.screen - key)
            self._matchers[key] = matcher
        return [(m.start, m.end) for m in matcher.find(folded)]

    def score(self, text: str) -> float:
        return float(self._predict([text])[0])
