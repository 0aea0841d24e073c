"""Salience heatmaps and top-segment tables on a rich console.

Backgrounds are opaque colours blended over white, each with black or white text picked for
contrast, so they read the same on light and dark terminals. Where the console shows no colour
(`no_color`, or output that is not a terminal) the top segments get `[#rank score]` after them
and the explained span is wrapped in `>>` `<<`, so the output still says what the colours would.
"""

from __future__ import annotations

from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from prompt_salience.report.colour_scale import (
    DEFAULT_INTENSITY,
    ColourScale,
    LegendStep,
    text_colour_for,
)
from prompt_salience.report.layout import (
    Piece,
    RankedSegment,
    describe_note,
    format_score,
    ranked_segments,
    result_notices,
    shorten,
    span_footer,
    text_pieces,
)
from prompt_salience.results import SalienceResult

# How many segments carry their rank and score in colourless output.
PLAIN_TOP_N = 5
SPAN_STYLE = Style(bold=True, underline=True, color="#000000", bgcolor="#d4d4d4")
SPAN_OPEN, SPAN_CLOSE = ">>", "<<"


def _is_plain(console: Console) -> bool:
    return console.no_color or console.color_system is None


def render_heatmap(
    result: SalienceResult,
    console: Console,
    *,
    intensity: float = DEFAULT_INTENSITY,
    title: str | None = None,
) -> None:
    """Print `result`: what was run, the coloured prompt and response, legend, footer, notes."""
    scale = ColourScale.for_result(result, intensity)
    plain = _is_plain(console)
    ranks = {r.index: r for r in ranked_segments(result)}
    if title:
        console.print(Text(title, style="bold"))
    console.print(
        Text.assemble(
            ("Model: ", "bold"),
            result.model,
            ("   Method: ", "bold"),
            result.method,
            ("   Split into: ", "bold"),
            result.granularity,
        )
    )
    pieces = text_pieces(result)
    response_heading = (
        "Response" if result.response_is_generated else "Target (given, not generated)"
    )
    for heading, part in (
        ("Prompt", [p for p in pieces if not p.in_response]),
        (response_heading, [p for p in pieces if p.in_response]),
    ):
        console.print(Text(heading, style="bold underline"))
        # soft_wrap: the terminal wraps long lines itself, so the text is printed exactly as is.
        console.print(_body(result, part, scale, ranks, plain), soft_wrap=True)
    console.print(_legend(result, scale, plain), soft_wrap=True)
    console.print(Text(span_footer(result), style="italic"), soft_wrap=True)
    for notice in result_notices(result.notes):
        if notice.warning:
            console.print(Text(f"Warning: {notice.text}", style="bold yellow"), soft_wrap=True)
        else:
            console.print(Text(notice.text), soft_wrap=True)
    for key, value in sorted(result.notes.items()):
        console.print(Text(f"Note: {describe_note(key, value)}", style="dim"), soft_wrap=True)


def _body(
    result: SalienceResult,
    pieces: list[Piece],
    scale: ColourScale,
    ranks: dict[int, RankedSegment],
    plain: bool,
) -> Text:
    body = Text(end="")
    for position, piece in enumerate(pieces):
        following = pieces[position + 1] if position + 1 < len(pieces) else None
        if plain and piece.in_span and (position == 0 or not pieces[position - 1].in_span):
            body.append(SPAN_OPEN, style="bold")
        body.append(piece.text, style=_piece_style(result, piece, scale))
        if plain and piece.in_span and (following is None or not following.in_span):
            body.append(SPAN_CLOSE, style="bold")
        ranked = ranks.get(piece.segment) if piece.segment is not None else None
        ends_segment = following is None or following.segment != piece.segment
        if plain and ranked and ranked.rank <= PLAIN_TOP_N and ends_segment:
            score = format_score(ranked.segment.score, result.signed)
            body.append(f"[#{ranked.rank} {score}]", style="dim")
    return body


def _piece_style(result: SalienceResult, piece: Piece, scale: ColourScale) -> Style | str:
    if piece.in_span:
        return SPAN_STYLE
    if piece.segment is None:
        return ""
    background = scale.colour(result.segments[piece.segment].score)
    if background is None:
        return ""
    return Style(color=text_colour_for(background), bgcolor=background)


def _short_label(scale: ColourScale, step: LegendStep) -> str:
    if step.bucket == 0:
        return "0"
    percent = f"{round(100 * scale.level(step.bucket))}%"
    if not scale.signed:
        return f"≤{percent}"
    return f"+{percent}" if step.bucket > 0 else f"-{percent}"


def _legend(result: SalienceResult, scale: ColourScale, plain: bool) -> Text:
    largest = f"largest |score| = {scale.scale:.3g}"
    if plain:
        return Text(
            f"Legend: [#rank score] follows the {PLAIN_TOP_N} most salient segments; "
            f"{SPAN_OPEN}…{SPAN_CLOSE} is the explained span; {largest}. "
            + (
                "Positive = pushed towards the span, negative = pushed away."
                if result.signed
                else ""
            ),
            style="dim",
        )
    legend = Text()
    legend.append("Legend: ", style="bold")
    for step in scale.legend():
        swatch = step.colour or "#ffffff"
        legend.append(
            f" {_short_label(scale, step)} ",
            style=Style(color=text_colour_for(swatch), bgcolor=swatch),
        )
        legend.append(" ")
    legend.append(f" ({largest}) {scale.caption()}")
    return legend


def print_top_segments(
    result: SalienceResult,
    console: Console,
    n: int = 5,
    *,
    intensity: float = DEFAULT_INTENSITY,
) -> None:
    """A table of the `n` most salient segments: rank, score, share of total |score|, text."""
    top = ranked_segments(result)[:n]
    if not top:
        console.print(Text("No segment has a non-zero score."))
        return
    scale = ColourScale.for_result(result, intensity)
    table = Table(title=f"{len(top)} most salient segments", title_justify="left")
    table.add_column("Rank", justify="right")
    table.add_column("Score", justify="right")
    table.add_column("Share", justify="right")
    table.add_column("Segment")
    for ranked in top:
        score = ranked.segment.score
        background = scale.colour(score)
        style = Style(color=text_colour_for(background), bgcolor=background) if background else ""
        table.add_row(
            str(ranked.rank),
            Text(format_score(score, result.signed), style=style),
            f"{ranked.share:.1%}",
            Text(shorten(ranked.segment.text)),
        )
    console.print(table)
