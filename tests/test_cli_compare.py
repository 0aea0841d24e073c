"""`prompt-salience compare`, run as a subprocess: once end to end on the embedded model (the
codelab's mistake against its fix), and every bad input without a model. Bad inputs run with a
private, empty cache that must still be empty afterwards: a model load would have filled it,
so each refusal came before the load.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
MISTAKE = PROMPTS / "menu-fewshot-mistake.prompt"
FIXED = PROMPTS / "menu-fewshot-fixed.prompt"
_SCRIPT = Path(sys.executable).with_name("prompt-salience")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "prompt_salience"]
# Lines libraries (absl, JAX, Python warnings) may write to stderr: not ours to judge.
_LIBRARY_NOISE = re.compile(r"^(?:[IWEF]\d{4} |WARNING:\S+:|\S+:\d+: \w*Warning: |\s)")


def compare(*args: str | Path, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE")}
    if cache is not None:
        env["PROMPT_SALIENCE_CACHE"] = str(cache)
    return subprocess.run(
        [*COMMAND, "compare", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


@pytest.mark.model
def test_compare_prints_the_story_and_writes_json_and_a_self_contained_page(
    tmp_path: Path,
) -> None:
    json_out, html_out = tmp_path / "compare.json", tmp_path / "compare.html"
    result = compare(MISTAKE, FIXED, "--json", json_out, "--html", html_out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr

    # The terminal (not a tty: no colour, so the diff is marked in words).
    out = result.stdout
    assert "A: " + str(MISTAKE) in out or f"A: {MISTAKE.relative_to(ROOT)}" in out
    assert "{+Avoid.+}" in out
    assert re.search(r"\[-You have to try it\.-\]", out)
    assert re.search(r"After B's prompt, A's answer is [\d,.]+x less likely than after A's", out)
    assert re.search(r"After B's prompt, B's answer is [\d,.]+x more likely than after A's", out)
    assert re.search(r"changed\s+│\s*Recommendation: You have to try", out)

    # The JSON: the shape, each side as `run --json` writes it.
    data = json.loads(json_out.read_text(encoding="utf-8"))
    assert set(data) >= {"a", "b", "cross", "delta_logprob", "segments"}
    a, b = data["a"], data["b"]
    for side, path in ((a, MISTAKE), (b, FIXED)):
        assert side["case"] == "quiche-lorraine"
        assert side["file"] == str(path)
        assert side["source_map"] is not None
        assert side["target"]["text"].startswith("Recommendation:")
        assert side["target"]["logprob"] < 0
    cross, delta = data["cross"], data["delta_logprob"]
    assert delta["a_target"] == pytest.approx(cross["a_target_under_b"] - a["target"]["logprob"])
    assert delta["b_target"] == pytest.approx(b["target"]["logprob"] - cross["b_target_under_a"])
    assert delta["a_target"] < -2
    assert delta["b_target"] > 2
    statuses = [s["status"] for s in data["segments"]]
    assert statuses.count("changed") == 1
    assert set(statuses) == {"same", "changed"}
    for segment in data["segments"]:
        for name, side in (("a", a), ("b", b)):
            part = segment[name]
            assert side["prompt"][part["start"] : part["end"]] == part["text"]

    # The page: written, whole, and fetching nothing.
    page = html_out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?!#)""", page)
    assert "url(" not in page
    assert "<del" in page
    assert "<ins" in page
    assert "less likely than after A&#x27;s prompt" in page
    assert page.count("<h3>The prompt</h3>") == 2


# --- bad inputs, refused before the model loads ---------------------------------------------------

_FILES = {
    "other-model.prompt": "---\nmodel: gemma2_instruct_2b_en\n---\nAnalysis:\n",
    "lines.prompt": "---\ngranularity: lines\n---\nAnalysis:\n",
    "two-cases.prompt": (
        "---\nvars: {x: 1}\ncases:\n  - name: first\n  - name: second\n---\nSay {{x}}.\n"
    ),
    "one-case.prompt": "---\nvars: {x: 1}\ncases:\n  - name: first\n---\nSay {{x}}.\n",
    "typo.prompt": "---\nvars:\n  food: Cheese\n---\nI like {{fod}}.\n",
}

BAD_INPUTS: dict[str, tuple[list[str | Path], list[str]]] = {
    "different models": (
        [MISTAKE, "{other-model.prompt}"],
        ["A uses the model 'gemma3_270m' and B uses 'gemma2_instruct_2b_en'", "--model"],
    ),
    "different granularities": (
        [MISTAKE, "{lines.prompt}"],
        ["A uses the granularity 'sentences' and B uses 'lines'", "--granularity"],
    ),
    "a case missing in both": (
        [MISTAKE, FIXED, "--case", "pizza"],
        ["No case named 'pizza'", "`quiche-lorraine`, `crepe-suzette`"],
    ),
    "a case missing on one side": (
        ["{two-cases.prompt}", "{one-case.prompt}", "--case", "second"],
        ["one-case.prompt", "No case named 'second'", "(cases: `first`)"],
    ),
    "no case of A's name in B": (
        [MISTAKE, "{two-cases.prompt}"],
        ["two-cases.prompt", "B has no case named 'quiche-lorraine'", "--case-b"],
    ),
    "a file with errors": (
        [MISTAKE, "{typo.prompt}"],
        ["typo.prompt:5:8:", "Unknown placeholder `{{fod}}`"],
    ),
    "a missing file": ([MISTAKE, "{folder}/nowhere.prompt"], ["File not found"]),
    "one file, one case": ([MISTAKE], ["Comparing one file needs two of its cases", "--case-b"]),
    "one file, the same case twice": (
        [MISTAKE, "--case-b", "quiche-lorraine"],
        ["A and B are the same case, 'quiche-lorraine'"],
    ),
    "--case with --case-a": (
        [MISTAKE, FIXED, "--case", "quiche-lorraine", "--case-a", "crepe-suzette"],
        ["Use either --case, or --case-a and --case-b"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_with_the_fix_before_any_model_loads(
    case: str, tmp_path: Path
) -> None:
    for name, text in _FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    args, expected = BAD_INPUTS[case]
    # `{name}` is one of _FILES, written in tmp_path; `{folder}` is tmp_path itself.
    named = [str(a).strip("{}") for a in args]
    filled = [
        str(tmp_path / n) if n in _FILES else str(a).replace("{folder}", str(tmp_path))
        for n, a in zip(named, args, strict=True)
    ]
    cache = tmp_path / "cache"
    result = compare(*filled, cache=cache)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1, result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not _LIBRARY_NOISE.match(line)
    ]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert " Fix: " in lines[0]
    for words in expected:
        assert words in lines[0], lines[0]
    assert result.stdout.strip() == ""
    assert not cache.exists() or not any(cache.iterdir()), "the model started loading"
