"""Test results as JUnit XML, the format CI systems read: one `testsuite` per prompt file, one
`testcase` per case, a `failure` with the reason and the segments that drove the offending span.

Model text can hold characters that XML 1.0 forbids (most control characters); they are written
as `\\uXXXX` escapes so that every parser reads the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prompt_salience.report.layout import format_score, ranked_segments, shorten, span_footer
from prompt_salience.results import SalienceResult, ScoredSegment

# Characters outside XML 1.0's `Char` production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class JUnitCase:
    """One case's outcome. `failure` (the reason) marks a failed case, `error` one that could
    not be tested, `skipped` one that was not run; `details` is the failure's or error's text."""

    name: str
    seconds: float = 0.0
    failure: str | None = None
    error: str | None = None
    skipped: str | None = None
    details: str = ""
    output: str | None = None  # the response, as the case's system-out


@dataclass(frozen=True)
class JUnitSuite:
    """One file's cases; `name` is the file as the user named it."""

    name: str
    cases: Sequence[JUnitCase]


def junit_xml(suites: Sequence[JUnitSuite], *, name: str = "prompt-salience") -> str:
    """The XML document (with its declaration) for `suites`."""
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for suite in suites:
        counts = {
            "tests": len(suite.cases),
            "failures": sum(case.failure is not None for case in suite.cases),
            "errors": sum(case.error is not None for case in suite.cases),
            "skipped": sum(case.skipped is not None for case in suite.cases),
        }
        suite_seconds = sum(case.seconds for case in suite.cases)
        attributes = {"name": _xml_text(suite.name)} | {k: str(v) for k, v in counts.items()}
        element = ET.SubElement(root, "testsuite", attributes, time=f"{suite_seconds:.3f}")
        for case in suite.cases:
            element.append(_case_element(case, suite.name))
        for key, value in counts.items():
            totals[key] += value
        seconds += suite_seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _case_element(case: JUnitCase, classname: str) -> ET.Element:
    element = ET.Element(
        "testcase",
        name=_xml_text(case.name),
        classname=_xml_text(classname),
        time=f"{case.seconds:.3f}",
    )
    for tag, message in (
        ("failure", case.failure),
        ("error", case.error),
        ("skipped", case.skipped),
    ):
        if message is not None:
            child = ET.SubElement(element, tag, message=_xml_text(message))
            child.set("type", {"failure": "expectation", "error": "error"}.get(tag, "skipped"))
            if tag != "skipped" and case.details:
                child.text = _xml_text(case.details)
    if case.output is not None:
        ET.SubElement(element, "system-out").text = _xml_text(case.output)
    return element


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def explanation_text(
    result: SalienceResult,
    top: int = 5,
    where: Callable[[ScoredSegment], str] | None = None,
) -> str:
    """The explained span and its `top` most salient segments, as plain lines of text; `where`
    says where a segment is (e.g. `line 27`), for a reader to find it in the file."""
    lines = [span_footer(result)]
    ranked = ranked_segments(result)[:top]
    if not ranked:
        lines.append("No segment has a non-zero score.")
    else:
        lines.append(f"Most salient segments ({result.method}, by {result.granularity}):")
    for item in ranked:
        score = format_score(item.segment.score, result.signed)
        place = f" [{where(item.segment)}]" if where is not None else ""
        text = shorten(item.segment.text, 70)
        lines.append(f"  {item.rank}. {score} ({item.share:.1%}){place} {text}")
    return "\n".join(lines)
