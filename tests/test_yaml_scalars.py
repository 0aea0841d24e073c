"""YAML scalar offsets checked against PyYAML itself, on scalars written in every style.

Hypothesis writes front-matter values by hand (plain, single- and double-quoted, literal and
folded blocks, with escapes, folds, blank lines and chomping) rather than through `yaml.dump`,
so the awkward layouts people type are covered. For each value: the decoded text is
`yaml.safe_load`'s, every offset lies inside the node's compose marks, offsets increase, and a
character that does not come from an escape or a fold maps to that same character in the file.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode

from prompt_salience.prompt.yaml_scalars import scalar_characters

BREAKS = "\r\n\x85\u2028\u2029"
# Hex digits after \x, \u and \U in double-quoted YAML.
ESCAPE_DIGITS = {"x": 2, "u": 4, "U": 8}
ESCAPES = [
    *("\\n", "\\t", '\\"', "\\\\", "\\/", "\\0", "\\a", "\\b", "\\e", "\\r", "\\v", "\\f"),
    *("\\N", "\\_", "\\L", "\\P", "\\ ", "\\\t", "\\x41", "\\x7e", "\\u00e9", "\\u00E9"),
    *("\\u2028", "\\U0001F600", "\\U0001f600"),
]
ASCII = [chr(c) for c in range(0x21, 0x7F)]
# Line breaks inside a scalar: mostly the file's own ("\n" is replaced by it), sometimes the
# ones YAML also counts (NEL, line and paragraph separators).
NEWLINES = st.sampled_from(["\n", "\n", "\n", "\x85", "\u2028", "\u2029"])
UNICODE = ["é", "ß", "😀", "\xa0", "中"]


@st.composite
def layouts(draw: st.DrawFn) -> tuple[int, str]:
    """(the key's column, the file's line break)."""
    return draw(st.sampled_from([0, 2, 4])), draw(st.sampled_from(["\n", "\r\n"]))


def indent_of(key_column: int, draw: st.DrawFn) -> str:
    """Indentation of a continuation line: deeper than the key, as YAML wants."""
    return " " * (key_column + draw(st.integers(1, 3)))


@st.composite
def plain_scalars(draw: st.DrawFn, key_column: int, *, flow: bool = False) -> str:
    """Words on one or more lines, folded; blank lines and trailing spaces between them."""
    first = st.sampled_from([*"abcxyzABC", *UNICODE])
    ends_plain = ",:?[]{}" if flow else ":"  # inside `{...}` these end a plain scalar
    inner = st.sampled_from([c for c in ASCII if c not in ends_plain] + UNICODE)
    word = st.builds(lambda a, b: a + b, first, st.text(inner, max_size=5))
    line = st.builds(
        lambda words, gaps: "".join(w + g for w, g in zip(words, gaps, strict=False)),
        st.lists(word, min_size=1, max_size=3),
        st.lists(st.sampled_from([" ", "  ", "   "]), min_size=3, max_size=3),
    ).map(str.rstrip)
    lines = draw(st.lists(line, min_size=1, max_size=4))
    written = lines[0]
    for text in lines[1:]:
        trailing = draw(st.sampled_from(["", " ", "  "]))
        blanks = draw(st.lists(st.sampled_from(["", " ", "   "]), max_size=2))
        written += trailing + "".join(draw(NEWLINES) + b for b in blanks)
        written += draw(NEWLINES) + indent_of(key_column, draw) + text
    return written


def quoted_fold(key_column: int, draw: st.DrawFn) -> str:
    """A line break inside a quoted scalar, with whitespace around it and blank lines after."""
    whitespace = st.sampled_from(" \t")
    trailing = draw(st.text(whitespace, max_size=2))
    blanks = draw(st.lists(st.text(whitespace, max_size=3), max_size=2))
    leading = draw(st.text(whitespace, max_size=2))
    inner = "".join(draw(NEWLINES) + b for b in blanks)
    return f"{trailing}{inner}{draw(NEWLINES)}{indent_of(key_column, draw)}{leading}"


@st.composite
def single_quoted(draw: st.DrawFn, key_column: int) -> str:
    chars = [c for c in ASCII if c not in "'-."] + [*UNICODE, " ", "\t", "\x85", "\u2028"]
    pieces = draw(
        st.lists(
            st.one_of(
                st.text(st.sampled_from(chars), min_size=1, max_size=4),
                st.just("''"),
                st.just("fold"),
            ),
            max_size=8,
        )
    )
    body = "".join(quoted_fold(key_column, draw) if p == "fold" else p for p in pieces)
    return f"'{body}'"


@st.composite
def double_quoted(draw: st.DrawFn, key_column: int) -> str:
    chars = [c for c in ASCII if c not in '"\\-.'] + [*UNICODE, " ", "\t", "\x85", "\u2028"]
    # \x, \u or \U with its digits (\u when the number does not fit in \x's two).
    hex_escape = st.sampled_from(["x", "u", "U"]).flatmap(
        lambda code: st.integers(0x20, 0xD7FF).map(
            lambda n: (
                f"\\{code}{n:0{ESCAPE_DIGITS[code]}x}"
                if n < 16 ** ESCAPE_DIGITS[code]
                else f"\\u{n:04X}"
            )
        )
    )
    pieces = draw(
        st.lists(
            st.one_of(
                st.text(st.sampled_from(chars), min_size=1, max_size=4),
                st.sampled_from(ESCAPES),
                hex_escape,
                st.just("fold"),
                st.just("escaped break"),
            ),
            max_size=8,
        )
    )
    written = ""
    for piece in pieces:
        if piece == "fold":
            written += quoted_fold(key_column, draw)
        elif piece == "escaped break":
            written += "\\" + quoted_fold(key_column, draw).lstrip(" \t")
        else:
            written += piece
    return f'"{written}"'


@st.composite
def block_scalars(draw: st.DrawFn, key_column: int) -> str:
    """`|` or `>` with chomping, an optional indentation indicator and comment, then lines."""
    step = draw(st.integers(1, 4))
    explicit = draw(st.booleans())
    header = draw(st.sampled_from("|>")) + draw(st.sampled_from(["", "-", "+"]))
    if explicit:
        header += str(step)
    header += draw(st.sampled_from(["", " ", " # note", "  #"]))
    indent = " " * (key_column + step)
    text_chars = st.sampled_from([*ASCII, *UNICODE, " ", "\t"])
    content = st.builds(
        lambda first, rest: first + rest,
        st.sampled_from([*ASCII, *UNICODE, "\t"]),
        st.text(text_chars, max_size=6),
    )
    # A line with only spaces is blank; past the indentation its spaces are content.
    most = len(indent) + (2 if explicit else 0)
    blank = st.integers(0, most).map(lambda n: " " * n)
    more = st.sampled_from(["", " ", "  ", "\t"])
    lines: list[str] = []
    if explicit or draw(st.booleans()):
        lines += draw(st.lists(blank, max_size=2))
    kinds = draw(st.lists(st.sampled_from(["text", "more", "blank"]), max_size=6))
    for kind in kinds:
        if kind == "blank":
            lines.append(draw(blank))
        elif kind == "more":
            lines.append(indent + draw(more) + draw(content))
        else:
            lines.append(indent + draw(content))
    if not explicit:
        first_text = next((i for i, line in enumerate(lines) if line.strip(" ")), None)
        if first_text is not None:  # the first text line sets the indentation: none extra
            lines[first_text] = indent + lines[first_text].lstrip(" ")
            lines[:first_text] = [line[: len(indent)] for line in lines[:first_text]]
    lines += draw(st.lists(blank, max_size=2))
    return header + "".join(draw(NEWLINES) + line for line in lines)


STYLES = {"plain": plain_scalars, "'": single_quoted, '"': double_quoted, "block": block_scalars}


PLACES = ("after the key", "then a key", "next line", "in braces")
FLOW_KEY_COLUMN = len("outer: {")


def write_front(scalar: str, key_column: int, line_break: str, place: str) -> str:
    """`x: <scalar>` at `key_column` (under `outer:` when indented) placed as `place` says:
    after the key, then another key, on the line after the key, or in a flow mapping."""
    indent = " " * key_column
    lines = ["outer:"] if key_column else []
    if place == "in braces":
        lines = [f"outer: {{x: {scalar}, z: end}}"]
    elif place == "next line":
        lines += [f"{indent}x:", f"{indent}  {scalar}"]
    else:
        lines.append(f"{indent}x: {scalar}")
    if place == "then a key":
        lines.append(f"{indent}z: end")
    return "\n".join(lines).replace("\n", line_break) + line_break


def value_node(front: str) -> tuple[ScalarNode, ScalarNode]:
    """The key `x` and its value, from PyYAML's composed tree."""
    node = yaml.compose(front, Loader=yaml.SafeLoader)
    while True:
        assert isinstance(node, MappingNode)
        key, value = node.value[0]
        if key.value == "x":
            assert isinstance(key, ScalarNode)
            assert isinstance(value, ScalarNode)
            return key, value
        node = value


def loaded_value(front: str) -> Any:
    data = yaml.safe_load(front)
    return data["outer"]["x"] if "outer" in data else data["x"]


def escape_at(written: str, offset: int) -> str:
    """The escape starting at `offset` (a backslash) as PyYAML decodes it."""
    code = written[offset + 1]
    length = 2 + ESCAPE_DIGITS.get(code, 0)
    decoded = yaml.safe_load(f'"{written[offset : offset + length]}"')
    assert isinstance(decoded, str)
    return decoded


def check_scalar(text: str, base: int, front: str) -> None:
    key, node = value_node(front)
    expected = loaded_value(front)
    assert isinstance(expected, str)
    value, offsets = scalar_characters(text, base, node, key.start_mark.column)
    assert value == expected
    assert len(offsets) == len(value)
    assert -1 not in offsets, "the reader gave up on this scalar"
    start, end = base + node.start_mark.index, base + node.end_mark.index
    assert all(start <= offset < end for offset in offsets)
    assert all(a < b for a, b in itertools.pairwise(offsets))
    for char, offset in zip(value, offsets, strict=True):
        written = text[offset]
        if node.style == '"' and written == "\\":
            assert escape_at(text, offset) == char
        elif written in BREAKS:
            # A fold (space) or a line break normalised as YAML reads it (CRLF, NEL -> \n),
            # at the break's first character.
            assert char in (" ", "\n", written)
            assert not text.startswith("\r\n", offset - 1)
        else:
            assert written == char
            if node.style == "'" and char == "'":
                assert text[offset + 1] == "'"  # '' stands for one quote
            if char in " \t":
                assert not is_layout(text, offset, node, key.start_mark.column, base)


def is_layout(text: str, offset: int, node: ScalarNode, key_column: int, base: int) -> bool:
    """Whether the space or tab at `offset` is layout, which no value character may come from:
    indentation, or in a flow scalar whitespace at either end of a line (YAML drops it)."""
    start, end = base + node.start_mark.index, base + node.end_mark.index
    line_start = max(start, *(text.rfind(b, 0, offset) + 1 for b in BREAKS))
    if node.style in ("|", ">"):
        return offset - line_start < block_indent(text[start:end], key_column)
    breaks = [i for i in (text.find(b, offset, end) for b in BREAKS) if i >= 0]
    line_end = min([end, *breaks])
    return not text[line_start:offset].strip(" \t") or not text[offset:line_end].strip(" \t")


def block_indent(written: str, key_column: int) -> int:
    """A block scalar's content indentation, by YAML's rule: the indicator's, else the deepest
    leading spaces up to the first line with content (and at least one past the key)."""
    header, *lines = re.split(f"\r\n|[{BREAKS}]", written)
    digit = re.match(r"[|>][+-]?([1-9])?", header)
    if digit is not None and digit.group(1):
        return key_column + int(digit.group(1))
    deepest = 0
    for line in lines:
        deepest = max(deepest, len(line) - len(line.lstrip(" ")))
        if line.strip(" "):
            break
    return max(key_column + 1, deepest)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), style=st.sampled_from(sorted(STYLES)), place=st.sampled_from(PLACES))
def test_scalar_offsets_match_pyyaml(data: st.DataObject, style: str, place: str) -> None:
    key_column, line_break = data.draw(layouts())
    if place == "in braces":
        if style == "block":
            place = "then a key"  # block scalars cannot stand in a flow mapping
        else:
            key_column = FLOW_KEY_COLUMN
    flow = place == "in braces" and style == "plain"
    scalar = data.draw(plain_scalars(key_column, flow=True) if flow else STYLES[style](key_column))
    front = write_front(scalar, key_column, line_break, place)
    if style == "plain" and not isinstance(loaded_value(front), str):
        return  # a plain word YAML reads as a number or boolean is no text value
    assert value_node(front)[1].style == (None if style == "plain" else scalar[0])
    check_scalar(front, 0, front)
    prefix = f"---{line_break}"  # as in a prompt file: offsets are file offsets
    check_scalar(prefix + front, len(prefix), front)


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("'it''s'", "it's"),
        ('"a\\x41\\u00e9\\"\\tb"', 'aAé"\tb'),
        ("one\n   two\n\n   three", "one two\nthree"),
        ("|-\n  kept\n   more", "kept\n more"),
        (">+\n  folded\n  line\n", "folded line\n\n"),
    ],
)
def test_examples_of_each_style(scalar: str, value: str) -> None:
    front = write_front(scalar, 0, "\n", "then a key")
    assert loaded_value(front) == value
    check_scalar(front, 0, front)
