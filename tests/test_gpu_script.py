"""The GPU benchmark script (benchmarks/gpu_shapes_bench.py) runs here with --smoke: tiny
shapes of the same Gemma 2 structure, on the CPU, through the same child processes and time
guards that a lent GPU machine would run. Its figures are not checked, only that each step
measured what it says and that what did not fit is skipped with a reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_shapes_bench.py"


def _run(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(out.read_text())
    assert "shape | tokens | salience ms" in done.stdout  # the summary table
    return report


@pytest.mark.slow  # one child process: imports, a tiny backbone, three compilations (~15 s CPU)
def test_smoke_measures_salience_generation_and_the_lit_style_baseline(tmp_path: Path) -> None:
    report = _run(tmp_path, "--shapes", "gemma2_2b_en", "--lengths", "64")
    (item,) = report["items"]
    assert (item["shape"], item["tokens"]) == ("gemma2_2b_en", 64)
    assert "stopped" not in item, item
    assert "skipped" not in item, item
    assert item["build"]["params"] > 0
    assert item["salience"]["median_s"] > 0
    assert item["generate"]["tokens"] == 8  # no stop token: every token asked for
    lit = item["lit_style"]
    assert lit["salience_vs_lit"] == pytest.approx(item["salience"]["median_s"] / lit["median_s"])
    assert lit["corr_with_ours"] > 0.99  # the same Grad L2, two ways


def test_items_that_do_not_fit_the_budget_are_skipped_with_a_reason(tmp_path: Path) -> None:
    report = _run(tmp_path, "--budget-s", "0")
    items = report["items"]
    assert [(i["shape"], i["tokens"]) for i in items] == [
        ("gemma2_2b_en", 64),
        ("gemma2_2b_en", 128),
        ("gemma2_9b_en", 64),
        ("gemma2_9b_en", 128),
    ]
    assert all(i["skipped"].endswith("s left") for i in items), items


@pytest.mark.slow  # a child process: imports, a tiny backbone, one compilation
def test_a_child_past_its_deadline_skips_the_steps_left_and_says_why() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--smoke",
            "--child",
            "gemma2_2b_en",
            "64",
            "--deadline",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    steps = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [s["step"] for s in steps] == ["start", "build", "salience", "generate", "lit_style"]
    assert "median_s" in steps[2]
    for skipped in steps[3:]:
        assert "the time budget is spent" in skipped["skipped"]
