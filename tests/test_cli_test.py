"""`prompt-salience test` as a user runs it in CI: the real command, as a subprocess.

On the embedded model (marker `model`, one load per run): the codelab's mistake prompt fails an
expectation that its copy-paste mistake breaks, and the failure is explained; the fixed prompt
passes. Bad inputs exit 2 before any model loads (an empty cache folder stays empty: a load
would convert the embedded model into it).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_cli import PROMPTS, cli

MISTAKE = PROMPTS / "menu-fewshot-mistake.prompt"
FIXED = PROMPTS / "menu-fewshot-fixed.prompt"
DATASET = PROMPTS / "menu-samples.jsonl"
UNWANTED = "You have to try it"
QUICHE = "  - name: quiche-lorraine\n"
EXPECT = f'    expect: [not_contains: "{UNWANTED}"]\n'


def with_expectation(source: Path, folder: Path) -> Path:
    """A copy of `source` whose quiche-lorraine case expects no "You have to try it"."""
    text = source.read_text(encoding="utf-8")
    assert text.count(QUICHE) == 1
    copy = folder / source.name
    copy.write_text(text.replace(QUICHE, QUICHE + EXPECT), encoding="utf-8")
    return copy


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first occurrence of `text` in the file."""
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


# --- on the embedded model ------------------------------------------------------------------------


@pytest.mark.model
def test_the_mistake_prompt_fails_and_its_failure_is_explained(tmp_path: Path) -> None:
    prompt = with_expectation(MISTAKE, tmp_path)
    junit, report = tmp_path / "junit.xml", tmp_path / "results.json"
    result = cli("test", prompt, "--junit", junit, "--json", report)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout

    # The table: the tested case fails with the reason; the case without `expect:` is not run.
    assert "quiche-lorraine" in out
    assert "FAIL" in out
    assert "PASS" not in out
    assert f'the response contains "{UNWANTED}"' in out
    assert "1 case(s) without `expect:`, not run: crepe-suzette" in out
    assert "1 case(s) tested: 0 passing, 1 failing" in out

    # The explanation: the offending span marked in the response, LIT's footer naming it, and
    # the segments that drove it with their line in the file.
    assert f"FAIL {prompt} - case quiche-lorraine" in out
    assert f"(line {line_of(prompt, 'not_contains')})" in out
    assert f">>{UNWANTED}<<" in out
    footer = [line for line in out.splitlines() if line.startswith("Explaining [")]
    assert len(footer) == 1
    assert footer[0].endswith(f'"{UNWANTED}"')
    assert "most salient segments" in out
    # The codelab's finding: the answer copies the first example's mistaken Recommendation, so
    # that line of the template is among the segments that drove it.
    first_example = line_of(prompt, f"Recommendation: {UNWANTED}.")
    rows = [line for line in out.splitlines() if f"line {first_example} " in line]
    assert rows, out
    assert f"Recommendation: {UNWANTED}." in rows[0]

    # JUnit: valid XML, one file, one failure, the other case skipped.
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "2",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
    }
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == str(prompt)
    (failure,) = root.findall(".//failure")
    assert failure.get("message") == f'the response contains "{UNWANTED}"'
    details = failure.text or ""
    assert f"Explaining [{footer[0].split('[')[1]}" in details
    assert f"[line {first_example}] Recommendation: {UNWANTED}." in details
    failed_case = suite.find("testcase[@name='quiche-lorraine']")
    assert failed_case is not None
    assert UNWANTED in (failed_case.findtext("system-out") or "")
    assert suite.find("testcase[@name='crepe-suzette']/skipped") is not None

    # JSON: each expectation's outcome, the response, and the explanation as `run --json` has it.
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"] == {"passed": 0, "failed": 1, "errors": 0, "not_run": 1}
    (file_entry,) = data["files"]
    assert file_entry["not_run"] == ["crepe-suzette"]
    (case,) = file_entry["cases"]
    assert (case["case"], case["status"], case["passed"]) == ("quiche-lorraine", "failed", False)
    (outcome,) = case["expectations"]
    assert (outcome["kind"], outcome["text"], outcome["passed"]) == (
        "not_contains",
        UNWANTED,
        False,
    )
    found = outcome["found"]
    assert case["response"][found["start"] : found["end"]] == UNWANTED
    assert case["offending_span"] == found
    explanation = case["explanation"]
    assert explanation["response"] == case["response"]
    assert explanation["target"]["text"] == UNWANTED
    assert explanation["target"]["start"] == len(explanation["prompt"]) + found["start"]
    assert any(segment["score"] > 0 for segment in explanation["segments"])
    assert explanation["source_map"] is not None


@pytest.mark.model
def test_the_fixed_prompt_and_the_shipped_expectations_pass(tmp_path: Path) -> None:
    """The same expectation on the fixed prompt passes; so do the expectations shipped in the
    samples (the fixed prompt's and the dataset's `contains: Recommendation: Avoid`)."""
    prompt = with_expectation(FIXED, tmp_path)
    junit = tmp_path / "junit.xml"
    result = cli("test", prompt, DATASET, "--junit", junit)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert "3 case(s) tested: 3 passing, 0 failing" in result.stdout
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "6",  # 2 cases of the prompt, 4 records of which 3 have no `expect`
        "failures": "0",
        "errors": "0",
        "skipped": "3",
    }


# --- bad input: exit 2, before any model loads ------------------------------------------------------


def _bad_input(tmp_path: Path, *args: str | Path) -> str:
    """Run `test` with an empty cache folder; it must exit 2 and leave the folder empty."""
    cache = tmp_path / "cache"
    cache.mkdir()
    result = cli("test", *args, "--cache-dir", cache, timeout=120)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 2, result.stdout + result.stderr
    assert list(cache.iterdir()) == [], "the model was loaded"
    assert "Fix" in result.stderr
    return result.stderr


def test_a_bad_regex_in_expect_exits_2_before_the_model_loads(tmp_path: Path) -> None:
    prompt = tmp_path / "bad.prompt"
    prompt.write_text(
        "---\nexpect:\n  - regex: '/Recommendation: (Avoid/'\n---\nSuggestion: Quiche\n",
        encoding="utf-8",
    )
    junit = tmp_path / "junit.xml"
    stderr = _bad_input(tmp_path, prompt, "--junit", junit)
    assert f"{prompt}:3:" in stderr
    assert "Invalid regex in `regex`" in stderr
    assert not junit.exists()


def test_every_broken_file_is_reported_not_only_the_first(tmp_path: Path) -> None:
    bad_kind = tmp_path / "kind.prompt"
    bad_kind.write_text("---\nexpect:\n  - contain: Avoid\n---\nHi\n", encoding="utf-8")
    stderr = _bad_input(tmp_path, bad_kind, tmp_path / "missing.prompt")
    assert "Unknown expectation `contain`" in stderr
    assert "Did you mean `contains`?" in stderr
    assert "missing.prompt" in stderr


def test_a_bad_expectation_in_a_dataset_exits_2(tmp_path: Path) -> None:
    dataset = tmp_path / "d.jsonl"
    dataset.write_text('{"prompt": "p"}\n{"prompt": "q", "expect": ["Avoid"]}\n')
    stderr = _bad_input(tmp_path, dataset)
    assert f"{dataset}:2:" in stderr
    assert "one `kind: text` pair" in stderr


def test_nothing_to_test_exits_2(tmp_path: Path) -> None:
    stderr = _bad_input(tmp_path, MISTAKE)  # its cases have no `expect:`
    assert "No case has expectations" in stderr


def test_a_missing_case_or_a_bad_setting_exits_2(tmp_path: Path) -> None:
    stderr = _bad_input(tmp_path, FIXED, "--case", "bouillabaisse")
    assert "No case named 'bouillabaisse'" in stderr
    assert "`quiche-lorraine`" in stderr
    (tmp_path / "cache").rmdir()
    stderr = _bad_input(tmp_path, FIXED, "--method", "grad_l3")
    assert "Unknown method" in stderr


def test_an_unknown_flag_exits_2() -> None:
    result = cli("test", FIXED, "--junit-xml", "out.xml", timeout=120)
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_check_reports_bad_expectations_like_any_other_key(tmp_path: Path) -> None:
    prompt = tmp_path / "bad.prompt"
    prompt.write_text("---\nexpect:\n  - regex: Avoid\n  - contains:\n---\nHi\n")
    result = cli("check", prompt, timeout=120)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{prompt}:3:12: error: `regex` must be a regex written between")
    assert lines[1].startswith(f"{prompt}:4:5: error: `contains` has no text.")


def test_a_report_path_in_a_missing_folder_exits_2_before_the_run(tmp_path: Path) -> None:
    stderr = _bad_input(tmp_path, FIXED, "--junit", tmp_path / "no" / "junit.xml")
    assert "the folder" in stderr
    assert "does not exist" in stderr
