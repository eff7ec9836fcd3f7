"""The offensive-language classifier behind `conduct`: alt-profanity-check (a maintained fork of
profanity-check; a TF-IDF + linear SVM model shipped inside the wheel, so it runs offline).

Calling scikit-learn costs ~3 ms per call whatever the number of texts (~7 µs per text in a call
of 1,000), far too slow post by post for a million posts, so posts are screened first: only a post
containing at least one word that the model itself scores as offensive on its own (`screen`,
matched as whole words by the conduct check's automaton) is passed to the model, and the conduct
check scores a batch's screened posts in one call (`scores`). Both the screen and the score come
from the same model, so the screen changes speed, not meaning, except for posts offensive only
through word combinations the model cannot see one word at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class OffensiveClassifier:
    screen: frozenset[str]
    _predict: Any

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

    def score(self, text: str) -> float:
        return float(self._predict([text])[0])

    def scores(self, texts: list[str]) -> list[float]:
        """Scores of many texts in one call: scikit-learn's fixed cost (~3 ms) is paid once."""
        return [float(s) for s in self._predict(texts)] if texts else []
