"""textDocument/hover: a prompt segment's salience, from results already computed (no model).

Over template text, a `{{placeholder}}`'s value in the front-matter, or a dataset prompt: the
segment's score for the explained span, its rank, its share of the total, the span, the method
and granularity. Before any run: how to run.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol.types import (
    TEXT_DOCUMENT_HOVER,
    Hover,
    HoverParams,
    MarkupContent,
    MarkupKind,
    Range,
)

from ...prompt.foreign_formats import ForeignFileError
from ...report.layout import format_score, shorten
from ...results import AlignedSegment
from ..baselines import before_and_after
from ..explanations import Explanation, SegmentHit
from ..language_server import PromptSalienceServer
from ..markdown_text import code_span
from ..open_documents import OpenDocument
from ..protocol import RUN_COMMAND

MAX_HITS = 3  # a value used several times in the prompt has one segment per use


def register(server: PromptSalienceServer) -> None:
    server.feature(TEXT_DOCUMENT_HOVER)(hover)


def hover(ls: PromptSalienceServer, params: HoverParams) -> Hover | None:
    """The salience under the cursor; how to run when nothing has run yet."""
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return None
    parse = ls.parse(document)  # also drops explanations the latest edits made stale
    if isinstance(parse.error, ForeignFileError):
        return None  # another tool's file: left alone
    kind = _markup_kind(ls)
    offset = document.index.offset_at(params.position)
    if not document.explanations:
        return Hover(contents=MarkupContent(kind, _how_to_run(document, kind)))
    placeholders = parse.document.placeholders if parse.document is not None else ()
    occurrence = next((i for i, p in enumerate(placeholders) if p.start <= offset < p.end), None)
    for explanation in document.ordered_explanations():
        where: Range | None = None
        if occurrence is not None:
            hits = explanation.segments_of_placeholder(occurrence)
            placeholder = placeholders[occurrence]
            where = document.index.range_of(placeholder.start, placeholder.end)
        else:
            hits = explanation.segments_at(offset)
            where = document.index.range_of(hits[0].file_start, hits[0].file_end) if hits else None
        if hits:
            text = _describe(explanation, hits[:MAX_HITS], kind)
            return Hover(contents=MarkupContent(kind, text), range=where)
    return None


def _describe(explanation: Explanation, hits: list[SegmentHit], kind: MarkupKind) -> str:
    result = explanation.result
    assert result is not None
    markdown = kind == MarkupKind.Markdown

    def code(text: str) -> str:
        return code_span(text) if markdown else f'"{text}"'

    def bold(text: str) -> str:
        return f"**{text}**" if markdown else text

    ranked_count = len(explanation.ranking())
    paired = before_and_after(explanation)
    lines = []
    for hit in hits:
        segment = result.segments[hit.index]
        score = format_score(segment.score, result.signed)
        if hit.ranked is not None:
            place = f"rank {hit.ranked.rank} of {ranked_count}, {hit.ranked.share:.1%} of the total"
        else:
            place = "no influence (inside or after the explained span)"
        direction = ""
        if result.signed and segment.score != 0:
            direction = " (towards the span)" if segment.score > 0 else " (away from the span)"
        lines.append(f"{bold('Salience ' + score)}{direction}: {place}")
        lines.append(f"Segment: {code(shorten(segment.text, 60))}")
        if hit.index in paired:
            lines.append(_before(paired[hit.index], result.signed, code))
    span = shorten(result.span_text, 60)
    lines.append(
        f"Explaining {code(span)} in the response of case {code(explanation.case)}"
        f" · method {result.method} · granularity {result.granularity}"
        f" · model {code(result.model)}"
    )
    separator = "  \n" if kind == MarkupKind.Markdown else "\n"
    return separator.join(lines)


def _before(pair: AlignedSegment, signed: bool, code: Callable[[str], str]) -> str:
    """The segment before the edit that a re-score forced the old answer through."""
    if pair.status == "added" or pair.a is None:
        return "Added by the edit (the baseline's prompt did not have it)."
    before = format_score(pair.a.score, signed)
    if pair.status == "changed":
        return f"Changed by the edit: it was {code(shorten(pair.a.text, 40))}, salience {before}."
    after = format_score(pair.b.score if pair.b is not None else 0.0, signed)
    share_a, share_b = pair.share_a or 0.0, pair.share_b or 0.0
    return (
        f"Before the edit: salience {before} ({share_a:.1%}) → now {after} ({share_b:.1%}), "
        f"{share_b - share_a:+.1%} of the total"
    )


def _how_to_run(document: OpenDocument, kind: MarkupKind) -> str:
    if document.running:
        shown = code_span if kind == MarkupKind.Markdown else str
        cases = ", ".join(shown(name) for name in document.running)
        return f"Running {cases}… salience appears here when it finishes."
    action = "**▶ Run and explain**" if kind == MarkupKind.Markdown else "'Run and explain'"
    return (
        f"No salience yet. Click {action} above a case (CodeLens), or execute the command "
        f'`{RUN_COMMAND}` with {{"uri": "{document.uri}"}}.'
    )


def _markup_kind(ls: PromptSalienceServer) -> MarkupKind:
    text_document = ls.client_capabilities.text_document
    hover_capability = text_document.hover if text_document is not None else None
    formats = hover_capability.content_format if hover_capability is not None else None
    if formats and MarkupKind.Markdown not in formats:
        return MarkupKind.PlainText
    return MarkupKind.Markdown
