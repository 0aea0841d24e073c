"""LIT-style `.jsonl` datasets: one `{"prompt": ..., "target": ..., "source": ...}` per line.

A record may also carry `"expect": [{"contains": "..."}, {"not_regex": "/.../"}, ...]`, the
front-matter's `expect:` list written in JSON; its problems are the file's, at the item.

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
from .expectations import kind_problem, not_a_list, not_a_pair, read_expectation
from .line_index import LineIndex
from .parsed_prompt import (
    Expectation,
    Problem,
    PromptCase,
    PromptFile,
    PromptSettings,
    VariableValue,
)

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
    expect: tuple[Expectation, ...] = ()
    problems: tuple[Problem, ...] = ()  # in its `expect` list


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
    expect: tuple[Expectation, ...] = ()
    problems: tuple[Problem, ...] = ()
    if data.get("expect") is not None:
        expect, problems = _expectations(data["expect"], line, values["expect"][0], start)
    return DatasetRecord(
        prompt=prompt,
        target=target if isinstance(target, str) else None,
        source=source if isinstance(source, str) else None,
        line=number,
        prompt_offsets=offsets("prompt") or (),
        target_offsets=offsets("target"),
        expect=expect,
        problems=problems,
    )


def _expectations(
    value: object, line: str, column: int, start: int
) -> tuple[tuple[Expectation, ...], tuple[Problem, ...]]:
    """A record's `expect` list, whose value starts at `column` of the line that starts at file
    offset `start`: the expectations, and the problems of the bad items."""
    if not isinstance(value, list):
        return (), (not_a_list(start + column, start + _value_end(line, column)),)
    found: list[Expectation] = []
    problems: list[Problem] = []
    for item, (item_start, item_end) in zip(value, _array_items(line, column), strict=True):
        where = (start + item_start, start + item_end)
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(not_a_pair(*where))
            continue
        ((kind, text),) = item.items()
        problem = kind_problem(kind, *where)
        if problem is None and not isinstance(text, str):
            problem = Problem(
                "error",
                f"`{kind}` must be a string.",
                f'Write e.g. {{"{kind}": "Avoid"}}; a regex as "/Avoid/".',
                *where,
            )
        if problem is not None:
            problems.append(problem)
            continue
        scanned = _top_level_values(line, item_start)[kind][1] or ()
        offsets = tuple(start + o for o in scanned) if len(scanned) == len(text) else ()
        checked = read_expectation(kind, VariableValue(kind, text, offsets), *where)
        if isinstance(checked, Problem):
            problems.append(checked)
        else:
            found.append(checked)
    return tuple(found), tuple(problems)


def _top_level_values(line: str, at: int = 0) -> dict[str, tuple[int, tuple[int, ...] | None]]:
    """For each key of the object at column `at` (the whole line's by default): its value's
    column (0-based) and, for a string, the offset in the line of each decoded character.

    The line is valid JSON holding an object (json.loads said so); a repeated key keeps its last
    value, as json.loads does.
    """
    found: dict[str, tuple[int, tuple[int, ...] | None]] = {}
    position = _skip_space(line, at) + 1  # past "{"
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


def _array_items(line: str, at: int) -> list[tuple[int, int]]:
    """The columns [start, end) of each item of the JSON array at column `at` (valid JSON)."""
    items: list[tuple[int, int]] = []
    position = _skip_space(line, at + 1)  # past "["
    while line[position] != "]":
        end = _value_end(line, position)
        items.append((position, end))
        position = _skip_space(line, end)
        if line[position] == ",":
            position = _skip_space(line, position + 1)
    return items


def _value_end(line: str, position: int) -> int:
    """The column just past the JSON value at `position` (trailing space excluded)."""
    if line[position] == '"':
        return _json_string(line, position)[2]
    end = _skip_value(line, position)
    while line[end - 1] in _WHITESPACE:
        end -= 1
    return end


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
        cases.append(
            PromptCase(name, MappingProxyType({}), target, record.line, prompt, record.expect)
        )
    return PromptFile(
        path=path,
        text=text,
        settings=PromptSettings(),
        body="",
        body_offset=0,
        placeholders=(),
        variables=MappingProxyType({}),
        cases=tuple(cases),
        problems=tuple(p for record in records for p in record.problems),
        raw=True,
    )
