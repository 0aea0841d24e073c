"""A self-contained HTML report of a batch run: the template painted with each part's mean share
of salience across the cases, a table of the parts, and the failing cases with what drove them.

Same page machinery as the one-result report (html_parts: inline CSS, the intensity slider, no
network); all user text escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .colour_scale import DEFAULT_INTENSITY, ColourScale
from .html_parts import CSS, SCRIPT, colour_vars, controls, esc, legend

TOP_FAILING = 3  # segments listed for each failing case


class _Placeholder(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class Template(Protocol):
    """What the report reads of a parsed template (prompt.parsed_prompt.PromptFile)."""

    @property
    def path(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def body_offset(self) -> int: ...
    @property
    def placeholders(self) -> Sequence[_Placeholder]: ...


_HOW_TO_READ = (
    "The template below ran once per case of a dataset. The colour behind each part of the "
    "template shows its <strong>mean share</strong> of the salience across all cases: how much "
    "of what drove the explained span came from that part, on average. Each variable counts as "
    "one part, wherever it appears. Hover over a part for its mean share, its spread across "
    "cases and how often it was among a case's three strongest parts."
)


def _tooltip(segment: dict[str, Any]) -> str:
    return (
        f"mean share {segment['mean_share']:.1%} · spread {segment['std_share']:.1%} · "
        f"top 3 in {segment['top3_rate']:.0%} of cases"
    )


def _painted_template(template: Template, segments: Sequence[dict[str, Any]]) -> str:
    """The template body, each located part coloured by its mean share."""
    scale = ColourScale(False, max([s["mean_share"] for s in segments] + [0.0]))
    marks: list[tuple[int, int, dict[str, Any]]] = []
    variables = {s["name"]: s for s in segments if s["kind"] == "variable"}
    for segment in segments:
        if segment["kind"] == "template" and segment["start"] is not None:
            marks.append((segment["start"], segment["end"], segment))
    for placeholder in template.placeholders:  # every occurrence of a variable
        if placeholder.name in variables:
            marks.append((placeholder.start, placeholder.end, variables[placeholder.name]))
    marks.sort(key=lambda m: m[0])
    text = template.text
    position = template.body_offset
    out = []
    for start, end, segment in marks:
        if start < position:
            continue  # overlapping marks cannot happen with located parts; stay safe
        out.append(esc(text[position:start]))
        bucket = scale.bucket(segment["mean_share"])
        style = f' style="{colour_vars(scale, bucket)}"' if bucket else ""
        out.append(
            f'<span class="seg"{style} title="{esc(_tooltip(segment))}">{esc(text[start:end])}</span>'
        )
        position = end
    out.append(esc(text[position : template.body_offset + len(template.body)]))
    return f'<div class="text">{"".join(out)}</div>\n' + legend(scale)


def _parts_table(segments: Sequence[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{esc(s['name'] or '')}</td><td>{esc(s['text'][:80])}</td>"
        f"<td>{s['mean_share']:.1%}</td><td>{s['std_share']:.1%}</td>"
        f"<td>{s['top3_rate']:.0%}</td></tr>\n"
        for s in sorted(segments, key=lambda s: -s["mean_share"])
    )
    return (
        "<table>\n<thead><tr><th>Variable</th><th>Part</th><th>Mean share</th><th>Spread</th>"
        f"<th>Top 3 in</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n"
    )


def _failing_case(record: dict[str, Any]) -> str:
    segments = sorted(record["segments"], key=lambda s: -abs(float(s["score"])))[:TOP_FAILING]
    total = sum(abs(float(s["score"])) for s in record["segments"]) or 1.0
    drivers = "".join(
        f"<li>{esc(s['text'][:100])} ({abs(float(s['score'])) / total:.0%})</li>\n"
        for s in segments
    )
    values = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>\n" for k, v in record["vars"].items())
    return (
        f'<article>\n<h3>{esc(record["case_id"])}</h3>\n<dl class="meta">\n{values}</dl>\n'
        f'<div class="text">{esc(record["response"])}</div>\n'
        f'<p>Explained: <mark class="target">{esc(record["target"]["text"])}</mark></p>\n'
        f"<p>Strongest parts of its prompt:</p>\n<ol>\n{drivers}</ol>\n</article>\n"
    )


def dataset_report(
    template: Template,
    aggregate: dict[str, Any],
    records: Sequence[dict[str, Any]],
    *,
    title: str,
    generated_at: datetime | None = None,
) -> str:
    when = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    failing = [r for r in records if r.get("passed") is False]
    segments = aggregate["segments"]
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n",
        f'<body style="--intensity: {DEFAULT_INTENSITY:g}">\n',
        f"<header>\n<h1>{esc(title)}</h1>\n",
        f'<p class="muted">Made by Prompt Salience on {esc(when)}; {aggregate["cases"]} cases, '
        f"{len(failing)} failing an expectation.</p>\n</header>\n",
        f"<section>\n<h2>How to read this</h2>\n<p>{_HOW_TO_READ}</p>\n</section>\n",
        controls(DEFAULT_INTENSITY),
        "<section>\n<h2>The template, by mean share</h2>\n",
        _painted_template(template, segments) if segments else "<p>No template to paint.</p>\n",
        _parts_table(segments),
        "</section>\n",
        f"<section>\n<h2>Failing cases ({len(failing)})</h2>\n",
        "".join(_failing_case(r) for r in failing) or "<p>No case failed its expectations.</p>\n",
        "</section>\n",
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def write_dataset_report(
    path: Path, template: Template, aggregate: dict[str, Any], records: Sequence[dict[str, Any]]
) -> None:
    title = f"Dataset salience: {Path(template.path or 'template').name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dataset_report(template, aggregate, records, title=title), encoding="utf-8")
