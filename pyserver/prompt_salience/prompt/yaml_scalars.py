"""Each character of a YAML scalar's value, and the file offset it came from.

PyYAML gives a scalar node's value and where the node starts and ends, not where each value
character was written; this module re-reads the raw text between those marks by PyYAML's own
rules. A written character maps to itself, an escape (`\\n`, `\\x41`, `''`) to its first
character, a folded line break (plain, quoted and `>` scalars) to the line break it replaces,
and a kept line break to itself. If the re-read value ever differs from PyYAML's, PyYAML's value
wins and every offset is -1 (no map rather than a wrong one).
"""

from __future__ import annotations

from yaml.nodes import ScalarNode

_YAML_BREAKS = "\r\n\x85\u2028\u2029"
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}

_Chars = list[tuple[str, int]]  # (produced character, its file offset)


def scalar_characters(
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
