"""Reports: the HTML page, the terminal heatmap and the JSON export, on hand-built results."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from prompt_salience.report import (
    NonFiniteScoreError,
    ReportItem,
    html_report,
    print_top_segments,
    render_heatmap,
    result_to_json,
    results_to_json,
    write_html_report,
)
from prompt_salience.report.colour_scale import ColourScale
from prompt_salience.report.layout import ranked_segments, text_pieces
from prompt_salience.results import CharSpan, SalienceResult, ScoredSegment

HOSTILE = "<script>alert(1)</script>"
PROMPT = f"Café crème 🍰 for Zoë?\r\nIgnore {HOSTILE} and </style> & <b>bold</b>\r\n\r\nRecommend:"
RESPONSE = " Avoid. It has ham 🥓."
WHEN = datetime(2026, 1, 2, 3, 4)


def make_result(
    prompt: str = PROMPT,
    response: str = RESPONSE,
    span_text: str = "Avoid.",
    *,
    signed: bool = True,
    notes: dict[str, float] | None = None,
) -> SalienceResult:
    """Words as segments, scores of mixed sign and size; the span and what follows score 0."""
    text = prompt + response
    span_start = text.index(span_text, len(prompt))
    span = CharSpan(span_start, span_start + len(span_text))
    segments = []
    for i, match in enumerate(re.finditer(r"\S+", text)):
        raw = ((i * 7919) % 13 - 6) / 4.0 if signed else ((i * 7919) % 13) / 4.0
        score = raw if match.end() <= span.start else 0.0
        segments.append(ScoredSegment(match.start(), match.end(), match.group(), score))
    return SalienceResult(
        model="gemma3-270m <test>",
        method="grad_x_input" if signed else "grad_l2",
        granularity="words",
        signed=signed,
        prompt=prompt,
        response=response,
        response_is_generated=True,
        span=span,
        segments=tuple(segments),
        token_spans=tuple(CharSpan(s.start, s.end) for s in segments),
        token_scores=tuple(s.score for s in segments),
        notes=notes or {},
    )


class PageParser(HTMLParser):
    """Collects what the checks need: tags, attributes and the text inside marked elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.segment_text: dict[int, str] = defaultdict(str)
        self.segment_order: list[int] = []
        self.span_text: list[str] = []
        self.blocks: list[str] = []
        self.style_and_script: list[str] = []
        self.legend_steps = 0
        self.table_rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if tag == "div" and "text" in classes:
            self.blocks.append("")
        if tag == "mark" and "target" in classes:
            self.span_text.append("")
        if tag == "li" and any("legend" in (a.get("class") or "") for _, a in self.stack):
            self.legend_steps += 1
        if tag == "tr" and any(t == "tbody" for t, _ in self.stack):
            self.table_rows.append([])
        self.stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(tag in ("style", "script") for tag, _ in self.stack):
            self.style_and_script.append(data)
            return
        for tag, attributes in self.stack:
            classes = (attributes.get("class") or "").split()
            if tag == "div" and "text" in classes:
                self.blocks[-1] += data
            if tag == "mark" and "target" in classes:
                self.span_text[-1] += data
            if "seg" in classes:
                index = int(attributes["data-seg"] or "")
                if index not in self.segment_order:
                    self.segment_order.append(index)
                self.segment_text[index] += data
            if tag == "td" and self.table_rows:
                self.table_rows[-1].append(data)


def parse(document: str) -> PageParser:
    parser = PageParser()
    parser.feed(document)
    parser.close()
    return parser


# ---------------------------------------------------------------- layout


@st.composite
def results_with_cuts(draw: st.DrawFn) -> SalienceResult:
    text = draw(st.text(alphabet="ab \n\r🍰é", min_size=1, max_size=40))
    cut = draw(st.integers(0, len(text)))
    edges = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=12))))
    segments = tuple(
        ScoredSegment(a, b, text[a:b], draw(st.floats(-2, 2)))
        for a, b in zip(edges[::2], edges[1::2], strict=False)
        if a < b
    )
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    return SalienceResult(
        "m", "grad_l2", "words", True, text[:cut], text[cut:], True,
        CharSpan(start, end), segments, (), (),
    )  # fmt: skip


@given(results_with_cuts())
def test_pieces_cover_the_text_once_and_never_cross_a_boundary(result: SalienceResult) -> None:
    pieces = text_pieces(result)
    assert "".join(p.text for p in pieces) == result.text
    assert all(p.start < p.end for p in pieces)
    for piece in pieces:
        assert piece.in_response == (piece.start >= len(result.prompt))
        assert piece.end <= len(result.prompt) or piece.start >= len(result.prompt)
        assert piece.in_span == (result.span.start <= piece.start < result.span.end)
        assert piece.in_span == (result.span.start < piece.end <= result.span.end)
        holders = [i for i, s in enumerate(result.segments) if s.start <= piece.start < s.end]
        assert piece.segment == (holders[0] if holders else None)
        if piece.segment is not None:
            assert piece.end <= result.segments[piece.segment].end


def test_ranking_orders_by_magnitude_and_shares_sum_to_one() -> None:
    result = make_result()
    ranked = ranked_segments(result)
    magnitudes = [abs(r.segment.score) for r in ranked]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert sum(r.share for r in ranked) == pytest.approx(1.0)
    assert all(r.segment.score != 0 for r in ranked)


# ---------------------------------------------------------------- HTML


def report(*items: ReportItem, intensity: float = 0.4) -> str:
    return html_report(items, title=f"Report {HOSTILE}", intensity=intensity, generated_at=WHEN)


@pytest.fixture(scope="module")
def page() -> tuple[SalienceResult, str, PageParser]:
    result = make_result(notes={"completeness_gap": 0.0123})
    document = report(
        ReportItem(
            result, heading=f"Menu {HOSTILE}", source_label="</style>.jsonl:3", notes=HOSTILE
        )
    )
    return result, document, parse(document)


def test_html_is_self_contained(page: tuple[SalienceResult, str, PageParser]) -> None:
    _, document, parsed = page
    assert "http://" not in document
    assert "https://" not in document
    assert "url(" not in document
    assert "@import" not in document
    for tag, attributes in parsed.tags:
        assert tag not in {"link", "img", "iframe", "object", "embed", "base"}
        assert "src" not in attributes
        assert (attributes.get("href") or "#").startswith("#")


def test_hostile_text_stays_inert_and_visible(page: tuple[SalienceResult, str, PageParser]) -> None:
    result, document, parsed = page
    assert [tag for tag, _ in parsed.tags].count("script") == 1
    assert [tag for tag, _ in parsed.tags].count("style") == 1
    assert [tag for tag, _ in parsed.tags].count("b") == 0
    assert HOSTILE not in document
    assert "alert" not in "".join(parsed.style_and_script)
    assert parsed.blocks[0] == result.prompt
    assert (
        document.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    )  # title, heading, notes, text


def test_html_shows_every_segment_once_in_order(
    page: tuple[SalienceResult, str, PageParser],
) -> None:
    result, _, parsed = page
    assert parsed.segment_order == list(range(len(result.segments)))
    assert [parsed.segment_text[i] for i in parsed.segment_order] == [
        s.text for s in result.segments
    ]
    assert parsed.blocks == [result.prompt, result.response]


def test_html_marks_the_span(page: tuple[SalienceResult, str, PageParser]) -> None:
    result, document, parsed = page
    assert "".join(parsed.span_text) == result.span_text
    footer = f"Explaining [{result.span.start}:{result.span.end}] &quot;{result.span_text}&quot;"
    assert footer in document


def test_html_colours_salient_segments_and_explains_them(
    page: tuple[SalienceResult, str, PageParser],
) -> None:
    result, _, parsed = page
    segments = {
        int(a["data-seg"] or ""): a for tag, a in parsed.tags if "seg" in (a.get("class") or "")
    }
    colours = ColourScale.for_result(result)
    for index, attributes in segments.items():
        score = result.segments[index].score
        in_span = result.span.start <= result.segments[index].start < result.span.end
        assert ("style" in attributes) == (colours.bucket(score) != 0 and not in_span)
        assert "score" in (attributes.get("title") or "")
        if score:
            assert "rank" in (attributes.get("title") or "")


def test_html_has_legend_top_table_and_plain_headings(
    page: tuple[SalienceResult, str, PageParser],
) -> None:
    result, document, parsed = page
    assert parsed.legend_steps == 7
    top = sorted((s for s in result.segments if s.score), key=lambda s: -abs(s.score))[:5]
    assert [row[1] for row in parsed.table_rows] == [s.text for s in top]
    for text in ("How to read this", "pushed", "grad_x_input", "words", "2026-01-02"):
        assert text in document
    assert "completeness_gap" in document
    assert "prefers-color-scheme: dark" in document
    assert "white-space: pre-wrap" in document
    assert "@media print" in document


def test_unsigned_report_has_five_legend_steps() -> None:
    parsed = parse(report(ReportItem(make_result(signed=False), heading="L2")))
    assert parsed.legend_steps == 5


def test_dataset_report_has_one_article_per_item(tmp_path: Path) -> None:
    items = [
        ReportItem(make_result(), heading="first"),
        ReportItem(make_result(span_text="ham"), heading="second", source_label="data.jsonl:2"),
    ]
    path = tmp_path / "report.html"
    write_html_report(items, path, title="Dataset", generated_at=WHEN)
    document = path.read_bytes().decode("utf-8")  # read_text would turn \r\n into \n
    assert document == html_report(items, title="Dataset", generated_at=WHEN)
    parsed = parse(document)
    assert [tag for tag, _ in parsed.tags].count("article") == 2
    assert len(parsed.blocks) == 4
    assert parsed.span_text == ["Avoid.", "ham"]


def test_html_refuses_bad_intensity() -> None:
    with pytest.raises(ValueError, match="intensity"):
        report(ReportItem(make_result(), heading="x"), intensity=2.0)


# ---------------------------------------------------------------- terminal


def test_terminal_plain_output_is_readable() -> None:
    result = make_result(notes={"completeness_gap": 0.5})
    console = Console(record=True, width=100)
    render_heatmap(result, console, title="Menu")
    output = console.export_text()
    assert "Menu" in output
    assert "gemma3-270m <test>" in output
    assert f"Explaining [{result.span.start}:{result.span.end}]" in output
    assert "Legend" in output
    assert "completeness_gap" in output
    # Without colour, the top segments carry their rank and the span its markers.
    top = ranked_segments(result)[0]
    assert f"{top.segment.text}[#1 " in output
    assert ">>Avoid.<<" in output
    # Every segment is there, in order (annotations only come after a segment).
    position = 0
    for segment in result.segments:
        position = output.index(segment.text, position) + len(segment.text)


def test_terminal_colour_output_keeps_the_text_exactly() -> None:
    result = make_result()
    console = Console(record=True, width=100, force_terminal=True, color_system="truecolor")
    render_heatmap(result, console)
    output = console.export_text(clear=False)
    # Rich drops carriage returns; the text is otherwise printed exactly.
    assert result.prompt.replace("\r\n", "\n") in output
    assert result.response in output
    assert "[#1" not in output
    styled = console.export_html(inline_styles=True)
    strongest = ColourScale.for_result(result).colour(max(result.token_scores, key=abs))
    assert strongest is not None
    assert f"background-color: {strongest}" in styled
    assert "text-decoration: underline" in styled


def test_terminal_does_not_wrap_long_lines() -> None:
    long_line = "word " * 40 + "end"
    result = make_result(prompt=long_line, response=" Avoid.")
    console = Console(record=True, width=100, force_terminal=True)
    render_heatmap(result, console)
    assert long_line in console.export_text()


def test_terminal_no_color_console() -> None:
    console = Console(record=True, width=100, no_color=True, force_terminal=True)
    render_heatmap(make_result(signed=False), console)
    output = console.export_text()
    assert "[#1 " in output
    assert "Legend" in output


def test_top_segments_table() -> None:
    result = make_result()
    console = Console(record=True, width=100)
    print_top_segments(result, console, n=3)
    output = console.export_text()
    ranked = ranked_segments(result)
    for entry in ranked[:3]:
        assert entry.segment.text in output
        assert f"{entry.share:.1%}" in output
    assert f"{ranked[3].share:.1%}" not in output or ranked[3].share == ranked[2].share


def test_top_segments_when_nothing_scores() -> None:
    result = make_result(span_text="Avoid.")
    zeros = tuple(ScoredSegment(s.start, s.end, s.text, 0.0) for s in result.segments)
    console = Console(record=True, width=100)
    print_top_segments(SalienceResult(**{**result.__dict__, "segments": zeros}), console)
    assert "No segment" in console.export_text()


# ---------------------------------------------------------------- JSON


def test_json_round_trips_with_the_schema() -> None:
    result = make_result(notes={"completeness_gap": 0.25})
    source_map = {"template": "menu.prompt", "spans": [(0, 4, 1, 1)]}
    document = result_to_json(result, source_map=source_map, extra={"source": "data.jsonl:1"})
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert document["source"] == "data.jsonl:1"
    assert document["source_map"] == {"template": "menu.prompt", "spans": [[0, 4, 1, 1]]}
    assert document["target"] == {
        "start": result.span.start,
        "end": result.span.end,
        "text": result.span_text,
    }
    text = str(document["prompt"]) + str(document["response"])
    segments = document["segments"]
    assert isinstance(segments, list)
    assert [s["text"] for s in segments] == [text[s["start"] : s["end"]] for s in segments]
    assert [s["score"] for s in segments] == [s.score for s in result.segments]
    tokens = document["tokens"]
    assert isinstance(tokens, list)
    assert {tuple(t) for t in tokens} == {("start", "end", "score")}
    for key in ("model", "method", "granularity", "signed", "notes"):
        assert key in document


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_json_refuses_non_finite_scores(bad: float) -> None:
    result = make_result()
    segments = (ScoredSegment(0, 4, "Café", bad), *result.segments[1:])
    with pytest.raises(NonFiniteScoreError, match="segment 0"):
        result_to_json(SalienceResult(**{**result.__dict__, "segments": segments}))
    tokens = (0.0, bad, *result.token_scores[2:])
    with pytest.raises(NonFiniteScoreError, match="token 1"):
        result_to_json(SalienceResult(**{**result.__dict__, "token_scores": tokens}))


def test_json_refuses_values_it_cannot_hold() -> None:
    result = make_result()
    with pytest.raises(ValueError, match="replace"):
        result_to_json(result, extra={"model": "other"})
    with pytest.raises(TypeError, match="set"):
        result_to_json(result, source_map={"lines": {1, 2}})
    with pytest.raises(NonFiniteScoreError):
        result_to_json(result, extra={"x": [math.nan]})


def test_json_for_a_dataset() -> None:
    results = [make_result(), make_result(span_text="ham", signed=False)]
    document = results_to_json(results, extras=[{"line": 1}, {"line": 2}])
    items = document["items"]
    assert isinstance(items, list)
    assert [i["line"] for i in items] == [1, 2]
    assert [i["signed"] for i in items] == [True, False]
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    with pytest.raises(ValueError, match="2 results but 1"):
        results_to_json(results, source_maps=[None])
