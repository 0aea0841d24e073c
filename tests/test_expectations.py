"""Expectations on responses (engine/expectations.py) and JUnit XML (report/junit.py): pure, no
model. Parsing `expect:` is tested with the formats, in test_prompt_file.py and test_datasets.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from prompt_salience.engine.expectations import check_response, default_span, evaluate
from prompt_salience.errors import PromptSalienceError
from prompt_salience.prompt.parsed_prompt import Expectation, ExpectationKind, VariableValue
from prompt_salience.report.junit import JUnitCase, JUnitSuite, explanation_text, junit_xml
from prompt_salience.results import CharSpan, SalienceResult, ScoredSegment

# What the embedded model answers to the codelab's mistake prompt (its Analysis, then the copied
# Recommendation and the start of a next example).
RESPONSE = (
    " it has cheese in it, which you don't like.\nRecommendation: You have to try it.\n\n"
    "Taste-likes: I've a sweet"
)


def expectation(kind: ExpectationKind, written: str) -> Expectation:
    return Expectation(kind, VariableValue(kind, written, tuple(range(len(written)))), 0, 1)


def spanned(response: str, span: CharSpan | None) -> str | None:
    return None if span is None else response[span.start : span.end]


@pytest.mark.parametrize(
    ("kind", "written", "passed", "reason", "found"),
    [
        ("contains", "Avoid", False, 'the response does not contain "Avoid"', None),
        ("contains", "which you", True, 'the response contains "which you"', "which you"),
        (
            "not_contains",
            "You have to try it",
            False,
            'the response contains "You have to try it"',
            "You have to try it",
        ),
        ("not_contains", "Avoid", True, 'the response does not contain "Avoid"', None),
        ("regex", "/Avoid/", False, "no match for /Avoid/", None),
        (
            "regex",
            r"/Recommendation: \w+/",
            True,
            r'/Recommendation: \w+/ matches "Recommendation: You"',
            "Recommendation: You",
        ),
        ("not_regex", "/try (it|this)/", False, '/try (it|this)/ matches "try it"', "try it"),
        ("not_regex", "/^Avoid/", True, "no match for /^Avoid/", None),
    ],
)
def test_each_kind_passes_or_fails_with_its_reason(
    kind: ExpectationKind, written: str, passed: bool, reason: str, found: str | None
) -> None:
    outcome = evaluate(expectation(kind, written), RESPONSE)
    assert (outcome.passed, outcome.reason) == (passed, reason)
    assert spanned(RESPONSE, outcome.found) == found


def test_matching_is_case_sensitive_and_a_regex_can_say_otherwise() -> None:
    assert not evaluate(expectation("contains", "you have to"), RESPONSE).passed
    assert evaluate(expectation("regex", "/(?i)you have to/"), RESPONSE).passed


def test_a_text_with_line_breaks_and_quotes_is_quoted_on_one_line() -> None:
    outcome = evaluate(expectation("not_contains", "like.\nRec"), RESPONSE)
    assert outcome.reason == 'the response contains "like.\\nRec"'


def test_an_unwanted_text_is_the_offending_span() -> None:
    verdict = check_response(
        RESPONSE, [expectation("not_contains", "You have to try it")], "/Recommendation:.*/"
    )
    assert not verdict.passed
    assert spanned(RESPONSE, verdict.offending_span) == "You have to try it"
    assert verdict.reason == 'the response contains "You have to try it"'


def test_a_missing_text_explains_the_cases_default_span() -> None:
    """The `explain` of the case, or the whole response when it is not there."""
    wanted = [expectation("contains", "Avoid")]
    verdict = check_response(RESPONSE, wanted, "/Recommendation:.*/")
    assert spanned(RESPONSE, verdict.offending_span) == "Recommendation: You have to try it."
    whole = RESPONSE.strip()
    assert spanned(RESPONSE, check_response(RESPONSE, wanted, None).offending_span) == whole
    assert spanned(RESPONSE, check_response(RESPONSE, wanted, "Bouillabaisse").offending_span) == (
        whole
    )


def test_a_found_text_wins_over_a_missing_one_whatever_the_order() -> None:
    verdict = check_response(
        RESPONSE,
        [expectation("contains", "Avoid"), expectation("not_regex", r"/try \w+/")],
        "/Recommendation:.*/",
    )
    assert [o.passed for o in verdict.outcomes] == [False, False]
    assert spanned(RESPONSE, verdict.offending_span) == "try it"
    assert verdict.reason == 'the response does not contain "Avoid"; /try \\w+/ matches "try it"'


def test_an_unwanted_match_of_only_spaces_falls_back_to_the_default_span() -> None:
    verdict = check_response(RESPONSE, [expectation("not_regex", r"/\n\n/")], None)
    assert spanned(RESPONSE, verdict.offending_span) == RESPONSE.strip()


def test_a_passing_case_has_no_span_and_says_what_held() -> None:
    verdict = check_response(
        RESPONSE, [expectation("contains", "cheese"), expectation("not_contains", "Avoid")]
    )
    assert verdict.passed
    assert verdict.offending_span is None
    assert verdict.failures == ()
    assert verdict.reason == (
        'the response contains "cheese"; the response does not contain "Avoid"'
    )


def test_an_empty_response_fails_a_wanted_text_with_nothing_to_explain() -> None:
    verdict = check_response("  \n", [expectation("contains", "Avoid")], "/Recommendation:.*/")
    assert not verdict.passed
    assert verdict.offending_span is None
    assert default_span("", None) is None


def test_a_pattern_that_backtracks_without_end_is_a_users_error_not_a_hang() -> None:
    with pytest.raises(PromptSalienceError, match="took over 1 s") as caught:
        evaluate(expectation("regex", "/(a|a)+$/"), "a" * 40 + "b")
    assert "nested repeats" in caught.value.fix


# --- JUnit XML ----------------------------------------------------------------------------------


def _result() -> SalienceResult:
    prompt = "Recommendation: You have to try it.\nSuggestion: Quiche\n"
    response = "Recommendation: You have to try it."
    text = prompt + response
    first, second = text.index("Recommendation"), text.index("Suggestion")
    segments = (
        ScoredSegment(first, first + 35, text[first : first + 35], 3.0),
        ScoredSegment(second, second + 18, text[second : second + 18], 1.0),
    )
    return SalienceResult(
        model="m",
        method="grad_l2",
        granularity="lines",
        signed=False,
        prompt=prompt,
        response=response,
        response_is_generated=True,
        span=CharSpan(len(prompt) + 16, len(prompt) + 34),
        segments=segments,
        token_spans=(),
        token_scores=(),
    )


def test_explanation_text_names_the_span_and_the_top_segments_with_their_place() -> None:
    text = explanation_text(_result(), 1, where=lambda segment: f"line {segment.start}")
    assert text.splitlines() == [
        f"Explaining [{len(_result().prompt) + 16}:{len(_result().prompt) + 34}] "
        '"You have to try it"',
        "Most salient segments (grad_l2, by lines):",
        "  1. 3 (75.0%) [line 0] Recommendation: You have to try it.",
    ]


def test_junit_parses_back_with_one_failure_and_the_counts_of_each_kind() -> None:
    suites = [
        JUnitSuite(
            "prompts/menu-fewshot-mistake.prompt",
            [
                JUnitCase(
                    "quiche-lorraine",
                    2.5,
                    failure='the response contains "You have to try it"',
                    details=explanation_text(_result()),
                    output="Recommendation: You have to try it.",
                ),
                JUnitCase("crepe-suzette", skipped="no expectations (`expect:`)"),
            ],
        ),
        JUnitSuite(
            "data.jsonl",
            [JUnitCase("fixed", 1.0), JUnitCase("long", 0.5, error="The prompt is too long.")],
        ),
    ]
    root = ET.fromstring(junit_xml(suites))
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4",
        "failures": "1",
        "errors": "1",
        "skipped": "1",
    }
    first, second = root.findall("testsuite")
    assert first.get("name") == "prompts/menu-fewshot-mistake.prompt"
    assert (first.get("tests"), first.get("failures"), first.get("time")) == ("2", "1", "2.500")
    failures = root.findall(".//failure")
    assert len(failures) == 1
    assert failures[0].get("message") == 'the response contains "You have to try it"'
    assert "Recommendation: You have to try it." in (failures[0].text or "")
    case = first.find("testcase")
    assert case is not None
    assert (case.get("name"), case.get("classname")) == (
        "quiche-lorraine",
        "prompts/menu-fewshot-mistake.prompt",
    )
    assert case.findtext("system-out") == "Recommendation: You have to try it."
    assert first.find("testcase[@name='crepe-suzette']/skipped") is not None
    passed = second.find("testcase[@name='fixed']")
    assert passed is not None
    assert list(passed) == []
    error = second.find("testcase[@name='long']/error")
    assert error is not None
    assert error.get("message") == "The prompt is too long."


def test_junit_escapes_what_xml_cannot_hold() -> None:
    """Model text may hold control characters and markup; the file still parses, and says
    which character stood there."""
    response = 'a\x00b\x1b[31m <tag attr="x"> & \ud800 \r\n end'
    xml = junit_xml(
        [JUnitSuite("s", [JUnitCase("c<1>", failure='"bad" & <worse>', output=response)])]
    )
    root = ET.fromstring(xml)
    case = root.find(".//testcase")
    assert case is not None
    assert case.get("name") == "c<1>"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == '"bad" & <worse>'
    assert case.findtext("system-out") == ('a\\u0000b\\u001b[31m <tag attr="x"> & \\ud800 \n end')
