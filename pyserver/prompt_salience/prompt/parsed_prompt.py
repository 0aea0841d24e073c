"""What a parsed prompt file holds: its settings, variables, cases (with their expectations),
placeholders and problems.

Plain frozen data, shared by the reader (`parsing.py`), the renderer (`template.py`), datasets and
the LSP. Offsets are code points into the file's own text (CRLF kept).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import PromptFileError
from .line_index import line_column
from .source_map import SourceMap

DEFAULT_CASE = "default"  # the one case of a file without `cases:`

Severity = Literal["error", "warning"]
ExpectationKind = Literal["contains", "not_contains", "regex", "not_regex"]
EXPECTATION_KINDS: tuple[ExpectationKind, ...] = ("contains", "not_contains", "regex", "not_regex")


@dataclass(frozen=True)
class PromptSettings:
    """The front-matter's scalar settings; None where the file leaves them out."""

    description: str | None = None
    model: str | None = None
    max_new_tokens: int | None = None
    method: str | None = None
    granularity: str | None = None
    target: str | None = None
    explain: str | None = None


@dataclass(frozen=True)
class VariableValue:
    """A value from the front-matter; `file_offsets[i]` is where `value[i]` stands in the file."""

    name: str
    value: str
    file_offsets: tuple[int, ...]


@dataclass(frozen=True)
class Expectation:
    """One `expect:` item: what the response must (`contains`, `regex`) or must not
    (`not_contains`, `not_regex`) hold.

    `written` is the text as written, a regex with its slashes, each character at its file
    offset; [start, end) are the file offsets of the whole item, for a diagnostic on it.
    """

    kind: ExpectationKind
    written: VariableValue
    start: int
    end: int

    @property
    def text(self) -> str:
        """The text to look for, or the regex's pattern (between the slashes)."""
        value = self.written.value
        return value[1:-1] if self.is_regex else value

    @property
    def is_regex(self) -> bool:
        return self.kind in ("regex", "not_regex")

    @property
    def negated(self) -> bool:
        return self.kind.startswith("not_")

    def describe(self) -> str:
        """The item as a user would write it, e.g. `not_contains: "You have to try it"`."""
        shown = self.written.value if self.is_regex else quote(self.written.value)
        return f"{self.kind}: {shown}"


@dataclass(frozen=True)
class PromptCase:
    """One set of variable values to render the template with (a CodeLens sits on `line`).

    `line` is 0-based: the case's `name:` line, or the body's first line for the implicit case.
    `prompt` is set only for dataset records, whose whole prompt comes from the record.
    `expect` holds the file's top-level expectations, then the case's own.
    """

    name: str
    variables: Mapping[str, VariableValue]
    target: VariableValue | None
    line: int
    prompt: VariableValue | None = None
    expect: tuple[Expectation, ...] = ()


@dataclass(frozen=True)
class Placeholder:
    """A `{{ name }}` in the body; [start, end) are the file offsets of the whole placeholder."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class TextFix:
    """A fix the problem's message describes, done mechanically: `text` in place of file offsets
    [start, end). `preferred` marks the one obvious fix (e.g. the closest name)."""

    title: str
    start: int
    end: int
    text: str
    preferred: bool = False


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file at file offsets [start, end), and how to fix it.

    `code` names the kind of problem for tools; `fixes`, best first, are the edits that mend it
    when an edit can (the editor's quick fixes).
    """

    severity: Severity
    problem: str
    fix: str
    start: int
    end: int
    code: str = "prompt-file"
    fixes: tuple[TextFix, ...] = ()


def value_problem(
    value: VariableValue, problem: str, fix: str, column: int | None = None
) -> Problem:
    """A problem on a whole value, or on its character at 1-based `column` when given (just
    past the value when `column` is one beyond its end, e.g. a regex missing its closing `)`).
    """
    offsets = [o for o in value.file_offsets if o >= 0] or [0]
    mapped = [*value.file_offsets, offsets[-1] + 1]
    if column is not None and 0 < column <= len(mapped) and mapped[column - 1] >= 0:
        at = mapped[column - 1]
        return Problem("error", problem, fix, at, at + 1)
    return Problem("error", problem, fix, offsets[0], offsets[-1] + 1)


def quote(text: str, limit: int = 60) -> str:
    """`text` as a JSON string (quoted, escapes on one line), cut to `limit` characters."""
    return json.dumps(text if len(text) <= limit else text[: limit - 1] + "…", ensure_ascii=False)


@dataclass(frozen=True)
class PromptFile:
    """A parsed prompt file. `body` is the template, starting at file offset `body_offset`.

    `raw` is True for a file without front-matter: its body is the prompt, sent as it is.
    """

    path: str | None
    text: str
    settings: PromptSettings
    body: str
    body_offset: int
    placeholders: tuple[Placeholder, ...]
    variables: Mapping[str, VariableValue]
    cases: tuple[PromptCase, ...]
    problems: tuple[Problem, ...]
    raw: bool = False

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def case(self, name: str | None = None) -> PromptCase:
        """The case called `name` (the first case when None); PromptFileError if there is none."""
        if name is None and self.cases:
            return self.cases[0]
        for case in self.cases:
            if case.name == name:
                return case
        known = ", ".join(f"`{c.name}`" for c in self.cases) or "none"
        raise PromptFileError(
            f"No case named {name!r} in this file (cases: {known}).",
            "Pick one of the listed cases, or add it under `cases:` in the front-matter.",
            path=self.path,
        )

    def error(self, problem: Problem) -> PromptFileError:
        """`problem` as an exception with the file's path and 1-based line/column."""
        line, column = line_column(self.text, problem.start)
        return PromptFileError(
            problem.problem, problem.fix, path=self.path, line=line, column=column
        )


@dataclass(frozen=True)
class RenderedPrompt:
    """A case rendered: the prompt text, where each character came from, and the case's target."""

    text: str
    source_map: SourceMap
    case_name: str
    target: str | None
    target_offsets: tuple[int, ...] | None
