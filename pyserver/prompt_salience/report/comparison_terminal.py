"""A comparison of two runs on a rich console: the responses as a word diff, the two deltas in
words, and the segments whose share of salience moved most.

Removed words are red and struck through, added words green and underlined. Where the console
shows no colour they are written `[-removed-]` and `{+added+}` (as `git diff --word-diff`
does), so the output reads the same. Segments can carry the line of their template (`lines`:
one function per side from a prompt offset to a 1-based file line), so that a line repeated
in a few-shot prompt can be told apart.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from prompt_salience.report.comparison_layout import (
    delta_sentences,
    differing,
    format_delta,
    format_logprob,
    same_share_totals,
    share_movers,
    word_diff,
)
from prompt_salience.report.layout import format_score, shorten
from prompt_salience.results import AlignedSegment, Comparison, ScoredSegment

LineOf = Callable[[int], int | None]

REMOVED_STYLE = Style(color="red", strike=True)
ADDED_STYLE = Style(color="green", bold=True, underline=True)
_MARKS = {"removed": ("[-", "-]"), "added": ("{+", "+}")}


def _is_plain(console: Console) -> bool:
    return console.no_color or console.color_system is None


def render_comparison(
    comparison: Comparison,
    console: Console,
    *,
    top: int = 5,
    lines: tuple[LineOf, LineOf] | None = None,
) -> None:
    """Print `comparison`: what was compared, the response diff, the deltas, the segments."""
    a, b = comparison.a, comparison.b
    console.print(Text("Comparing", style="bold"))
    console.print(Text.assemble(("  A: ", "bold"), comparison.a_label), soft_wrap=True)
    console.print(Text.assemble(("  B: ", "bold"), comparison.b_label), soft_wrap=True)
    console.print(
        Text.assemble(
            ("Model: ", "bold"),
            a.model,
            ("   Method: ", "bold"),
            a.method,
            ("   Split into: ", "bold"),
            a.granularity,
        )
    )
    console.print()
    console.print(Text("Responses (A -> B)", style="bold underline"))
    console.print(response_diff(a.response, b.response, plain=_is_plain(console)), soft_wrap=True)
    console.print()
    _print_deltas(comparison, console)
    console.print()
    where = _Where(lines)
    _print_movers(comparison, console, top, where)
    _print_differing(comparison, console, where)


def response_diff(a: str, b: str, *, plain: bool) -> Text:
    """The word diff of two responses as one rich Text."""
    text = Text(end="")
    for piece in word_diff(a, b):
        if piece.kind == "same":
            text.append(piece.text)
            continue
        style = REMOVED_STYLE if piece.kind == "removed" else ADDED_STYLE
        if plain:
            opening, closing = _MARKS[piece.kind]
            text.append(f"{opening}{piece.text}{closing}", style=style)
        else:
            text.append(piece.text, style=style)
    return text


def _print_deltas(comparison: Comparison, console: Console) -> None:
    cross = comparison.cross
    console.print(Text("How likely each answer is under each prompt", style="bold underline"))
    rows = (
        ("A", comparison.a.span_text, cross.a_under_a, cross.a_under_b, cross.delta_a),
        ("B", comparison.b.span_text, cross.b_under_a, cross.b_under_b, cross.delta_b),
    )
    table = Table(box=None, pad_edge=False)
    table.add_column("Answer")
    table.add_column("Explained span")
    table.add_column("log p after A", justify="right")
    table.add_column("log p after B", justify="right")
    table.add_column("Change", justify="right")
    for name, span, under_a, under_b, delta in rows:
        table.add_row(
            name,
            Text(shorten(span, 50)),
            format_logprob(under_a),
            format_logprob(under_b),
            format_delta(delta),
        )
    console.print(table)
    for sentence in delta_sentences(comparison):
        console.print(Text(sentence, style="bold"), soft_wrap=True)


class _Where:
    """`line 12` of a segment on one side, `12 -> 14` for a pair: empty when lines are unknown."""

    def __init__(self, lines: tuple[LineOf, LineOf] | None) -> None:
        self.lines = lines

    def line(self, side: int, segment: ScoredSegment | None) -> int | None:
        if self.lines is None or segment is None:
            return None
        return self.lines[side](segment.start)

    def pair(self, aligned: AlignedSegment) -> str:
        a, b = self.line(0, aligned.a), self.line(1, aligned.b)
        if a is None or b is None:
            return ""
        return str(a) if a == b else f"{a} -> {b}"

    def suffix(self, side: int, segment: ScoredSegment | None) -> str:
        line = self.line(side, segment)
        return "" if line is None else f", line {line}"


def _print_movers(comparison: Comparison, console: Console, top: int, where: _Where) -> None:
    same_a, same_b = same_share_totals(comparison)
    console.print(
        Text(
            f"Segments in both prompts hold {same_a:.0%} of A's salience and {same_b:.0%} of "
            "B's. Share = a segment's |score| over the prompt's total.",
            style="dim",
        ),
        soft_wrap=True,
    )
    if top <= 0:
        return
    gained, lost = share_movers(comparison, top)
    signed = comparison.a.signed
    for title, movers in (("gained most share", gained), ("lost most share", lost)):
        if not movers:
            console.print(Text(f"No shared segment {title}.", style="dim"))
            continue
        table = Table(title=f"Shared segments that {title}", title_justify="left")
        table.add_column("Change", justify="right")
        table.add_column("Share in A", justify="right")
        table.add_column("Share in B", justify="right")
        table.add_column("Score A -> B", justify="right")
        if where.lines is not None:
            table.add_column("Line", justify="right")
        table.add_column("Segment")
        for segment in movers:
            cells = _mover_row(segment, signed)
            if where.lines is not None:
                cells = (*cells[:-1], where.pair(segment), cells[-1])
            table.add_row(*cells)
        console.print(table)


def _mover_row(segment: AlignedSegment, signed: bool) -> tuple[str | Text, ...]:
    assert segment.a is not None  # a `same` pair has both sides
    assert segment.b is not None
    change = segment.share_change or 0.0
    return (
        f"{100 * change:+.1f} pts",
        f"{segment.share_a or 0.0:.1%}",
        f"{segment.share_b or 0.0:.1%}",
        f"{format_score(segment.a.score, signed)} -> {format_score(segment.b.score, signed)}",
        Text(shorten(segment.a.text, 60)),
    )


def _print_differing(comparison: Comparison, console: Console, where: _Where) -> None:
    segments = differing(comparison)
    if not segments:
        console.print(Text("The two prompts have the same segments.", style="dim"))
        return
    signed = comparison.a.signed
    table = Table(title="Segments that differ", title_justify="left")
    table.add_column("Status")
    table.add_column("In A (share)")
    table.add_column("In B (share)")
    for segment in segments:
        table.add_row(segment.status, *_side_cells(segment, signed, where))
    console.print(table)


def _side_cells(segment: AlignedSegment, signed: bool, where: _Where) -> tuple[Text, Text]:
    cells = []
    for index, side, share in ((0, segment.a, segment.share_a), (1, segment.b, segment.share_b)):
        if side is None:
            cells.append(Text("-", style="dim"))
            continue
        score = format_score(side.score, signed)
        details = f"{share or 0.0:.1%}, score {score}{where.suffix(index, side)}"
        cells.append(Text(f"{shorten(side.text, 45)} ({details})"))
    return cells[0], cells[1]
