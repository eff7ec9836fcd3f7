"""YAML loading that remembers where every value came from, so errors can name the line, and the
one way district files are decoded (`read_text`): district files are written with Notepad and
Excel, so an encoding problem must name the file and line and say how to fix it, never surface as
a bare `'utf-8' codec can't decode byte 0x97`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


@dataclass
class SourcedYaml:
    """A parsed YAML document plus the 1-based line of every mapping key and list item."""

    path: Path
    data: Any
    lines: dict[PathKey, int]

    def line_for(self, loc: PathKey) -> int | None:
        """The line of the deepest known prefix of `loc` (pydantic error locations can point
        below what the YAML spelled out, e.g. at a missing field)."""
        for cut in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:cut]))
            if line is not None:
                return line
        return None


class TextFileError(Exception):
    """A district file that cannot be read as text: which file, which line, what to do."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


class YamlSyntaxError(TextFileError):
    """Invalid YAML, or a file that cannot be decoded (an encoding problem is a TextFileError)."""


SAVE_AS_UTF8 = (
    "save it as UTF-8 (Excel: File > Save As > 'CSV UTF-8 (Comma delimited)'; "
    "Notepad: File > Save As > Encoding: UTF-8)"
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_text(path: Path) -> str:
    """The file's text. UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order
    mark (Excel's "Unicode text") are read; anything else raises TextFileError naming the line
    of the first byte that is not UTF-8. Windows-1252 is refused rather than guessed: a guessed
    encoding can turn a student's name into one the roster check no longer matches."""
    data = path.read_bytes()
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TextFileError(
                path, None, f"not valid UTF-16 text ({exc.reason}): {SAVE_AS_UTF8}"
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        if b"\x00" in data[:200]:
            kind = "looks like UTF-16 without a byte-order mark"
        else:
            kind = f"byte 0x{byte:02x} is not UTF-8 (the file looks like Windows-1252 or Latin-1)"
        raise TextFileError(path, line, f"cannot read the file: {kind}; {SAVE_AS_UTF8}") from exc


def load_yaml(path: Path) -> SourcedYaml:
    try:
        text = read_text(path)
    except TextFileError as exc:
        raise YamlSyntaxError(exc.path, exc.line, exc.message) from exc
    if not text.strip():
        raise YamlSyntaxError(path, None, "the file is empty")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(path, line, f"invalid YAML: {exc.problem}") from exc
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return SourcedYaml(path=path, data=data, lines=lines)


def _walk(node: yaml.Node, here: PathKey, lines: dict[PathKey, int]) -> None:
    lines.setdefault(here, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*here, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*here, index), lines)
