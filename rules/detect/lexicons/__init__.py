"""Word lists and phrase patterns the text checks share, kept as data (YAML beside this file).

A lexicon is mostly data, in the manner of presidio's recognizers: literal terms matched as whole
words, and regular expressions that only run when one of their trigger words is present. The
matching machinery lives in `matcher.py`; what makes a post refer to the district lives in
`district.py`.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

def _fold_table() -> dict[int, str]:
    """One character for one character, so offsets in the folded text are offsets in the post:
    every Latin letter (Latin-1, Extended-A/B, Extended Additional: Nguyễn -> nguyen, José ->
    jose, Łukasz -> lukasz, Søren -> soren), Greek and Cyrillic lose accents and case; typographic
    quotes, dashes and unusual spaces are straightened."""
    table: dict[int, str] = {}
    for code in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x370, 0x530),
                 *range(0x1E00, 0x1F00)]:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != char:
            table[code] = base
    # Letters with a stroke have no decomposition; people still write them without it.
    for letters, plain in (("øØ", "o"), ("łŁ", "l"), ("đĐ", "d"), ("ħĦ", "h"), ("ŧŦ", "t"),
                           ("ı", "i"), ("ƀɃ", "b"), ("ɨƗ", "i"), ("ʉɄ", "u")):
        table.update({ord(c): plain for c in letters})
    table.update({0x2018: "'", 0x2019: "'", 0x02BC: "'", 0x201C: '"', 0x201D: '"', 0x2010: "-",
                  0x2011: "-", 0x2013: "-", 0x2014: "-", 0x00A0: " ", 0x202F: " ", 0x2009: " "})
    return table


_TABLE = _fold_table()
_last: tuple[str, str] = ("", "")


def fold(text: str) -> str:
    """Lower-case and accent-fold `text` without changing its length (offsets stay valid).

    The one folding function of the text checks (roster names, lexicons, identifiers). The last
    result is kept, so the checks that read the same post one after another fold it once."""
    global _last
    last = _last
    if last[0] is text:
        return last[1]
    if text.isascii():
        folded = text.lower()
    else:
        folded = text.lower()
        if len(folded) != len(text):  # e.g. 'İ' lowers to two characters: go one by one
            folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        folded = folded.translate(_TABLE)
    _last = (text, folded)
    return folded


@cache
def load(name: str) -> dict[str, Any]:
    """The lexicon `<name>.yaml` from this folder, parsed once per process."""
    data = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"lexicon {name}.yaml: expected a mapping")
    return data
