"""A self-contained HTML report of one or more salience results, for sharing with anyone.

One file, nothing fetched: inline CSS, a few lines of optional inline JS (intensity slider,
"show scores"), no fonts, images or links outside the page. Every piece of user text goes
through `html.escape`, and none of it reaches the script. Colours follow `ColourScale`: each
segment carries its hue and level as CSS variables, and the page computes
`alpha = intensity * level` so that the slider works without recomputing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prompt_salience.report.colour_scale import DEFAULT_INTENSITY, ColourScale, check_intensity
from prompt_salience.report.html_parts import (
    CSS,
    SCRIPT,
    controls,
    esc,
    legend,
    text_block,
    top_table,
)
from prompt_salience.report.layout import (
    describe_note,
    ranked_segments,
    result_notices,
    span_footer,
    text_pieces,
)
from prompt_salience.results import SalienceResult

TOP_N = 5
# A result's notices (layout.result_notices); a warning stands out in either colour scheme.
NOTICE_CSS = (
    ".notice { margin: 0.5em 0; }\n"
    ".notice.warning { border-left: 4px solid #d97706; padding-left: 0.6em; font-weight: bold; }\n"
)


@dataclass(frozen=True)
class ReportItem:
    """One result in a report, with a heading, where it came from and free notes."""

    result: SalienceResult
    heading: str
    source_label: str | None = None
    notes: str | None = None


_HOW_TO_READ = (
    "The model wrote a response to a prompt. Each report below explains one part of that "
    "response, the <strong>explained span</strong>, drawn with an outline. The colour behind "
    "each part of the text before it shows how much that part influenced the model when it "
    "wrote the span: the stronger the colour, the stronger the influence. Some methods also "
    "tell the direction (the legend under each report says which colour means what). Hover "
    "over a part to see its score, its rank and its share of the total; the table lists the "
    "most influential parts. The scores show what the model relied on, not whether its answer "
    "is right."
)


def html_report(
    items: Sequence[ReportItem],
    *,
    title: str,
    intensity: float = DEFAULT_INTENSITY,
    generated_at: datetime | None = None,
) -> str:
    """The report as one HTML document (a string)."""
    check_intensity(intensity)
    when = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{esc(title)}</title>\n<style>{CSS}{NOTICE_CSS}</style>\n</head>\n",
        f'<body style="--intensity: {intensity:g}">\n',
        f"<header>\n<h1>{esc(title)}</h1>\n",
        f'<p class="muted">Made by Prompt Salience on {esc(when)}; {len(items)} '
        f"{'result' if len(items) == 1 else 'results'}.</p>\n</header>\n",
        f"<section>\n<h2>How to read this</h2>\n<p>{_HOW_TO_READ}</p>\n</section>\n",
        controls(intensity),
    ]
    if len(items) > 1:
        parts.append(_contents(items))
    if not items:
        parts.append("<p>There are no results in this report.</p>\n")
    parts.extend(_item(position, item) for position, item in enumerate(items, start=1))
    parts.append(f"<script>{SCRIPT}</script>\n</body>\n</html>\n")
    return "".join(parts)


def write_html_report(
    items: Sequence[ReportItem],
    path: Path,
    *,
    title: str,
    intensity: float = DEFAULT_INTENSITY,
    generated_at: datetime | None = None,
) -> None:
    """Write the report to `path` (UTF-8), replacing any file there."""
    document = html_report(items, title=title, intensity=intensity, generated_at=generated_at)
    path.write_text(document, encoding="utf-8")


def _contents(items: Sequence[ReportItem]) -> str:
    entries = "".join(
        f'<li><a href="#item-{position}">{esc(item.heading)}</a></li>\n'
        for position, item in enumerate(items, start=1)
    )
    return f"<nav>\n<h2>Contents</h2>\n<ol>\n{entries}</ol>\n</nav>\n"


def _item(position: int, item: ReportItem) -> str:
    result = item.result
    # Only buckets, hues and levels come from here: the page applies the intensity (CSS).
    scale = ColourScale.for_result(result)
    ranked = ranked_segments(result)
    ranks = {r.index: r for r in ranked}
    pieces = text_pieces(result)
    response_heading = (
        "The model's response"
        if result.response_is_generated
        else "The target (given, not generated)"
    )
    facts = [("Model", result.model), ("Method", result.method), ("Split into", result.granularity)]
    if item.source_label:
        facts.append(("Source", item.source_label))
    meta = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>\n" for k, v in facts)
    parts = [
        f'<article id="item-{position}">\n<h2>{esc(item.heading)}</h2>\n',
        f'<dl class="meta">\n{meta}</dl>\n',
    ]
    if item.notes:
        parts.append(f'<p class="notes">{esc(item.notes)}</p>\n')
    parts += [
        "<h3>The prompt</h3>\n",
        text_block(result, [p for p in pieces if not p.in_response], scale, ranks),
        f"<h3>{esc(response_heading)}</h3>\n",
        text_block(result, [p for p in pieces if p.in_response], scale, ranks),
        f'<p class="footer">{esc(span_footer(result))}</p>\n',
        legend(scale),
        *(
            f'<p class="notice{" warning" if n.warning else ""}">'
            f"{'Warning: ' if n.warning else ''}{esc(n.text)}</p>\n"
            for n in result_notices(result.notes)
        ),
        top_table(result, ranked[:TOP_N]),
    ]
    if result.notes:
        notes = "".join(
            f"<li>{esc(describe_note(k, v))}</li>\n" for k, v in sorted(result.notes.items())
        )
        parts.append(f"<h3>Notes</h3>\n<ul>\n{notes}</ul>\n")
    parts.append("</article>\n")
    return "".join(parts)
