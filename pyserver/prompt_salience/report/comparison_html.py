"""A self-contained HTML page comparing two runs, for a reader who has never heard of salience:
the response diff, how much more or less likely each answer became, the two heatmaps side by
side, and the shared parts of the prompt whose influence moved most.

Same rules as the run report (`html.py`): one file, nothing fetched, every piece of user text
escaped, no user data in the script.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prompt_salience.report.colour_scale import DEFAULT_INTENSITY, ColourScale, check_intensity
from prompt_salience.report.comparison_layout import (
    delta_sentences,
    differing,
    format_delta,
    format_logprob,
    same_share_totals,
    share_movers,
    word_diff,
)
from prompt_salience.report.html_parts import CSS, SCRIPT, controls, esc, legend, text_block
from prompt_salience.report.layout import (
    format_score,
    ranked_segments,
    shorten,
    span_footer,
    text_pieces,
)
from prompt_salience.results import AlignedSegment, Comparison, SalienceResult

TOP_N = 5

_COMPARISON_CSS = """
body { max-width: 96rem; }
.sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr));
  gap: 1.5rem; align-items: start; }
.sides section { min-width: 0; }
del { color: #b3261e; background: rgb(179 38 30 / .12); text-decoration: line-through; }
ins { color: #146c2e; background: rgb(20 108 46 / .12); text-decoration: underline;
  font-weight: 600; }
@media (prefers-color-scheme: dark) {
  del { color: #f2b8b5; } ins { color: #a6d9a9; }
}
.sentence { font-size: 1.1rem; font-weight: 600; }
"""

_HOW_TO_READ = (
    "Two versions of a prompt, <strong>A</strong> and <strong>B</strong>, were each given to "
    "the model, and each got an answer. This page shows what changed in the answer, how much "
    "more or less likely each answer became when the prompt changed (the model scored each "
    "answer after the other prompt too, without writing anything new), and which parts of "
    "the prompt the model relied on in each version. In the two texts side by side, the "
    "stronger the colour behind a part, the more that part influenced the outlined answer; "
    "each side's colours are scaled to its own strongest part. A part's "
    "<strong>share</strong> is its influence as a percentage of the whole prompt's."
)


def comparison_html(
    comparison: Comparison,
    *,
    title: str,
    intensity: float = DEFAULT_INTENSITY,
    generated_at: datetime | None = None,
    top: int = TOP_N,
) -> str:
    """The comparison as one HTML document (a string)."""
    check_intensity(intensity)
    when = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    return "".join(
        [
            "<!DOCTYPE html>\n",
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f"<title>{esc(title)}</title>\n<style>{CSS}{_COMPARISON_CSS}</style>\n</head>\n",
            f'<body style="--intensity: {intensity:g}">\n',
            f"<header>\n<h1>{esc(title)}</h1>\n",
            f'<p class="muted">Made by Prompt Salience on {esc(when)}.</p>\n',
            _labels(comparison),
            "</header>\n",
            f"<section>\n<h2>How to read this</h2>\n<p>{_HOW_TO_READ}</p>\n</section>\n",
            _answers(comparison),
            _likelihoods(comparison),
            controls(intensity),
            _side_by_side(comparison),
            _shared_changes(comparison, top),
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n",
        ]
    )


def write_comparison_html(
    comparison: Comparison,
    path: Path,
    *,
    title: str,
    intensity: float = DEFAULT_INTENSITY,
    top: int = TOP_N,
) -> None:
    """Write the comparison page to `path` (UTF-8), replacing any file there."""
    page = comparison_html(comparison, title=title, intensity=intensity, top=top)
    path.write_text(page, encoding="utf-8")


def _labels(comparison: Comparison) -> str:
    a = comparison.a
    facts = [
        ("A", comparison.a_label),
        ("B", comparison.b_label),
        ("Model", a.model),
        ("Method", a.method),
        ("Split into", a.granularity),
    ]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>\n" for k, v in facts)
    return f'<dl class="meta">\n{rows}</dl>\n'


def _answers(comparison: Comparison) -> str:
    markup = []
    for piece in word_diff(comparison.a.response, comparison.b.response):
        text = esc(piece.text)
        if piece.kind == "removed":
            markup.append(f'<del title="only in A">{text}</del>')
        elif piece.kind == "added":
            markup.append(f'<ins title="only in B">{text}</ins>')
        else:
            markup.append(text)
    return (
        "<section>\n<h2>What changed in the answer</h2>\n"
        "<p>A's answer with B's changes: <del>struck out</del> only in A, "
        "<ins>underlined</ins> only in B.</p>\n"
        f'<div class="text">{"".join(markup)}</div>\n'
        "<p>Explained part of each answer: A "
        f'<mark class="target">{esc(comparison.a.span_text)}</mark>, B '
        f'<mark class="target">{esc(comparison.b.span_text)}</mark>.</p>\n'
        "</section>\n"
    )


def _likelihoods(comparison: Comparison) -> str:
    cross = comparison.cross
    sentences = "".join(f'<p class="sentence">{esc(s)}</p>\n' for s in delta_sentences(comparison))
    rows = "".join(
        f"<tr><td>{name}</td><td>{esc(shorten(span, 60))}</td>"
        f'<td class="num">{format_logprob(under_a)}</td>'
        f'<td class="num">{format_logprob(under_b)}</td>'
        f'<td class="num">{esc(format_delta(delta))}</td></tr>\n'
        for name, span, under_a, under_b, delta in (
            ("A", comparison.a.span_text, cross.a_under_a, cross.a_under_b, cross.delta_a),
            ("B", comparison.b.span_text, cross.b_under_a, cross.b_under_b, cross.delta_b),
        )
    )
    return (
        "<section>\n<h2>How likely each answer is under each prompt</h2>\n"
        f"{sentences}"
        '<p class="muted">The numbers are log-probabilities (natural log, summed over the '
        "explained part's tokens): closer to 0 is more likely, and a change of 1 means about "
        "2.7 times more or less likely.</p>\n"
        "<table>\n<thead><tr><th>Answer</th><th>Explained part</th><th>After A's prompt</th>"
        "<th>After B's prompt</th><th>Change</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n</section>\n"
    )


def _side_by_side(comparison: Comparison) -> str:
    return (
        "<section>\n<h2>What each answer relied on</h2>\n"
        '<div class="sides">\n'
        f"{_side('A', comparison.a_label, comparison.a)}"
        f"{_side('B', comparison.b_label, comparison.b)}"
        "</div>\n</section>\n"
    )


def _side(name: str, label: str, result: SalienceResult) -> str:
    # Only buckets, hues and levels come from here: the page applies the intensity (CSS).
    scale = ColourScale.for_result(result)
    ranks = {r.index: r for r in ranked_segments(result)}
    pieces = text_pieces(result)
    heading = "The model's answer" if result.response_is_generated else "The given answer"
    return (
        f"<section>\n<h3>{name}: {esc(label)}</h3>\n"
        "<h3>The prompt</h3>\n"
        f"{text_block(result, [p for p in pieces if not p.in_response], scale, ranks)}"
        f"<h3>{heading}</h3>\n"
        f"{text_block(result, [p for p in pieces if p.in_response], scale, ranks)}"
        f'<p class="footer">{esc(span_footer(result))}</p>\n'
        f"{legend(scale)}</section>\n"
    )


def _shared_changes(comparison: Comparison, top: int) -> str:
    same_a, same_b = same_share_totals(comparison)
    gained, lost = share_movers(comparison, top)
    signed = comparison.a.signed
    parts = [
        "<section>\n<h2>Where the influence moved</h2>\n",
        f"<p>The parts found in both prompts hold {same_a:.0%} of A's influence and "
        f"{same_b:.0%} of B's.</p>\n",
    ]
    for title, movers in (("gained most", gained), ("lost most", lost)):
        parts.append(f"<h3>Shared parts whose share {title}</h3>\n")
        if not movers:
            parts.append("<p>None.</p>\n")
            continue
        rows = "".join(_mover_row(segment) for segment in movers)
        parts.append(
            "<table>\n<thead><tr><th>Part of the prompt</th><th>Share in A</th>"
            "<th>Share in B</th><th>Change</th></tr></thead>\n"
            f"<tbody>\n{rows}</tbody>\n</table>\n"
        )
    parts.append(_differing_table(differing(comparison), signed))
    parts.append("</section>\n")
    return "".join(parts)


def _mover_row(segment: AlignedSegment) -> str:
    text = segment.a.text if segment.a is not None else ""
    change = segment.share_change or 0.0
    return (
        f"<tr><td>{esc(shorten(text, 80))}</td>"
        f'<td class="num">{segment.share_a or 0.0:.1%}</td>'
        f'<td class="num">{segment.share_b or 0.0:.1%}</td>'
        f'<td class="num">{100 * change:+.1f} points</td></tr>\n'
    )


_STATUS_WORDS = {
    "changed": "changed",
    "added": "only in B (added)",
    "removed": "only in A (removed)",
}


def _differing_table(segments: list[AlignedSegment], signed: bool) -> str:
    if not segments:
        return "<h3>Parts that differ</h3>\n<p>The two prompts have the same parts.</p>\n"
    rows = []
    for segment in segments:
        cells = []
        for side, share in ((segment.a, segment.share_a), (segment.b, segment.share_b)):
            if side is None:
                cells.append('<td class="muted">-</td>')
                continue
            score = esc(format_score(side.score, signed))
            cells.append(
                f"<td>{esc(shorten(side.text, 60))} "
                f'<span class="muted">({share or 0.0:.1%}, score {score})</span></td>'
            )
        rows.append(f"<tr><td>{esc(_STATUS_WORDS[segment.status])}</td>{''.join(cells)}</tr>\n")
    return (
        "<h3>Parts that differ</h3>\n<table>\n<thead><tr><th>What</th><th>In A (share)</th>"
        f"<th>In B (share)</th></tr></thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n"
    )
