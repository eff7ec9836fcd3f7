"""Word lists and phrase patterns the text checks share, kept as data (YAML beside this file).

A lexicon is mostly data, in the manner of presidio's recognizers: literal terms matched as whole
words, and regular expressions that only run when one of their trigger words is present. The
matching machinery lives in `matcher.py`; what makes a post refer to the district lives in
`district.py`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

# Offsets must survive normalisation, so every replacement is one character for one character:
# accents folded, typographic quotes and dashes straightened.
_FOLD = str.maketrans(
    "áàâäãåāéèêëēíìîïīóòôöõøōúùûüūñçýÿšžł’‘“”–—",
    "aaaaaaaeeeeeiiiiiooooooouuuuuncyyszl''\"\"--",
)


def fold(text: str) -> str:
    """Lower-case and accent-fold `text` without changing its length (offsets stay valid)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # e.g. 'İ' lowers to two characters: go one by one
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered.translate(_FOLD)


@cache
def load(name: str) -> dict[str, Any]:
    """The lexicon `<name>.yaml` from this folder, parsed once per process."""
    data = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"lexicon {name}.yaml: expected a mapping")
    return data
