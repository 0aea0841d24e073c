"""The YAML front-matter: settings, variables and cases, each value with its file offsets.

YAML is only composed into nodes, never constructed into objects. Every problem a user can fix
(unknown key, wrong type, bad granularity or method, invalid regex) is collected with its file
span rather than raised, so an editor shows them all at once.

Which settings a file may set, their types and their checks come from the one declaration of
settings (`prompt_salience/settings.py`); the format adds only its own keys (`description`,
`target`, `vars`, `cases`, `expect`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import NamedTuple

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import PromptFileError, PromptSalienceError
from ..settings import front_matter_settings
from .expectations import (
    kind_problem,
    not_a_list,
    not_a_pair,
    read_expectation,
    slashed_regex_problem,
)
from .fixes import (
    VariableSlot,
    closest,
    entry_lines,
    next_line_start,
    plain_span,
    rename,
    replacements,
    variable_slot,
)
from .line_index import LineIndex
from .parsed_prompt import (
    DEFAULT_CASE,
    EXPECTATION_KINDS,
    Expectation,
    Problem,
    PromptCase,
    PromptSettings,
    Severity,
    VariableValue,
    value_problem,
)
from .yaml_scalars import scalar_characters

# The format's own keys around the settings: what the prompt is for, and a what-if target.
SETTING_KEYS = (
    "description",
    *(declared.name for declared in front_matter_settings()),
    "target",
)
FRONT_MATTER_KEYS = (*SETTING_KEYS, "vars", "cases", "expect")
# Settings that must be written as text, and those that are whole numbers (the rest: any scalar).
_TEXT_KEYS = ("description", *(d.name for d in front_matter_settings() if d.value_type is str))
_NUMBER_KEYS = tuple(d.name for d in front_matter_settings() if d.value_type is int)
CASE_KEYS = ("name", "vars", "target", "expect")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"


def read_front_matter(
    lines: LineIndex, fm_start: int, fm_end: int, path: str | None
) -> FrontMatter:
    """What the front-matter in `lines.text[fm_start:fm_end]` says, with its problems.

    Raises PromptFileError only when the YAML cannot be read or is not a mapping.
    """
    reader = _FrontMatterReader(lines, fm_start)
    front = reader.read(_compose(lines, fm_start, fm_end, path))
    front.problems = reader.problems
    front.variable_slot = variable_slot(lines, fm_start, reader.vars_nodes, fm_end)
    return front


def _compose(lines: LineIndex, fm_start: int, fm_end: int, path: str | None) -> Node | None:
    """The front-matter's YAML node tree (never constructed into objects)."""
    text = lines.text
    try:
        root = yaml.compose(text[fm_start:fm_end], Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        offset = fm_start + (mark.index if mark is not None else 0)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise _yaml_error(lines, offset, what, path) from None
    except yaml.reader.ReaderError as exc:
        raise _yaml_error(
            lines, fm_start + exc.position, f"character U+{exc.character:04X} is not allowed", path
        ) from None
    except (yaml.YAMLError, ValueError) as exc:  # e.g. an escape such as "\U00110000"
        raise _yaml_error(lines, fm_start, str(exc), path) from None
    if root is not None and not isinstance(root, MappingNode):
        line, column = lines.line_column(fm_start + root.start_mark.index)
        raise PromptFileError(
            "The front-matter must be settings written as `key: value` lines.",
            "Write e.g. `description: ...` and `vars:` between the `---` lines.",
            path=path,
            line=line,
            column=column,
        )
    return root


def _yaml_error(lines: LineIndex, offset: int, what: str, path: str | None) -> PromptFileError:
    line, column = lines.line_column(offset)
    return PromptFileError(
        f"Malformed YAML in the front-matter: {what}.",
        "Fix the YAML here; quote a value that contains `: ` or ` #`, or starts with one of "
        "{ [ * & ! % @ ` ' \" | >.",
        path=path,
        line=line,
        column=column,
    )


def suggest(word: str, choices: Collection[str]) -> str:
    """A hint naming the choice closest to `word` ("Did you mean `x`? "), or "" if none is."""
    close = closest(word, choices)
    return f"Did you mean `{close}`? " if close else ""


class KeyedValue(NamedTuple):
    """A named value in the front-matter, where its key is, and the whole lines it spans when
    they can be removed as a block (None in flow style)."""

    value: VariableValue
    key_start: int
    key_end: int
    lines: tuple[int, int] | None = None


@dataclass
class CaseEntry:
    """A case as written under `cases:`: its own variables only, and where its name is."""

    name: str
    name_start: int
    name_end: int
    line: int
    variables: dict[str, KeyedValue]
    target: VariableValue | None
    expect: tuple[Expectation, ...] = ()
    variable_slot: VariableSlot | None = None  # where a new variable of this case would go


@dataclass
class FrontMatter:
    """What the front-matter says, before cross-checks with the body."""

    strings: dict[str, VariableValue] = field(default_factory=dict)
    numbers: dict[str, int | None] = field(default_factory=dict)
    variables: dict[str, VariableValue] = field(default_factory=dict)
    variable_keys: dict[str, KeyedValue] = field(default_factory=dict)
    case_list: list[CaseEntry] | None = None
    expect: tuple[Expectation, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    variable_slot: VariableSlot | None = None  # where a new top-level variable would go

    def settings(self) -> PromptSettings:
        def text(key: str) -> str | None:
            entry = self.strings.get(key)
            return None if entry is None else entry.value

        values = {key: text(key) for key in SETTING_KEYS} | self.numbers
        return PromptSettings(**values)  # type: ignore[arg-type]  # checked by tests

    def cases(self, body_line: int) -> tuple[PromptCase, ...]:
        target = self.strings.get("target")
        if not self.case_list:
            variables = MappingProxyType(dict(self.variables))
            return (PromptCase(DEFAULT_CASE, variables, target, body_line, expect=self.expect),)
        return tuple(
            PromptCase(
                case.name,
                MappingProxyType(self.variables | {k: e.value for k, e in case.variables.items()}),
                case.target or target,
                case.line,
                expect=self.expect + case.expect,
            )
            for case in self.case_list
        )


class _FrontMatterReader:
    """Walks the composed YAML nodes, collecting settings, variables, cases and problems."""

    def __init__(self, lines: LineIndex, base: int) -> None:
        self.text = lines.text
        self.base = base  # file offset of the front-matter's first character
        self.lines = lines
        self.problems: list[Problem] = []
        self.vars_nodes: tuple[ScalarNode, Node] | None = None  # the top-level `vars:`

    def span(self, node: Node) -> tuple[int, int]:
        return self.base + node.start_mark.index, self.base + node.end_mark.index

    def report(self, node: Node, problem: str, fix: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(severity, problem, fix, *self.span(node)))

    def read(self, root: Node | None) -> FrontMatter:
        front = FrontMatter()
        if root is None:
            return front
        for key, key_node, value in self.pairs(root, FRONT_MATTER_KEYS, "front-matter key"):
            if key == "vars":
                self.vars_nodes = key_node, value
            if _is_null(value):
                continue
            if key == "vars":
                front.variable_keys = self.variables(value, "vars")
                front.variables = {k: e.value for k, e in front.variable_keys.items()}
            elif key == "cases":
                front.case_list = self.cases(value)
            elif key == "expect":
                front.expect = self.expectations(value)
            elif key in _NUMBER_KEYS:
                front.numbers[key] = self.positive_int(key, value)
            else:
                entry = self.scalar(key, key_node, value, strings_only=key in _TEXT_KEYS)
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
                close = closest(key, known)
                start, end = self.span(key_node)
                self.problems.append(
                    Problem(
                        "error",
                        f"Unknown {what} `{key}`.",
                        f"{suggest(key, known)}Known keys: {', '.join(known)}.",
                        start,
                        end,
                        code="unknown-key",
                        fixes=(rename(start, end, close),) if close else (),
                    )
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
        value, offsets = scalar_characters(self.text, self.base, node, key_node.start_mark.column)
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

    def variables(self, node: Node, where: str) -> dict[str, KeyedValue]:
        if not isinstance(node, MappingNode):
            self.report(
                node,
                f"`{where}` must map variable names to values.",
                f"Write `{where}:` then indented lines `name: value`.",
            )
            return {}
        found: dict[str, KeyedValue] = {}
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
                key_start, key_end = self.span(key_node)
                block = (
                    None
                    if node.flow_style
                    else entry_lines(self.lines, key_start, self.span(value)[1])
                )
                found[name] = KeyedValue(entry, key_start, key_end, block)
        return found

    def cases(self, node: Node) -> list[CaseEntry]:
        if not isinstance(node, SequenceNode):
            self.report(
                node,
                "`cases` must be a list.",
                "Write `cases:` then one `- name: ...` item per case.",
            )
            return []
        cases: list[CaseEntry] = []
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

    def case(self, item: MappingNode, number: int) -> CaseEntry:
        start, end = self.span(item)
        case = CaseEntry(f"case {number}", start, start, self.line_of(start), {}, None)
        has_name = False
        name_key: ScalarNode | None = None
        vars_nodes: tuple[ScalarNode, Node] | None = None
        for key, key_node, value in self.pairs(item, CASE_KEYS, "case key"):
            if key == "vars":
                vars_nodes = key_node, value
            if key == "name":
                entry = self.scalar(key, key_node, value)
                if entry is not None and entry.value:
                    has_name = True
                    name_key = key_node
                    case.name = entry.value
                    case.name_start, case.name_end = self.span(value)
                    case.line = self.line_of(self.span(key_node)[0])
            elif key == "vars" and not _is_null(value):
                case.variables = self.variables(value, "vars")
            elif key == "target" and not _is_null(value):
                target = self.scalar(key, key_node, value)
                case.target = target
            elif key == "expect" and not _is_null(value):
                case.expect = self.expectations(value)
        if not has_name:
            self.report_span(start, end, f"Case {number} has no name.", "Add `name: <case name>`.")
        elif name_key is not None and not item.flow_style:  # a new `vars:` goes under `name:`
            after_name = next_line_start(self.lines, case.name_end)
            indent = " " * name_key.start_mark.column
            case.variable_slot = variable_slot(
                self.lines, self.base, vars_nodes, after_name, indent
            )
        return case

    def expectations(self, node: Node) -> tuple[Expectation, ...]:
        """An `expect:` list; each bad item is reported (see `prompt/expectations.py`)."""
        if not isinstance(node, SequenceNode):
            self.problems.append(not_a_list(*self.span(node)))
            return ()
        found: list[Expectation] = []
        for item in node.value:
            pair = item.value[0] if isinstance(item, MappingNode) and len(item.value) == 1 else None
            if pair is None or not isinstance(pair[0], ScalarNode):
                self.problems.append(not_a_pair(*self.span(item)))
                continue
            key_node, value = pair
            start, end = self.span(key_node)[0], self.span(value)[1]
            unknown = kind_problem(key_node.value, *self.span(key_node))
            if unknown is not None:
                close = closest(key_node.value, EXPECTATION_KINDS)
                fixes = (rename(unknown.start, unknown.end, close),) if close else ()
                self.problems.append(replace(unknown, code="unknown-key", fixes=fixes))
                continue
            if _is_null(value):
                written: VariableValue | None = VariableValue(key_node.value, "", ())
            else:
                written = self.scalar(key_node.value, key_node, value)
            if written is None:
                continue
            checked = read_expectation(key_node.value, written, start, end)
            if isinstance(checked, Problem):
                self.problems.append(checked)
            else:
                found.append(checked)
        return tuple(found)

    def report_span(self, start: int, end: int, problem: str, fix: str) -> None:
        self.problems.append(Problem("error", problem, fix, start, end))

    def line_of(self, offset: int) -> int:
        return self.lines.line_of(offset)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def setting_problems(front: FrontMatter) -> Iterator[Problem]:
    """The settings' own checks (the registries' for methods and granularities), on each value
    the file gives, and the `explain` regex."""
    for declared in front_matter_settings():
        entry = front.strings.get(declared.name)
        if entry is None or declared.check is None:
            continue
        try:
            declared.check(entry.value)
        except PromptSalienceError as exc:
            problem = value_problem(entry, exc.problem, exc.fix, exc.column)
            span = plain_span(entry.file_offsets) if declared.choices else None
            fixes = replacements(*span, entry.value, declared.choices) if span else ()
            yield replace(problem, code="invalid-setting", fixes=fixes)
    explain = front.strings.get("explain")
    if (
        explain is not None
        and len(explain.value) >= 2
        and explain.value[0] == explain.value[-1] == "/"
    ):
        found = slashed_regex_problem(
            explain,
            "explain",
            "Fix the pattern between the slashes (Python `regex` syntax), or write plain text.",
        )
        if found is not None:
            yield found
