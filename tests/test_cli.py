"""The real `prompt-salience` command, run as a subprocess: end to end on the embedded model, and
every bad input the issue lists (one clear line with the fix, a non-zero exit, no traceback).

Runs that load the model (~10 s each) are few and marked `model`; bad inputs that fail before
the model loads run without one.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from prompt_salience.engine.case_run import prepare_prompt
from prompt_salience.models.model_spec import parse_model_spec
from prompt_salience.prompt.documents import read_document
from prompt_salience.salience.registry import method_names
from prompt_salience.settings import declared_settings

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
MISTAKE = PROMPTS / "menu-fewshot-mistake.prompt"
DATASET = PROMPTS / "menu-samples.jsonl"
_SCRIPT = Path(sys.executable).with_name("prompt-salience")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "prompt_salience"]

# Lines that libraries (absl, JAX, Python warnings) may write to stderr on some machines, e.g.
# JAX's note that a GPU exists but jaxlib has no CUDA: not ours to judge.
_LIBRARY_NOISE = re.compile(r"^(?:[IWEF]\d{4} |WARNING:\S+:|\S+:\d+: \w*Warning: |\s)")


def cli(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the command from the repository root; `timeout` so that nothing can hang."""
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        cwd=ROOT,
        env=env if env is not None else _env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE")}
    env.update(changes)
    return env


def _stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Our own lines on stderr (library log noise left out)."""
    return [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not _LIBRARY_NOISE.match(line)
    ]


def _assert_one_error_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1, result.stderr
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("error: ")
    assert " Fix: " in line, line  # the problem, then how to mend it
    for words in expected:
        assert words in line, line
    return line


# --- end to end on the embedded model -------------------------------------------------------------


@pytest.mark.model
def test_run_writes_json_and_a_self_contained_html_report(tmp_path: Path) -> None:
    json_out, html_out = tmp_path / "out.json", tmp_path / "out.html"
    result = cli(
        "run", MISTAKE, "--case", "quiche-lorraine", "--json", json_out, "--html", html_out
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    data = json.loads(json_out.read_text(encoding="utf-8"))

    # The JSON: the documented schema, offsets consistent with the texts.
    assert set(data) >= {
        "model",
        "prompt",
        "response",
        "target",
        "method",
        "granularity",
        "segments",
        "source_map",
    }
    document = read_document(MISTAKE)
    rendered = prepare_prompt(
        document, "quiche-lorraine", chat_setting="auto", spec=parse_model_spec("gemma3_270m")
    )
    assert (data["model"], data["method"], data["granularity"]) == (
        "gemma3_270m",
        "grad_l2",
        "sentences",
    )
    assert data["prompt"] == rendered.text
    text = data["prompt"] + data["response"]
    target = data["target"]
    assert set(target) >= {"start", "end", "text"}
    assert len(data["prompt"]) <= target["start"] < target["end"] <= len(text)
    assert text[target["start"] : target["end"]] == target["text"]
    assert target["text"].startswith("Recommendation:")  # the file's `explain`
    assert "Recommendation: You have to try it." in data["response"]  # the codelab's story
    previous_end = 0
    for segment in data["segments"]:
        assert set(segment) >= {"start", "end", "text", "score"}
        assert previous_end <= segment["start"] < segment["end"] <= len(text)
        assert text[segment["start"] : segment["end"]] == segment["text"]
        assert isinstance(segment["score"], float)
        assert math.isfinite(segment["score"])
        previous_end = segment["end"]
    assert any(segment["score"] > 0 for segment in data["segments"])
    # The source map sends every prompt character back to the character of the file it came from.
    offsets = [
        first + k if first >= 0 else -1
        for origin in data["source_map"]["origins"]
        for first, count in origin["runs"]
        for k in range(count)
    ]
    assert len(offsets) == len(data["prompt"])
    assert all(document.text[o] == c for o, c in zip(offsets, data["prompt"], strict=True))
    variables = [o["variable"] for o in data["source_map"]["origins"] if o["kind"] == "variable"]
    assert variables == ["food_likes", "food_dislikes", "menu_item"]

    # The terminal: the response, and LIT's footer naming the explained span.
    plain = re.sub(r"\[#\d+ [^\]]*\]|>>|<<", "", result.stdout)
    assert data["response"].strip() in plain
    footer = f'Explaining [{target["start"]}:{target["end"]}] "{target["text"]}"'
    assert footer in result.stdout

    # The HTML: one file, nothing fetched, every piece of text escaped.
    page = html_out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert not re.search(r"https?:", page)
    assert not re.search(r"<(?:link|img|iframe)\b|\bsrc\s*=|@import|url\(", page)
    for line in data["prompt"].splitlines():
        assert html.escape(line, quote=True) in page, line
    assert "I've a sweet-tooth" not in page  # the apostrophe is escaped
    assert html.escape(target["text"]) in page
    assert "gemma3_270m" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html", "out.json"]


@pytest.mark.model
def test_dataset_run_writes_one_report_for_every_item(tmp_path: Path) -> None:
    records = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    json_out, html_out = tmp_path / "all.json", tmp_path / "all.html"
    result = cli("run", DATASET, "--max-new-tokens", "8", "--json", json_out, "--html", html_out)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    items = json.loads(json_out.read_text(encoding="utf-8"))["items"]
    assert [item["case"] for item in items] == [r["source"] for r in records]
    page = html_out.read_text(encoding="utf-8")
    for record, item in zip(records, items, strict=True):
        assert item["prompt"] == record["prompt"]
        text = item["prompt"] + item["response"]
        assert text[item["target"]["start"] : item["target"]["end"]] == item["target"]["text"]
        if "target" in record:
            assert item["response"] == record["target"]
            assert not item["response_is_generated"]
        else:
            assert item["response_is_generated"]
            assert item["response"].strip()
            response_tokens = [t for t in item["tokens"] if t["start"] >= len(item["prompt"])]
            assert 1 <= len(response_tokens) <= 8
        assert all(math.isfinite(s["score"]) for s in item["segments"])
        assert html.escape(record["source"]) in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.html", "all.json"]


# --- bad inputs that need the model (their checks count tokens, or read the response) --------------


@pytest.mark.model
def test_prompt_and_max_new_tokens_beyond_max_length_say_the_token_counts() -> None:
    result = cli("run", MISTAKE, "--case", "quiche-lorraine", "--max-length", "100")
    line = _assert_one_error_line(result, "--max-length", "Nothing is truncated")
    counts = re.search(
        r"The prompt has (\d+) tokens and max_new_tokens is 32: (\d+) tokens exceed the "
        r"configured limit of 100 tokens",
        line,
    )
    assert counts is not None, line
    prompt_tokens, total = map(int, counts.groups())
    assert prompt_tokens + 32 == total > 100


def test_an_unused_variable_stops_the_run_before_the_model_loads(tmp_path: Path) -> None:
    """An unused variable usually means the template is not what its author thinks: one line,
    non-zero exit, and the fix; no model is loaded for it."""
    prompt = tmp_path / "unused.prompt"
    prompt.write_text("---\nvars:\n  food: Cheese\n  unused: x\n---\nI like {{food}}.\n")
    result = cli("run", prompt)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {prompt}:4:3: ")
    assert "`unused`" in lines[0]
    assert " Fix: " in lines[0]


@pytest.mark.model
def test_allowed_warnings_run_and_a_span_outside_the_response_fails(tmp_path: Path) -> None:
    """With --allow-warnings the run goes on (it generates a response); asking to explain text
    the response does not contain then fails with one line."""
    prompt = tmp_path / "unused.prompt"
    prompt.write_text("---\nvars:\n  food: Cheese\n  unused: x\n---\nI like {{food}}.\n")
    result = cli(
        "run", prompt, "--allow-warnings", "--max-new-tokens", "3", "--explain", "Bouillabaisse"
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    lines = _stderr_lines(result)
    assert len(lines) == 2, lines
    warning, error = lines
    assert warning.startswith(f"warning: {prompt}:4:3: ")
    assert "`unused`" in warning
    assert " Fix: " in warning
    assert error.startswith("error: ")
    assert "'Bouillabaisse' is not in the response" in error
    assert " Fix: " in error


# --- `check` ------------------------------------------------------------------------------------


def test_check_passes_the_shipped_prompts() -> None:
    result = cli("check", *sorted(PROMPTS.glob("*.prompt")), DATASET)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    assert _stderr_lines(result) == []


def test_check_reports_problems_with_file_line_and_column(tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.prompt"
    unknown.write_text("---\nvars:\n  food: Cheese\n---\nI like {{fod}}.\n")
    malformed = tmp_path / "malformed.prompt"
    malformed.write_text("---\ndescription: a: b\n---\nhi\n")
    unused = tmp_path / "unused.prompt"
    unused.write_text("---\nvars:\n  food: Cheese\n  unused: x\n---\nI like {{food}}.\n")

    result = cli("check", unknown, malformed)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert f"{unknown}:5:8: error: Unknown placeholder `{{{{fod}}}}`" in result.stdout
    assert f"{malformed}:2:15: Malformed YAML" in result.stderr

    warned = cli("check", unused)  # a warning is a problem too: the check fails
    assert warned.returncode == 1
    assert f"{unused}:4:3: warning: Variable `unused` is never used" in warned.stdout


def test_the_flags_are_the_declared_settings_with_their_defaults() -> None:
    result = cli("run", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # argparse wraps the help
    for setting in declared_settings():
        if setting.cli_flag is None:
            continue
        assert setting.cli_flag in text
        if setting.default not in (None, ""):
            assert f"{setting.default})" in text, setting.name
    for name in method_names():
        assert name in text


def test_a_usage_mistake_is_one_line_with_the_fix() -> None:
    result = cli("run", PROMPTS / "raw-prompt.prompt", "--span", "abc")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    assert "'abc' is not START:END" in lines[0]
    assert "Fix: see `prompt-salience run --help`" in lines[0]


# --- bad inputs that fail before the model loads -------------------------------------------------


def _files(folder: Path) -> dict[str, Path]:
    files = {
        "empty-body.prompt": b"---\ndescription: nothing below\n---\n",
        "empty.prompt": b"",
        "blank.prompt": b"  \n\n",
        "unknown.prompt": b"---\nvars:\n  food: Cheese\n---\nI like {{fod}}.\n",
        "malformed.prompt": b"---\ndescription: a: b\n---\nhi\n",
        "unclosed.prompt": b"---\ndescription: never closed\nhi\n",
        "latin1.prompt": "Caf\u00e9 au lait\n".encode("latin-1"),
        "binary.prompt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


BAD_INPUTS = {
    "empty body": (
        ["run", "{empty-body.prompt}"],
        ["empty-body.prompt:3:1:", "The prompt body is empty"],
    ),
    "empty file": (["run", "{empty.prompt}"], ["The prompt is empty"]),
    "blank file": (["run", "{blank.prompt}"], ["The prompt is empty"]),
    "unknown placeholder": (
        ["run", "{unknown.prompt}"],
        ["unknown.prompt:5:8:", "Unknown placeholder `{{fod}}`", "Did you mean `food`?"],
    ),
    "malformed front-matter": (
        ["run", "{malformed.prompt}"],
        ["malformed.prompt:2:15:", "Malformed YAML"],
    ),
    "unclosed front-matter": (["run", "{unclosed.prompt}"], [":1:1:", "never closed"]),
    "non-UTF-8 file": (["run", "{latin1.prompt}"], ["latin1.prompt:1:4:", "not valid UTF-8"]),
    "binary file": (["run", "{binary.prompt}"], ["not a text file"]),
    "missing file": (["run", "{folder}/nowhere.prompt"], ["File not found", "nowhere.prompt"]),
    "folder": (["run", "{folder}"], ["is a folder, not a file"]),
    "unknown case": (
        ["run", str(MISTAKE), "--case", "pizza"],
        ["No case named 'pizza'", "quiche-lorraine"],
    ),
    "invalid regex": (
        ["run", str(MISTAKE), "--granularity", "regex:("],
        ["error: Invalid separator regex '('", "missing )"],
    ),
    "unknown granularity": (
        ["run", str(MISTAKE), "--granularity", "sentence"],
        ["Unknown granularity 'sentence'", "Did you mean `sentences`?"],
    ),
    "unknown method": (
        ["run", str(MISTAKE), "--method", "grad_l3"],
        ["Unknown method 'grad_l3'", "grad_l2, grad_dot_input, integrated_gradients"],
    ),
    "intensity out of range": (
        ["run", str(MISTAKE), "--intensity", "1.5"],
        ["--intensity: 1.5 is out of range", "Give a value between 0 and 1"],
    ),
    "max length too small": (
        ["run", str(MISTAKE), "--max-length", "1"],
        ["--max-length: 1 is out of range", "Give a value of at least 2"],
    ),
    "empty model spec": (["run", str(MISTAKE), "--model", " "], ["The model spec is empty"]),
    "unknown preset": (
        ["run", str(MISTAKE), "--model", "gemma2_instruct_2b"],
        [
            "'gemma2_instruct_2b' is not a keras-hub Gemma preset",
            "Did you mean gemma2_instruct_2b_en",
        ],
    ),
    "local folder without config.json": (
        ["run", str(MISTAKE), "--model", "{folder}"],
        ["is not a keras-hub preset folder (no config.json)"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gives_one_clear_line(case: str, tmp_path: Path) -> None:
    args, expected = BAD_INPUTS[case]
    paths = {name: str(path) for name, path in _files(tmp_path).items()}
    filled = [paths.get(a.strip("{}"), a.replace("{folder}", str(tmp_path))) for a in args]
    # A private cache: nothing of the user's is read, nothing is converted.
    result = cli(*filled, env=_env(PROMPT_SALIENCE_CACHE=str(tmp_path / "cache")), timeout=120)
    _assert_one_error_line(result, *expected)
    assert result.stdout.strip() == ""


def _no_kaggle_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(
        HOME=str(home),
        PROMPT_SALIENCE_CACHE=str(tmp_path / "cache"),
        KAGGLEHUB_CACHE=str(tmp_path / "kagglehub"),
        # Any download attempt meets a closed port at once, network or not.
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        NO_PROXY="",
        no_proxy="",
        **changes,
    )
    env.pop("XDG_CACHE_HOME", None)
    return env


def test_kaggle_preset_without_credentials_names_both_ways_and_the_licence(
    tmp_path: Path,
) -> None:
    result = cli(
        "run",
        MISTAKE,
        "--model",
        "gemma2_instruct_2b_en",
        env=_no_kaggle_env(tmp_path),
        timeout=120,
    )
    _assert_one_error_line(
        result,
        "needs Kaggle credentials",
        "~/.kaggle/kaggle.json",
        "KAGGLE_USERNAME",
        "KAGGLE_KEY",
        "Gemma licence",
    )
    assert not (tmp_path / "kagglehub").exists()  # nothing was downloaded


def test_kaggle_download_fails_cleanly_at_the_network_boundary(tmp_path: Path) -> None:
    env = _no_kaggle_env(tmp_path, KAGGLE_USERNAME="prompt-salience-test", KAGGLE_KEY="0" * 32)
    result = cli("run", MISTAKE, "--model", "gemma2_instruct_2b_en", env=env, timeout=120)
    _assert_one_error_line(
        result, "Could not reach Kaggle to download 'gemma2_instruct_2b_en'", "gemma3_270m"
    )
