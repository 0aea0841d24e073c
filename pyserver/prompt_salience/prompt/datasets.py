"""LIT-style `.jsonl` datasets: one `{"prompt": ..., "target": ..., "source": ...}` per line.

Each record becomes a case of a PromptFile (named after its `source`, else `line N`), so the
engine renders and explains a dataset like a prompt file with cases; the prompt's source map
points into the `.jsonl` text, each decoded character at the file character it came from (an
escape such as `\\n` or `\\u00e9` at its backslash).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType

from ..errors import PromptFileError
from .line_index import LineIndex
from .parsed_prompt import PromptCase, PromptFile, PromptSettings, VariableValue

_JSON_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class DatasetRecord:
    """One record; `line` is 0-based, `*_offsets[i]` is the file offset of that string's char i."""

    prompt: str
    target: str | None
    source: str | None
    line: int
    prompt_offsets: tuple[int, ...]
    target_offsets: tuple[int, ...] | None


def load_dataset(text: str, path: str | None = None) -> list[DatasetRecord]:
    """The records of a `.jsonl` text; blank lines are skipped, keys other than ours ignored."""
    records = []
    for number, (start, end) in enumerate(LineIndex(text).line_spans()):
        line = text[start:end]
        if line.strip():
            records.append(_record(text, start, line, number, path))
    return records


def _record(text: str, start: int, line: str, number: int, path: str | None) -> DatasetRecord:
    def error(problem: str, fix: str, column: int) -> PromptFileError:
        return PromptFileError(problem, fix, path=path, line=number + 1, column=column)

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise error(
            f"Line {number + 1} is not valid JSON: {exc.msg}.",
            'Write one JSON object per line, e.g. {"prompt": "...", "target": "..."}.',
            exc.colno,
        ) from None
    if not isinstance(data, dict):
        raise error(
            f"Line {number + 1} holds a JSON {type(data).__name__}, not an object.",
            'Write one JSON object per line, e.g. {"prompt": "..."}.',
            1,
        )
    values = _top_level_values(line)
    prompt = data.get("prompt")
    if not isinstance(prompt, str):
        problem = "has no `prompt`" if prompt is None else "has a `prompt` that is not a string"
        raise error(
            f"The record on line {number + 1} {problem}.",
            'Give every record a text prompt: {"prompt": "..."}.',
            values.get("prompt", (0, None))[0] + 1,
        )
    for key in ("target", "source"):
        if key in data and not isinstance(data[key], str | None):
            raise error(
                f"`{key}` on line {number + 1} is not a string.",
                f'Write `"{key}": "..."`, or leave it out.',
                values[key][0] + 1,
            )

    def offsets(key: str) -> tuple[int, ...] | None:
        value = data.get(key)
        if not isinstance(value, str):
            return None
        scanned = values[key][1]
        if scanned is None or len(scanned) != len(value):  # not expected: keep the value
            return (-1,) * len(value)
        return tuple(start + column for column in scanned)

    target = data.get("target")
    source = data.get("source")
    return DatasetRecord(
        prompt=prompt,
        target=target if isinstance(target, str) else None,
        source=source if isinstance(source, str) else None,
        line=number,
        prompt_offsets=offsets("prompt") or (),
        target_offsets=offsets("target"),
    )


def _top_level_values(line: str) -> dict[str, tuple[int, tuple[int, ...] | None]]:
    """For each top-level key: its value's column (0-based) and, for a string, the offset in the
    line of each decoded character.

    The line is valid JSON holding an object (json.loads said so); a repeated key keeps its last
    value, as json.loads does.
    """
    found: dict[str, tuple[int, tuple[int, ...] | None]] = {}
    position = _skip_space(line, 0) + 1  # past "{"
    while True:
        position = _skip_space(line, position)
        if line[position] == "}":
            return found
        key, _, position = _json_string(line, position)
        position = _skip_space(line, _skip_space(line, position) + 1)  # past ":"
        value_start = position
        if line[position] == '"':
            _, offsets, position = _json_string(line, position)
            found[key] = (value_start, offsets)
        else:
            position = _skip_value(line, position)
            found[key] = (value_start, None)
        position = _skip_space(line, position)
        if line[position] == ",":
            position += 1


def _skip_space(line: str, position: int) -> int:
    while position < len(line) and line[position] in _WHITESPACE:
        position += 1
    return position


def _json_string(line: str, start: int) -> tuple[str, tuple[int, ...], int]:
    """Decode the JSON string literal at `start` (its opening quote).

    Returns the string, the offset of each decoded character (an escape's at its backslash; a
    surrogate pair escape gives one character) and the position after the closing quote.
    """
    chars: list[str] = []
    offsets: list[int] = []
    position = start + 1
    while line[position] != '"':
        at = position
        if line[position] != "\\":
            chars.append(line[position])
            position += 1
        elif line[position + 1] == "u":
            code = int(line[position + 2 : position + 6], 16)
            position += 6
            low = line[position + 2 : position + 6] if line.startswith("\\u", position) else ""
            if 0xD800 <= code < 0xDC00 and len(low) == 4 and 0xDC00 <= int(low, 16) < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                position += 6
            chars.append(chr(code))
        else:
            chars.append(_JSON_ESCAPES[line[position + 1]])
            position += 2
        offsets.append(at)
    return "".join(chars), tuple(offsets), position + 1


def _skip_value(line: str, position: int) -> int:
    """The position after the (non-string) JSON value at `position`."""
    depth = 0
    while position < len(line):
        char = line[position]
        if char == '"':
            position = _json_string(line, position)[2]
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0:
                return position
            depth -= 1
        elif char == "," and depth == 0:
            return position
        position += 1
    return position


def dataset_to_prompt_file(text: str, path: str | None = None) -> PromptFile:
    """A dataset as a PromptFile whose cases are its records (raises PromptFileError if bad).

    A case is named after the record's `source`, else `line N` (1-based); a repeated source gets
    ` (line N)` appended so that every case name is unique.
    """
    records = load_dataset(text, path)
    if not records:
        raise PromptFileError(
            "The dataset has no records.",
            'Write one JSON object per line, e.g. {"prompt": "...", "source": "..."}.',
            path=path,
            line=1,
            column=1,
        )
    uses = Counter(r.source for r in records if r.source)
    cases = []
    for record in records:
        name = record.source or f"line {record.line + 1}"
        if record.source and uses[record.source] > 1:
            name = f"{record.source} (line {record.line + 1})"
        target = None
        if record.target is not None and record.target_offsets is not None:
            target = VariableValue("target", record.target, record.target_offsets)
        prompt = VariableValue("prompt", record.prompt, record.prompt_offsets)
        cases.append(PromptCase(name, MappingProxyType({}), target, record.line, prompt))
    return PromptFile(
        path=path,
        text=text,
        settings=PromptSettings(),
        body="",
        body_offset=0,
        placeholders=(),
        variables=MappingProxyType({}),
        cases=tuple(cases),
        problems=(),
        raw=True,
    )
