"""Parse `.prompt` files (YAML front-matter + a template body) and render their cases.

Format::

    ---
    description: What this prompt is for
    vars:
      menu_item: Quiche Lorraine
    ---
    Suggestion: {{menu_item}}
    Analysis:

The front-matter is optional; without it the file is a raw prompt, sent as it is (`{{` included).
With it, the body is a template: `{{ name }}` inserts a variable, `\\{{` a literal `{{`, and
nothing else may stand between braces (no expressions, no logic). The file is data: YAML is only
composed into nodes, never constructed into objects, and the body is never evaluated.

Final newline: the body's last line break is not part of the prompt (editors add one to every
file), so a body ending in "Analysis:" plus one line break renders as "...Analysis:". To end a
prompt with a line break, leave one blank line at the end of the file.

Offsets are code points into the file's own text (CRLF kept). Every character of a variable
value or target maps to the file character it came from: escapes (`\\n`, `''`) to their first
character, folded line breaks (plain, quoted and `>` scalars) to the line break they replace.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Literal, NamedTuple

import regex  # type: ignore[import-untyped]
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..engine.segmentation import check_granularity
from ..errors import PromptFileError, PromptSalienceError
from .source_map import SourceMap, SourceMapBuilder

SETTING_KEYS = (
    "description",
    "model",
    "max_new_tokens",
    "method",
    "granularity",
    "target",
    "explain",
)
FRONT_MATTER_KEYS = (*SETTING_KEYS, "vars", "cases")
CASE_KEYS = ("name", "vars", "target")
DEFAULT_CASE = "default"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}")
_BRACES = re.compile(r"\\\{\{|\{\{")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r"---[ \t]*(?:\r\n|\r|\n|\Z)")
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"

Severity = Literal["error", "warning"]


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
class PromptCase:
    """One set of variable values to render the template with (a CodeLens sits on `line`).

    `line` is 0-based: the case's `name:` line, or the body's first line for the implicit case.
    `prompt` is set only for dataset records, whose whole prompt comes from the record.
    """

    name: str
    variables: Mapping[str, VariableValue]
    target: VariableValue | None
    line: int
    prompt: VariableValue | None = None


@dataclass(frozen=True)
class Placeholder:
    """A `{{ name }}` in the body; [start, end) are the file offsets of the whole placeholder."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file at file offsets [start, end), and how to fix it."""

    severity: Severity
    problem: str
    fix: str
    start: int
    end: int


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


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of `offset` in `text`; line breaks are \\n, \\r\\n and \\r."""
    return _Lines(text).line_column(offset)


class _Lines:
    """Line starts of a text, for many offset -> line/column look-ups."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def line_column(self, offset: int) -> tuple[int, int]:
        offset = min(max(offset, 0), self.length)
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1


def read_prompt_source(path: str | PathLike[str]) -> str:
    """The text of a prompt or dataset file, decoded as UTF-8 with its line ends kept."""
    file = Path(path)
    where = str(file)
    if file.is_dir():
        raise PromptFileError(
            f"{where} is a folder, not a file.",
            "Give the path of a `.prompt` or `.jsonl` file.",
            path=where,
        )
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise PromptFileError(
            f"File not found: {where}.", "Check the path and the current folder.", path=where
        ) from None
    except OSError as exc:
        raise PromptFileError(
            f"Cannot read {where}: {exc.strerror or exc}.",
            "Check that the file exists and that you may read it.",
            path=where,
        ) from None
    if b"\0" in data:
        line, column = _byte_position(data, data.index(b"\0"))
        raise PromptFileError(
            f"{where} is not a text file (it contains NUL bytes: binary, or saved as UTF-16).",
            "Open a text file saved as UTF-8.",
            path=where,
            line=line,
            column=column,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        raise PromptFileError(
            f"{where} is not valid UTF-8 (byte 0x{data[exc.start]:02x}).",
            "Save the file as UTF-8 (VS Code: 'Save with Encoding' > UTF-8).",
            path=where,
            line=line,
            column=column,
        ) from None


def _byte_position(data: bytes, index: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, index) + 1
    column = len(data[line_start:index].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, index) + 1, column


# --- parsing -------------------------------------------------------------------------------------


def parse_prompt_file(
    text: str, path: str | None = None, *, known_methods: Collection[str] | None = None
) -> PromptFile:
    """Parse a prompt file. Raises PromptFileError only when its structure cannot be read
    (malformed YAML, front-matter never closed or not a mapping); every other problem is listed
    in `problems`, so an editor can show them all at once.
    """
    start = 1 if text.startswith("\ufeff") else 0
    opening = _FENCE.match(text, start)
    if opening is None:
        return _parse_raw(text, path, start)
    fm_start = opening.end()
    closing = _closing_fence(text, fm_start)
    if closing is None:
        raise PromptFileError(
            "The front-matter opened by `---` on line 1 is never closed.",
            "Add a line `---` after the settings, before the prompt text.",
            path=path,
            line=1,
            column=1,
        )
    fm_end, body_start = closing
    root = _compose(text, fm_start, fm_end, path)
    reader = _FrontMatterReader(text, fm_start)
    front = reader.read(root)
    body_end = _body_end(text, body_start)
    pieces = list(_scan_body(text, body_start, body_end))
    placeholders = tuple(p.placeholder for p in pieces if p.placeholder is not None)
    problems = reader.problems
    problems += [_invalid_placeholder_problem(text, p) for p in pieces if p.kind == "invalid"]
    body = text[body_start:body_end]
    if not body.strip():
        fix = "Write the prompt after the closing `---`."
        problems.append(Problem("error", "The prompt body is empty.", fix, fm_end, body_start))
    body_line = reader.line_of(body_start)
    cases = front.cases(body_line)
    problems += _variable_problems(placeholders, front, cases)
    problems += _setting_problems(front, known_methods)
    return PromptFile(
        path=path,
        text=text,
        settings=front.settings(),
        body=body,
        body_offset=body_start,
        placeholders=placeholders,
        variables=MappingProxyType(dict(front.variables)),
        cases=cases,
        problems=tuple(sorted(problems, key=lambda p: (p.start, p.end))),
    )


def _parse_raw(text: str, path: str | None, start: int) -> PromptFile:
    """A file without front-matter: the whole text (but its final line break) is the prompt."""
    end = _body_end(text, start)
    body = text[start:end]
    problems = []
    if not body.strip():
        problems.append(Problem("error", "The prompt is empty.", "Write the prompt text.", 0, 0))
    for match in _PLACEHOLDER.finditer(text, start, end):
        problems.append(
            Problem(
                "warning",
                f"`{match.group()}` is sent to the model as it is: this file has no front-matter.",
                f"Start the file with `---`, `vars:`, `  {match.group(1)}: <value>`, `---` to make "
                "it a placeholder.",
                match.start(),
                match.end(),
            )
        )
    line = line_column(text, start)[0] - 1
    return PromptFile(
        path=path,
        text=text,
        settings=PromptSettings(),
        body=body,
        body_offset=start,
        placeholders=(),
        variables=MappingProxyType({}),
        cases=(PromptCase(DEFAULT_CASE, MappingProxyType({}), None, line),),
        problems=tuple(problems),
        raw=True,
    )


def _closing_fence(text: str, start: int) -> tuple[int, int] | None:
    """(start of the closing `---` line, start of the body) or None if never closed."""
    position = start
    while position <= len(text):
        fence = _FENCE.match(text, position)
        if fence is not None:
            return position, fence.end()
        line_break = _LINE_BREAK.search(text, position)
        if line_break is None:
            return None
        position = line_break.end()
    return None


def _body_end(text: str, body_start: int) -> int:
    """End of the body: the text's end, less exactly one final line break."""
    end = len(text)
    if text.endswith("\r\n") and end - 2 >= body_start:
        return end - 2
    if text.endswith(("\n", "\r")) and end - 1 >= body_start:
        return end - 1
    return end


def _compose(text: str, fm_start: int, fm_end: int, path: str | None) -> Node | None:
    """The front-matter's YAML node tree (never constructed into objects)."""
    try:
        root = yaml.compose(text[fm_start:fm_end], Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        offset = fm_start + (mark.index if mark is not None else 0)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise _yaml_error(text, offset, what, path) from None
    except yaml.reader.ReaderError as exc:
        raise _yaml_error(
            text, fm_start + exc.position, f"character U+{exc.character:04X} is not allowed", path
        ) from None
    except (yaml.YAMLError, ValueError) as exc:  # e.g. an escape such as "\U00110000"
        raise _yaml_error(text, fm_start, str(exc), path) from None
    if root is not None and not isinstance(root, MappingNode):
        line, column = line_column(text, fm_start + root.start_mark.index)
        raise PromptFileError(
            "The front-matter must be settings written as `key: value` lines.",
            "Write e.g. `description: ...` and `vars:` between the `---` lines.",
            path=path,
            line=line,
            column=column,
        )
    return root


def _yaml_error(text: str, offset: int, what: str, path: str | None) -> PromptFileError:
    line, column = line_column(text, offset)
    return PromptFileError(
        f"Malformed YAML in the front-matter: {what}.",
        "Fix the YAML here; quote a value that contains `: ` or ` #`, or starts with one of "
        "{ [ * & ! % @ ` ' \" | >.",
        path=path,
        line=line,
        column=column,
    )


def _suggest(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"Did you mean `{close[0]}`? " if close else ""


class _Entry(NamedTuple):
    """A named value in the front-matter and where its key is."""

    value: VariableValue
    key_start: int
    key_end: int


@dataclass
class _Case:
    name: str
    name_start: int
    name_end: int
    line: int
    variables: dict[str, _Entry]
    target: VariableValue | None


@dataclass
class _FrontMatter:
    """What the front-matter says, before cross-checks with the body."""

    strings: dict[str, VariableValue] = field(default_factory=dict)
    max_new_tokens: int | None = None
    variables: dict[str, VariableValue] = field(default_factory=dict)
    variable_keys: dict[str, _Entry] = field(default_factory=dict)
    case_list: list[_Case] | None = None

    def settings(self) -> PromptSettings:
        def text(key: str) -> str | None:
            entry = self.strings.get(key)
            return None if entry is None else entry.value

        return PromptSettings(
            description=text("description"),
            model=text("model"),
            max_new_tokens=self.max_new_tokens,
            method=text("method"),
            granularity=text("granularity"),
            target=text("target"),
            explain=text("explain"),
        )

    def cases(self, body_line: int) -> tuple[PromptCase, ...]:
        target = self.strings.get("target")
        if not self.case_list:
            variables = MappingProxyType(dict(self.variables))
            return (PromptCase(DEFAULT_CASE, variables, target, body_line),)
        return tuple(
            PromptCase(
                case.name,
                MappingProxyType(self.variables | {k: e.value for k, e in case.variables.items()}),
                case.target or target,
                case.line,
            )
            for case in self.case_list
        )


class _FrontMatterReader:
    """Walks the composed YAML nodes, collecting settings, variables, cases and problems."""

    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base  # file offset of the front-matter's first character
        self.lines = _Lines(text)
        self.problems: list[Problem] = []

    def span(self, node: Node) -> tuple[int, int]:
        return self.base + node.start_mark.index, self.base + node.end_mark.index

    def report(self, node: Node, problem: str, fix: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(severity, problem, fix, *self.span(node)))

    def read(self, root: Node | None) -> _FrontMatter:
        front = _FrontMatter()
        if root is None:
            return front
        for key, key_node, value in self.pairs(root, FRONT_MATTER_KEYS, "front-matter key"):
            if _is_null(value):
                continue
            if key == "vars":
                front.variable_keys = self.variables(value, "vars")
                front.variables = {k: e.value for k, e in front.variable_keys.items()}
            elif key == "cases":
                front.case_list = self.cases(value)
            elif key == "max_new_tokens":
                front.max_new_tokens = self.positive_int(key, value)
            else:
                typed = key in ("description", "model", "method", "granularity")
                entry = self.scalar(key, key_node, value, strings_only=typed)
                if entry is not None:
                    front.strings[key] = entry
        return front

    def pairs(
        self, node: Node, known: tuple[str, ...], what: str
    ) -> Iterator[tuple[str, ScalarNode, Node]]:
        """Key/value pairs of a mapping; unknown and repeated keys are reported and skipped."""
        assert isinstance(node, MappingNode)
        seen: set[str] = set()
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode):
                self.report(key_node, f"A {what} must be a plain name.", "Write `name: value`.")
                continue
            key = key_node.value
            if key in seen:
                self.report(key_node, f"`{key}` is given twice.", "Keep one of them.")
                continue
            seen.add(key)
            if known and key not in known:
                self.report(
                    key_node,
                    f"Unknown {what} `{key}`.",
                    f"{_suggest(key, known)}Known keys: {', '.join(known)}.",
                )
                continue
            yield key, key_node, value

    def scalar(
        self, key: str, key_node: ScalarNode, node: Node, *, strings_only: bool = False
    ) -> VariableValue | None:
        """A scalar's text as written, with each character's file offset."""
        if not isinstance(node, ScalarNode) or (strings_only and node.tag != _STR_TAG):
            expected = "a text" if strings_only else "a single value (text or number)"
            found = f"`{node.value}`" if isinstance(node, ScalarNode) else "a list or mapping"
            self.report(
                node,
                f"`{key}` must be {expected}, not {found}.",
                f"Write `{key}: <text>`; put quotes around text that YAML reads as a number "
                "or true/false.",
            )
            return None
        value, offsets = _scalar_characters(self.text, self.base, node, key_node.start_mark.column)
        if any("\ud800" <= c <= "\udfff" for c in value):
            self.report(
                node,
                f"`{key}` holds half of a surrogate pair (an escape such as `\\ud83d`).",
                "Write the character itself, or one `\\U0001F600`-style escape.",
            )
        return VariableValue(key, value, offsets)

    def positive_int(self, key: str, node: Node) -> int | None:
        if isinstance(node, ScalarNode) and node.tag == _INT_TAG:
            number = SafeConstructor().construct_yaml_int(node)
            if number > 0:
                return number
        self.report(node, f"`{key}` must be a positive whole number.", f"Write e.g. `{key}: 64`.")
        return None

    def variables(self, node: Node, where: str) -> dict[str, _Entry]:
        if not isinstance(node, MappingNode):
            self.report(
                node,
                f"`{where}` must map variable names to values.",
                f"Write `{where}:` then indented lines `name: value`.",
            )
            return {}
        found: dict[str, _Entry] = {}
        for name, key_node, value in self.pairs(node, (), "variable name"):
            if not _NAME.fullmatch(name):
                self.report(
                    key_node,
                    f"`{name}` is not a valid variable name.",
                    "Use letters, digits and _, not starting with a digit (e.g. `menu_item`).",
                )
                continue
            if _is_null(value):
                entry: VariableValue | None = VariableValue(name, "", ())
            else:
                entry = self.scalar(name, key_node, value)
            if entry is not None:
                found[name] = _Entry(entry, *self.span(key_node))
        return found

    def cases(self, node: Node) -> list[_Case]:
        if not isinstance(node, SequenceNode):
            self.report(
                node,
                "`cases` must be a list.",
                "Write `cases:` then one `- name: ...` item per case.",
            )
            return []
        cases: list[_Case] = []
        seen: dict[str, int] = {}
        for number, item in enumerate(node.value, start=1):
            if not isinstance(item, MappingNode):
                self.report(item, "A case must be a mapping.", "Write `- name: <case name>`.")
                continue
            case = self.case(item, number)
            if case.name in seen:
                self.report_span(
                    case.name_start,
                    case.name_end,
                    f"Two cases are named `{case.name}`.",
                    "Give each case its own name.",
                )
            seen[case.name] = number
            cases.append(case)
        return cases

    def case(self, item: MappingNode, number: int) -> _Case:
        start, end = self.span(item)
        case = _Case(f"case {number}", start, start, self.line_of(start), {}, None)
        has_name = False
        for key, key_node, value in self.pairs(item, CASE_KEYS, "case key"):
            if key == "name":
                entry = self.scalar(key, key_node, value)
                if entry is not None and entry.value:
                    has_name = True
                    case.name = entry.value
                    case.name_start, case.name_end = self.span(value)
                    case.line = self.line_of(self.span(key_node)[0])
            elif key == "vars" and not _is_null(value):
                case.variables = self.variables(value, "vars")
            elif key == "target" and not _is_null(value):
                target = self.scalar(key, key_node, value)
                case.target = target
        if not has_name:
            self.report_span(start, end, f"Case {number} has no name.", "Add `name: <case name>`.")
        return case

    def report_span(self, start: int, end: int, problem: str, fix: str) -> None:
        self.problems.append(Problem("error", problem, fix, start, end))

    def line_of(self, offset: int) -> int:
        return self.lines.line_column(offset)[0] - 1


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


# --- checks across front-matter and body ---------------------------------------------------------


def _variable_problems(
    placeholders: tuple[Placeholder, ...], front: _FrontMatter, cases: tuple[PromptCase, ...]
) -> Iterator[Problem]:
    used = {p.name for p in placeholders}
    case_list = front.case_list or []
    defined = set(front.variables).union(*(c.variables for c in case_list))
    for placeholder in placeholders:
        if placeholder.name not in defined:
            yield Problem(
                "error",
                f"Unknown placeholder `{{{{{placeholder.name}}}}}`: no variable "
                f"`{placeholder.name}` is defined.",
                f"{_suggest(placeholder.name, defined)}To define it, add "
                f"`{placeholder.name}: <value>` under `vars:` in the front-matter.",
                placeholder.start,
                placeholder.end,
            )
    for entry in [
        *front.variable_keys.values(),
        *(e for c in case_list for e in c.variables.values()),
    ]:
        if entry.value.name not in used:
            yield Problem(
                "warning",
                f"Variable `{entry.value.name}` is never used in the prompt.",
                f"Use it as `{{{{{entry.value.name}}}}}` in the body, or remove it.",
                entry.key_start,
                entry.key_end,
            )
    for raw_case, case in zip(case_list, cases if case_list else (), strict=True):
        for name in sorted((used & defined) - set(case.variables)):
            yield Problem(
                "error",
                f"Case `{case.name}` has no value for `{{{{{name}}}}}`.",
                f"Add `{name}: <value>` under this case's `vars:`, or under the top-level `vars:`.",
                raw_case.name_start,
                raw_case.name_end,
            )


def _setting_problems(
    front: _FrontMatter, known_methods: Collection[str] | None
) -> Iterator[Problem]:
    granularity = front.strings.get("granularity")
    if granularity is not None:
        try:
            check_granularity(granularity.value)
        except PromptSalienceError as exc:
            yield _value_problem(granularity, exc.problem, exc.fix, exc.column)
    method = front.strings.get("method")
    if method is not None and known_methods is not None and method.value not in known_methods:
        yield _value_problem(
            method,
            f"Unknown method `{method.value}`.",
            f"{_suggest(method.value, known_methods)}Known methods: {', '.join(known_methods)}.",
        )
    explain = front.strings.get("explain")
    if (
        explain is not None
        and len(explain.value) >= 2
        and explain.value[0] == explain.value[-1] == "/"
    ):
        pattern = explain.value[1:-1]
        try:
            if not pattern:
                raise regex.error("the pattern is empty", pattern, 0)
            regex.compile(pattern)
        except regex.error as exc:
            pos = exc.pos if isinstance(exc.pos, int) else 0
            yield _value_problem(
                explain,
                f"Invalid regex in `explain`: {exc.msg} at position {pos}.",
                "Fix the pattern between the slashes (Python `regex` syntax), or write plain text.",
                pos + 2,
            )


def _value_problem(
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


# --- body ----------------------------------------------------------------------------------------


class _Piece(NamedTuple):
    """A run of the body: literal text, an escaped `\\{{`, a placeholder or an invalid one."""

    kind: Literal["text", "escape", "placeholder", "invalid"]
    start: int
    end: int
    placeholder: Placeholder | None = None


def _scan_body(text: str, start: int, end: int) -> Iterator[_Piece]:
    position = start
    while True:
        braces = _BRACES.search(text, position, end)
        if braces is None:
            if position < end:
                yield _Piece("text", position, end)
            return
        if braces.start() > position:
            yield _Piece("text", position, braces.start())
        if braces.group() != "{{":
            yield _Piece("escape", braces.start(), braces.end())
            position = braces.end()
            continue
        match = _PLACEHOLDER.match(text, braces.start(), end)
        if match is not None:
            placeholder = Placeholder(match.group(1), match.start(), match.end())
            yield _Piece("placeholder", match.start(), match.end(), placeholder)
            position = match.end()
            continue
        line_break = _LINE_BREAK.search(text, braces.end(), end)
        line_end = line_break.start() if line_break else end
        closing = text.find("}}", braces.end(), line_end)
        position = closing + 2 if closing >= 0 else braces.end()
        yield _Piece("invalid", braces.start(), position)


def _invalid_placeholder_problem(text: str, piece: _Piece) -> Problem:
    written = text[piece.start : piece.end]
    if written.endswith("}}"):
        problem = (
            f"Invalid placeholder `{written}`: only a variable name may stand between the braces "
            "(no expressions or logic)."
        )
    else:
        problem = "Unclosed placeholder `{{`."
    return Problem(
        "error",
        problem,
        "Write `{{name}}` with a name of letters, digits and _, or `\\{{` for literal braces.",
        piece.start,
        piece.end,
    )


# --- rendering -----------------------------------------------------------------------------------


def render_case(prompt_file: PromptFile, case_name: str | None = None) -> RenderedPrompt:
    """The prompt of one case (the first when `case_name` is None) and its source map."""
    case = prompt_file.case(case_name)
    builder = SourceMapBuilder()
    body_end = prompt_file.body_offset + len(prompt_file.body)
    if case.prompt is not None:
        builder.add(case.prompt.value, case.prompt.file_offsets, "template")
    elif prompt_file.raw:
        builder.add(prompt_file.body, range(prompt_file.body_offset, body_end), "template")
    else:
        _render_template(prompt_file, case, builder)
    rendered, source_map = builder.build()
    if not rendered.strip():
        raise PromptFileError(
            f"The prompt of case `{case.name}` is empty.",
            "Write the prompt text (and give its variables values).",
            path=prompt_file.path,
            line=case.line + 1,
        )
    target = case.target
    return RenderedPrompt(
        text=rendered,
        source_map=source_map,
        case_name=case.name,
        target=None if target is None else target.value,
        target_offsets=None if target is None else target.file_offsets,
    )


def _render_template(prompt_file: PromptFile, case: PromptCase, builder: SourceMapBuilder) -> None:
    text = prompt_file.text
    body_end = prompt_file.body_offset + len(prompt_file.body)
    for piece in _scan_body(text, prompt_file.body_offset, body_end):
        if piece.kind == "text":
            builder.add(text[piece.start : piece.end], range(piece.start, piece.end), "template")
        elif piece.kind == "escape":
            builder.add("{{", (piece.start + 1, piece.start + 2), "template")
        elif piece.placeholder is None:
            raise prompt_file.error(_invalid_placeholder_problem(text, piece))
        else:
            name = piece.placeholder.name
            value = case.variables.get(name)
            if value is None:
                problem = f"Case `{case.name}` has no value for `{{{{{name}}}}}`."
                fix = f"Add `{name}: <value>` under `vars:`."
                raise prompt_file.error(Problem("error", problem, fix, piece.start, piece.end))
            builder.add(value.value, value.file_offsets, "variable", name)


# --- YAML scalars: each character's offset in the file -------------------------------------------

_YAML_BREAKS = "\r\n\x85\u2028\u2029"
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}

_Chars = list[tuple[str, int]]  # (produced character, its file offset)


def _scalar_characters(
    text: str, base: int, node: ScalarNode, key_column: int
) -> tuple[str, tuple[int, ...]]:
    """The scalar's value and each character's file offset, rebuilt from the raw YAML text.

    `base` is the file offset of the YAML's first character; `key_column` (the key's column)
    fixes a block scalar's indentation as PyYAML does.
    """
    start, end = base + node.start_mark.index, base + node.end_mark.index
    style = node.style
    if style in ("'", '"'):
        chars = _quoted(text, start + 1, end - 1, double=style == '"')
    elif style in ("|", ">"):
        chars = _block(text, start, end, key_column)
    else:
        chars = _plain(text, start, end)
    value = "".join(c for c, _ in chars)
    if value != node.value:  # a YAML corner this reader does not know: keep the value, lose the map
        return node.value, (-1,) * len(node.value)
    return value, tuple(offset for _, offset in chars)


def _take_break(source: str, position: int) -> tuple[str, int]:
    """The line break at `position` as YAML reads it (\\u2028/\\u2029 kept, others "\\n")."""
    char = source[position]
    if source.startswith("\r\n", position):
        return "\n", position + 2
    return (char if char in "\u2028\u2029" else "\n"), position + 1


def _fold(source: str, position: int, end: int, blank: str) -> tuple[_Chars, int]:
    """Fold the line break at `position` and the blank lines after it (flow and plain scalars).

    One break becomes a space (at the break); with blank lines after it, each blank line's
    break is kept instead. `blank` is what may fill a blank line. Returns the characters and
    the position of the next line's first non-blank character.
    """
    first_at = position
    first, position = _take_break(source, position)
    breaks: _Chars = []
    while True:
        while position < end and source[position] in blank:
            position += 1
        if position < end and source[position] in _YAML_BREAKS:
            at = position
            line_break, position = _take_break(source, position)
            breaks.append((line_break, at))
        else:
            break
    if first != "\n":
        return [(first, first_at), *breaks], position
    return (breaks or [(" ", first_at)]), position


def _plain(source: str, start: int, end: int) -> _Chars:
    chars: _Chars = []
    position = start
    while position < end:
        char = source[position]
        if char == " ":
            run_end = position
            while run_end < end and source[run_end] == " ":
                run_end += 1
            if run_end < end and source[run_end] in _YAML_BREAKS:
                position = run_end  # spaces before a line break are dropped
                continue
            chars += [(" ", k) for k in range(position, run_end)]
            position = run_end
        elif char in _YAML_BREAKS:
            folded, position = _fold(source, position, end, " ")
            chars += folded
        else:
            chars.append((char, position))
            position += 1
    return chars


def _quoted(source: str, start: int, end: int, *, double: bool) -> _Chars:
    chars: _Chars = []
    position = start
    while position < end:
        char = source[position]
        if char in " \t":
            run_end = position
            while run_end < end and source[run_end] in " \t":
                run_end += 1
            if run_end < end and source[run_end] in _YAML_BREAKS:
                position = run_end  # whitespace before a line break is dropped
                continue
            chars += [(source[k], k) for k in range(position, run_end)]
            position = run_end
        elif char in _YAML_BREAKS:
            folded, position = _fold(source, position, end, " \t")
            chars += folded
        elif char == "'" and not double:
            chars.append(("'", position))  # '' stands for one quote
            position += 2
        elif char == "\\" and double:
            position = _escape(source, position, end, chars)
        else:
            chars.append((char, position))
            position += 1
    return chars


def _escape(source: str, position: int, end: int, chars: _Chars) -> int:
    """Decode the escape at `position` (a backslash) into `chars`; return the next position."""
    code = source[position + 1]
    if code in _ESCAPES:
        chars.append((_ESCAPES[code], position))
        return position + 2
    if code in _HEX_ESCAPES:
        digits = _HEX_ESCAPES[code]
        chars.append((chr(int(source[position + 2 : position + 2 + digits], 16)), position))
        return position + 2 + digits
    # An escaped line break: the break vanishes, blank lines after it stay as breaks.
    _, after = _take_break(source, position + 1)
    while True:
        while after < end and source[after] in " \t":
            after += 1
        if after < end and source[after] in _YAML_BREAKS:
            at = after
            line_break, after = _take_break(source, after)
            chars.append((line_break, at))
        else:
            return after


def _block(source: str, start: int, end: int, key_column: int) -> _Chars:
    """A literal (|) or folded (>) block scalar, with PyYAML's indentation and chomping rules."""
    folded = source[start] == ">"
    position = start + 1
    keep: bool | None = None  # True for "+", False for "-", None to clip
    increment: int | None = None
    while position < end and source[position] in "+-123456789":
        if source[position] in "+-":
            keep = source[position] == "+"
        else:
            increment = int(source[position])
        position += 1
    header_end = position
    while header_end < end and source[header_end] not in _YAML_BREAKS:
        header_end += 1  # spaces and a comment
    if header_end >= end:
        return []
    _, position = _take_break(source, header_end)
    line_start = position
    min_indent = max(key_column + 1, 1)

    def skip_indent(position: int, line_start: int, indent: int) -> int:
        while position < end and position - line_start < indent and source[position] == " ":
            position += 1
        return position

    def blank_lines(position: int, line_start: int, indent: int) -> tuple[_Chars, int, int]:
        """Breaks of the lines holding at most `indent` spaces, and where content resumes."""
        breaks: _Chars = []
        position = skip_indent(position, line_start, indent)
        while position < end and source[position] in _YAML_BREAKS:
            at = position
            line_break, position = _take_break(source, position)
            breaks.append((line_break, at))
            line_start = position
            position = skip_indent(position, line_start, indent)
        return breaks, position, line_start

    breaks: _Chars
    if increment is None:
        breaks, max_indent = [], 0
        while position < end and source[position] in " " + _YAML_BREAKS:
            if source[position] == " ":
                position += 1
                max_indent = max(max_indent, position - line_start)
            else:
                at = position
                line_break, position = _take_break(source, position)
                breaks.append((line_break, at))
                line_start = position
        indent = max(min_indent, max_indent)
    else:
        indent = min_indent + increment - 1
        breaks, position, line_start = blank_lines(position, line_start, indent)

    chars: _Chars = []
    last_break: tuple[str, int] | None = None
    while position - line_start == indent and position < end:
        chars += breaks
        leading_non_space = source[position] not in " \t"
        line_end = position
        while line_end < end and source[line_end] not in _YAML_BREAKS:
            line_end += 1
        chars += [(source[k], k) for k in range(position, line_end)]
        last_break = None
        position = line_end
        if position < end:
            line_break, position = _take_break(source, position)
            last_break = (line_break, line_end)
            line_start = position
        breaks, position, line_start = blank_lines(position, line_start, indent)
        if not (position - line_start == indent and position < end):
            break
        assert last_break is not None
        if folded and last_break[0] == "\n" and leading_non_space and source[position] not in " \t":
            if not breaks:
                chars.append((" ", last_break[1]))
        else:
            chars.append(last_break)
    if keep is not False and last_break is not None:
        chars.append(last_break)
    if keep:
        chars += breaks
    return chars
