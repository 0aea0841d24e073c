"""The pieces every HTML report shares: the page's CSS and script, escaping, and a result's
text drawn as a heatmap with its legend and top table (`html.py` for runs, `comparison_html.py`
for comparisons).

Every piece of user text goes through `esc`, and none of it reaches the script. Colours follow
`ColourScale`: each segment carries its hue and level as CSS variables, and the page computes
`alpha = intensity * level` so that the slider works without recomputing anything.
"""

from __future__ import annotations

import html
import itertools

from prompt_salience.report.colour_scale import ColourScale, parse_hex
from prompt_salience.report.layout import (
    Piece,
    RankedSegment,
    format_score,
    shorten,
)
from prompt_salience.results import SalienceResult


def esc(text: str) -> str:
    return html.escape(text, quote=True)


CSS = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f1f1f; --muted: #5f6368;
  --rule: #dadce0; --target-bg: #e3e3e3; --target-line: #3c4043; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #1b1b1f; --fg: #e8e8ea; --muted: #a8a8b0; --rule: #3c3c44;
    --target-bg: #45454d; --target-line: #d0d0d6; }
}
body { background: var(--bg); color: var(--fg); margin: 2rem auto; max-width: 60rem;
  padding: 0 1rem; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; border-top: 1px solid var(--rule); padding-top: 1.2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
.muted, .meta dt { color: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
.meta dd { margin: 0; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid var(--rule);
  border-radius: 6px; padding: .6rem .8rem; }
.seg { border-radius: 3px;
  background-color: rgb(var(--hue, 0 0 0) / calc(var(--level, 0) * var(--intensity, 0.4))); }
.target { background: var(--target-bg); color: inherit; font-weight: 600;
  text-decoration: underline 2px; outline: 2px solid var(--target-line); border-radius: 3px; }
.show-scores .seg[data-rank]::after { content: attr(data-score); font-size: .7em;
  vertical-align: super; color: var(--muted); padding-left: 1px; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
.swatch { display: inline-block; width: 1.4em; height: 1em; vertical-align: middle;
  border: 1px solid var(--rule); border-radius: 3px; margin-right: .3rem;
  background-color: rgb(var(--hue, 0 0 0) / calc(var(--level, 0) * var(--intensity, 0.4))); }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .2rem .8rem .2rem 0; border-bottom: 1px solid var(--rule); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.controls { border: 1px solid var(--rule); border-radius: 6px; padding: .4rem .8rem; }
.controls label { margin-right: 1.5rem; }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #444444; --rule: #bbbbbb;
    --target-bg: #e3e3e3; --target-line: #000000; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .controls { display: none; }
  article { break-before: page; }
  article:first-of-type { break-before: auto; }
  table, .legend { break-inside: avoid; }
}
"""

# No user data ever goes into the script: it only wires the two controls.
SCRIPT = """
(function () {
  var controls = document.getElementById("controls");
  if (!controls) { return; }
  controls.hidden = false;
  var slider = document.getElementById("intensity");
  var shown = document.getElementById("intensity-value");
  var scores = document.getElementById("show-scores");
  slider.addEventListener("input", function () {
    document.body.style.setProperty("--intensity", slider.value);
    shown.textContent = slider.value;
  });
  scores.addEventListener("change", function () {
    document.body.classList.toggle("show-scores", scores.checked);
  });
})();
"""


def controls(intensity: float) -> str:
    # Hidden until the script shows it, so a page without JS shows no dead controls.
    return (
        '<section id="controls" class="controls" hidden>\n'
        f'<label>Colour strength <input id="intensity" type="range" min="0" max="1" step="0.05" '
        f'value="{intensity:g}"> <output id="intensity-value">{intensity:g}</output></label>\n'
        '<label><input id="show-scores" type="checkbox"> Show scores</label>\n'
        "</section>\n"
    )


def colour_vars(scale: ColourScale, bucket: int) -> str:
    red, green, blue = parse_hex(scale.hue(bucket))
    return f"--hue: {red} {green} {blue}; --level: {scale.level(bucket):.4g}"


def text_block(
    result: SalienceResult, pieces: list[Piece], scale: ColourScale, ranks: dict[int, RankedSegment]
) -> str:
    """The pieces as one line of markup (a newline between tags would show inside pre-wrap)."""
    markup = []
    for in_span, run in itertools.groupby(pieces, key=lambda p: p.in_span):
        inner = "".join(_piece(result, p, scale, ranks) for p in run)
        # One mark around the whole span, so it reads as one outlined stretch.
        markup.append(f'<mark class="target">{inner}</mark>' if in_span else inner)
    return f'<div class="text">{"".join(markup)}</div>\n'


def _piece(
    result: SalienceResult, piece: Piece, scale: ColourScale, ranks: dict[int, RankedSegment]
) -> str:
    text = esc(piece.text)
    if piece.segment is None:
        return text
    segment = result.segments[piece.segment]
    score = format_score(segment.score, result.signed)
    attributes = [f'class="seg" data-seg="{piece.segment}"']
    ranked = ranks.get(piece.segment)
    if ranked is None:
        tooltip = f"score {score}: no measurable influence"
    else:
        share = f"{ranked.share:.1%}"
        tooltip = f"score {score} · rank {ranked.rank} of {len(ranks)} · {share} of the total"
        attributes.append(f'data-rank="{ranked.rank}" data-score="{esc(score)}"')
    bucket = scale.bucket(segment.score)
    if bucket and not piece.in_span:
        attributes.append(f'style="{colour_vars(scale, bucket)}"')
    attributes.append(f'title="{esc(tooltip)}"')
    return f"<span {' '.join(attributes)}>{text}</span>"


def legend(scale: ColourScale) -> str:
    steps = "".join(
        f'<li><span class="swatch" style="{colour_vars(scale, step.bucket)}"></span>'
        f"{esc(step.label)}</li>\n"
        for step in scale.legend()
    )
    return (
        f"<h3>Legend</h3>\n<p>{esc(scale.caption())} The strongest colour stands for the "
        f"largest |score| here: {scale.scale:.3g}.</p>\n"
        f'<ul class="legend">\n{steps}</ul>\n'
    )


def top_table(result: SalienceResult, top: list[RankedSegment]) -> str:
    if not top:
        return "<h3>Most influential parts</h3>\n<p>No part of the text has a non-zero score.</p>\n"
    rows = "".join(
        f'<tr><td class="num">{r.rank}</td><td>{esc(shorten(r.segment.text, 80))}</td>'
        f'<td class="num">{esc(format_score(r.segment.score, result.signed))}</td>'
        f'<td class="num">{r.share:.1%}</td></tr>\n'
        for r in top
    )
    return (
        f"<h3>The {len(top)} most influential parts</h3>\n<table>\n<thead><tr><th>Rank</th>"
        "<th>Part of the text</th><th>Score</th><th>Share of the total</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n"
    )
