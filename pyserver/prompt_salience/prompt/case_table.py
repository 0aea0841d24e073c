"""A table of cases for a batch run: a `.csv` or `.jsonl` file with one row per case.

Columns are the template's variable names, plus three optional ones: `name` (the case's id),
`target` (a what-if response to explain instead of generating) and `expect` (the front-matter's
`expect:` list as JSON, e.g. `[{"contains": "Avoid"}]`; in a CSV cell plain text means one
`contains`). A row that cannot run (a missing variable, a value that is not text, a malformed
`expect`, a repeated id) is reported by its number and skipped; the others run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import PromptFileError, PromptSalienceError
from .expectations import read_expectation
from .parsed_prompt import Expectation, Problem, PromptCase, PromptFile, VariableValue
from .template import render_case

RESERVED = ("name", "target", "expect")


@dataclass(frozen=True)
class TableRow:
    """One runnable row. `number` counts data rows from 1 (a CSV's header is not one)."""

    number: int
    case_id: str
    variables: Mapping[str, str]
    target: str | None
    expect: tuple[Expectation, ...]


@dataclass(frozen=True)
class BadRow:
    number: int
    problem: str
    fix: str

    def one_line(self) -> str:
        return f"row {self.number}: {self.problem} Fix: {self.fix}"


def case_id(name: str | None, variables: Mapping[str, str]) -> str:
    """The row's name, else a hash of its variables: stable across runs and row order."""
    if name:
        return name
    digest = hashlib.sha256(
        json.dumps(dict(variables), sort_keys=True, ensure_ascii=False).encode()
    )
    return f"vars-{digest.hexdigest()[:12]}"


def read_case_table(path: Path) -> tuple[list[TableRow], list[BadRow]]:
    """The runnable rows and the bad ones; PromptFileError when the file cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PromptFileError(
            f"Cannot read the data file {path} ({error}).",
            "Give a UTF-8 `.csv` or `.jsonl` file with one row per case.",
            path=str(path),
        ) from error
    if path.suffix.lower() == ".csv":
        records = _csv_records(text, path)
    elif path.suffix.lower() == ".jsonl":
        records = _jsonl_records(text)
    else:
        raise PromptFileError(
            f"{path.name} is neither a `.csv` nor a `.jsonl` file.",
            "Give the data as CSV (a header row of variable names) or JSON Lines.",
            path=str(path),
        )
    rows: list[TableRow] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for number, record in records:
        row = record if isinstance(record, BadRow) else _row(number, record)
        if isinstance(row, TableRow) and row.case_id in seen:
            row = BadRow(
                number,
                f"Case id {row.case_id!r} repeats row {seen[row.case_id]}.",
                "Give each row its own `name` (ids key the results file, for --resume).",
            )
        if isinstance(row, BadRow):
            bad.append(row)
        else:
            seen[row.case_id] = number
            rows.append(row)
    return rows, bad


def _csv_records(text: str, path: Path) -> list[tuple[int, dict[str, Any] | BadRow]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise PromptFileError(
            f"{path.name} has no header row.",
            "Start the CSV with a row of column names: the variables, and optionally "
            "name, target, expect.",
            path=str(path),
        )
    found: list[tuple[int, dict[str, Any] | BadRow]] = []
    for number, record in enumerate(reader, start=1):
        if None in record:  # more cells than columns
            problem = "The row has more cells than the header."
            found.append((number, BadRow(number, problem, "Quote cells that hold commas.")))
        elif any(value is None for value in record.values()):
            problem = "The row has fewer cells than the header."
            found.append((number, BadRow(number, problem, "Give every column a cell.")))
        else:
            found.append((number, dict(record)))
    return found


def _jsonl_records(text: str) -> list[tuple[int, dict[str, Any] | BadRow]]:
    found: list[tuple[int, dict[str, Any] | BadRow]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            found.append(
                (
                    number,
                    BadRow(number, f"Not JSON ({error.msg}).", "Write one JSON object per line."),
                )
            )
            continue
        if not isinstance(record, dict):
            found.append(
                (
                    number,
                    BadRow(number, "Not a JSON object.", 'Write e.g. {"menu_item": "Onion soup"}.'),
                )
            )
        else:
            found.append((number, record))
    return found


def _row(number: int, record: dict[str, Any]) -> TableRow | BadRow:
    variables: dict[str, str] = {}
    for key, value in record.items():
        if key in RESERVED:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return BadRow(number, f"The value of `{key}` is not text.", "Give text (or a number).")
        variables[key] = str(value)
    name = record.get("name")
    target = record.get("target")
    for key, value in (("name", name), ("target", target)):
        if value is not None and not isinstance(value, str):
            return BadRow(number, f"`{key}` must be text.", f"Write `{key}` as a string.")
    expect = _expectations(record.get("expect"))
    if isinstance(expect, BadRow):
        return replace(expect, number=number)
    return TableRow(number, case_id(name or None, variables), variables, target or None, expect)


def _expectations(raw: Any) -> tuple[Expectation, ...] | BadRow:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.lstrip().startswith("[") else [{"contains": raw}]
        except json.JSONDecodeError as error:
            return BadRow(0, f"`expect` is not a JSON list ({error.msg}).", _EXPECT_FIX)
    if not isinstance(raw, list):
        return BadRow(0, "`expect` must be a list of expectations.", _EXPECT_FIX)
    found: list[Expectation] = []
    for item in raw:
        if not (isinstance(item, dict) and len(item) == 1):
            return BadRow(0, "An expectation must be one `kind: text` pair.", _EXPECT_FIX)
        ((kind, text),) = item.items()
        if not isinstance(text, str):
            return BadRow(0, f"The `{kind}` expectation must be text.", _EXPECT_FIX)
        read = read_expectation(str(kind), _unplaced("expect", text), 0, 0)
        if isinstance(read, Problem):
            return BadRow(0, read.problem, read.fix)
        found.append(read)
    return tuple(found)


_EXPECT_FIX = 'Write e.g. [{"contains": "Avoid"}, {"not_regex": "/try it/"}].'


def _unplaced(name: str, value: str) -> VariableValue:
    """A value that comes from the data file, not from the file the user edits (no offsets)."""
    return VariableValue(name, value, (-1,) * len(value))


def row_case(template: PromptFile, row: TableRow) -> PromptCase:
    """The row as a case of `template`: its values over the template's `vars:` defaults, its
    expectations (else those the template gives its first case)."""
    values = {n: _unplaced(n, v) for n, v in row.variables.items()}
    defaults = template.cases[0].variables if template.cases else template.variables
    variables = {**defaults, **values}
    missing = sorted({p.name for p in template.placeholders} - set(variables))
    if missing:
        raise PromptFileError(
            f"No value for {', '.join(f'`{m}`' for m in missing)}.",
            "Add the column to the data, or a default under `vars:` in the template.",
        )
    expect = row.expect or (template.cases[0].expect if template.cases else ())
    target = _unplaced("target", row.target) if row.target is not None else None
    return PromptCase(row.case_id, MappingProxyType(variables), target, 0, expect=expect)


def render_row(template: PromptFile, row: TableRow) -> tuple[PromptFile, PromptCase] | BadRow:
    """The template holding only this row's case, ready to render; or why the row cannot run."""
    try:
        case = row_case(template, row)
        document = replace(template, cases=(case,))
        render_case(document, case.name)  # refuses an empty prompt too
    except PromptSalienceError as error:
        return BadRow(row.number, error.problem, error.fix)
    return document, case
