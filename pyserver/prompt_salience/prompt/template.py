"""The template body: `{{ name }}` placeholders, `\\{{` escapes, and rendering one case.

The body is never evaluated: a placeholder holds a variable name and nothing else, and each
rendered character keeps the file offset it came from (the source map).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

from ..errors import PromptFileError
from .line_index import LineIndex
from .parsed_prompt import Placeholder, Problem, PromptCase, PromptFile, RenderedPrompt
from .source_map import SourceMapBuilder

PLACEHOLDER = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}")
_BRACES = re.compile(r"\\\{\{|\{\{")


class BodyPiece(NamedTuple):
    """A run of the body: literal text, an escaped `\\{{`, a placeholder or an invalid one."""

    kind: Literal["text", "escape", "placeholder", "invalid"]
    start: int
    end: int
    placeholder: Placeholder | None = None


def scan_body(lines: LineIndex, start: int, end: int) -> Iterator[BodyPiece]:
    """The pieces of `lines.text[start:end]`, in order; an unclosed `{{` runs to its line's end."""
    text = lines.text
    position = start
    while True:
        braces = _BRACES.search(text, position, end)
        if braces is None:
            if position < end:
                yield BodyPiece("text", position, end)
            return
        if braces.start() > position:
            yield BodyPiece("text", position, braces.start())
        if braces.group() != "{{":
            yield BodyPiece("escape", braces.start(), braces.end())
            position = braces.end()
            continue
        match = PLACEHOLDER.match(text, braces.start(), end)
        if match is not None:
            placeholder = Placeholder(match.group(1), match.start(), match.end())
            yield BodyPiece("placeholder", match.start(), match.end(), placeholder)
            position = match.end()
            continue
        line_end = min(lines.line_end(lines.line_of(braces.end())), end)
        closing = text.find("}}", braces.end(), line_end)
        position = closing + 2 if closing >= 0 else braces.end()
        yield BodyPiece("invalid", braces.start(), position)


def invalid_placeholder_problem(text: str, piece: BodyPiece) -> Problem:
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
    for piece in scan_body(LineIndex(text), prompt_file.body_offset, body_end):
        if piece.kind == "text":
            builder.add(text[piece.start : piece.end], range(piece.start, piece.end), "template")
        elif piece.kind == "escape":
            builder.add("{{", (piece.start + 1, piece.start + 2), "template")
        elif piece.placeholder is None:
            raise prompt_file.error(invalid_placeholder_problem(text, piece))
        else:
            name = piece.placeholder.name
            value = case.variables.get(name)
            if value is None:
                problem = f"Case `{case.name}` has no value for `{{{{{name}}}}}`."
                fix = f"Add `{name}: <value>` under `vars:`."
                raise prompt_file.error(Problem("error", problem, fix, piece.start, piece.end))
            builder.add(value.value, value.file_offsets, "variable", name)
