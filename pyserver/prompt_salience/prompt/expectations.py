"""`expect:` items, checked once for both places that write them: the front-matter (YAML) and a
dataset record (JSON).

Each item is one `kind: text` pair: `contains: TEXT`, `not_contains: TEXT`, `regex: /RE/` or
`not_regex: /RE/`, the regex written between slashes as for `explain`. Problems are values with
their file offsets (the bad character of a regex, else the value, else the whole item), so an
editor marks the item; they are never raised.
"""

from __future__ import annotations

import difflib
from typing import cast

import regex  # type: ignore[import-untyped]

from .parsed_prompt import (
    EXPECTATION_KINDS,
    Expectation,
    ExpectationKind,
    Problem,
    VariableValue,
    value_problem,
)

EXAMPLE = "`- not_contains: You have to try it` or `- regex: /Avoid/`"
_KINDS = ", ".join(f"`{kind}`" for kind in EXPECTATION_KINDS)


def not_a_list(start: int, end: int) -> Problem:
    return Problem(
        "error",
        "`expect` must be a list of expectations.",
        f"Write `expect:` then one item per line, e.g. {EXAMPLE}.",
        start,
        end,
    )


def not_a_pair(start: int, end: int) -> Problem:
    return Problem(
        "error",
        "An expectation must be one `kind: text` pair.",
        f"Write e.g. {EXAMPLE} (kinds: {_KINDS}).",
        start,
        end,
    )


def kind_problem(kind: str, start: int, end: int) -> Problem | None:
    """An unknown kind, with the closest known one; None for a known kind."""
    if kind in EXPECTATION_KINDS:
        return None
    close = difflib.get_close_matches(kind, EXPECTATION_KINDS, n=1)
    hint = f"Did you mean `{close[0]}`? " if close else ""
    return Problem(
        "error", f"Unknown expectation `{kind}`.", f"{hint}Known kinds: {_KINDS}.", start, end
    )


def read_expectation(
    kind: str, written: VariableValue, start: int, end: int
) -> Expectation | Problem:
    """The item `kind: written` spanning file offsets [start, end), or its first problem.

    `written` is the value as written (a regex with its slashes); an empty value has no
    offsets, so its problem goes on the whole item.
    """
    unknown = kind_problem(kind, start, end)
    if unknown is not None:
        return unknown
    checked = cast(ExpectationKind, kind)
    text = written.value
    if not text:
        fix = f"Write the text after `{kind}:`, or remove the item."
        if not written.file_offsets:
            return Problem("error", f"`{kind}` has no text.", fix, start, end)
        return value_problem(written, f"`{kind}` has an empty text.", fix)
    if checked in ("regex", "not_regex"):
        found = slashed_regex_problem(
            written, kind, "Fix the pattern between the slashes (Python `regex` syntax)."
        )
        if found is not None:
            return found
    return Expectation(checked, written, start, end)


def slashed_regex_problem(written: VariableValue, key: str, fix: str) -> Problem | None:
    """The problem with a `/pattern/` value of `key` (no slashes, empty, does not compile), on
    the offending character where there is one; None when it compiles.

    `explain` accepts plain text as well, so it calls this only for values in slashes.
    """
    text = written.value
    if len(text) < 2 or text[0] != "/" or text[-1] != "/":
        return value_problem(
            written,
            f"`{key}` must be a regex written between slashes.",
            f"Write e.g. `{key}: /{text.strip('/') or 'Avoid'}/`"
            + (" (or `not_contains` for plain text)." if key == "not_regex" else "."),
        )
    pattern = text[1:-1]
    try:
        if not pattern:
            raise regex.error("the pattern is empty", pattern, 0)
        regex.compile(pattern)
    except regex.error as exc:
        pos = exc.pos if isinstance(exc.pos, int) else 0
        return value_problem(
            written, f"Invalid regex in `{key}`: {exc.msg} at position {pos}.", fix, pos + 2
        )
    return None
