"""`prompt-salience batch` on the real embedded model: the results lines point into the template
and the data, a run killed mid-way resumes with every case exactly once, and a finished run
resumes without loading a model."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from test_cli import COMMAND, ROOT, _env, cli

pytestmark = pytest.mark.model

TEMPLATE = ROOT / "prompts" / "menu-fewshot-mistake.prompt"
ROWS = [
    ("quiche", "Cheese", "Can't eat eggs", "Quiche Lorraine", '[{"contains": "Avoid"}]'),
    ("crepe", "Oranges, and desserts", "No alcohol", "Crêpe Suzette", ""),
    ("soup", "Soups", "Garlic", "Onion soup", "Avoid"),
    ("tart", "Fruit", "Nuts", "Tarte Tatin", ""),
]


def _data(tmp_path: Path) -> Path:
    import csv

    path = tmp_path / "menu.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "food_likes", "food_dislikes", "menu_item", "expect"])
        writer.writerows(ROWS)
    return path


def _ids(out: Path) -> list[str]:
    return [json.loads(line)["case_id"] for line in out.read_text(encoding="utf-8").splitlines()]


def test_each_line_points_into_the_template_and_the_data(tmp_path: Path) -> None:
    out, agg, page = tmp_path / "r.jsonl", tmp_path / "agg.json", tmp_path / "report.html"
    done = cli(
        "batch",
        TEMPLATE,
        "--data",
        _data(tmp_path),
        "--out",
        out,
        "--aggregate",
        agg,
        "--report",
        page,
        "--max-new-tokens",
        "6",
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "4 case(s) in" in done.stdout
    template = TEMPLATE.read_text(encoding="utf-8")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["case_id"] for r in records] == [row[0] for row in ROWS]
    for record, row in zip(records, ROWS, strict=True):
        assert record["vars"]["menu_item"] == row[3]
        assert record["passed"] is (None if not row[4] else record["passed"])
        assert isinstance(record["target"]["logprob"], float)
        for segment in record["segments"]:
            if segment["kind"] == "template":
                assert template[segment["file_start"] : segment["file_end"]] == segment["text"]
            else:
                assert segment["text"] == record["vars"][segment["name"]].strip()
    assert {r["passed"] for r in records if r["case_id"] in ("quiche", "soup")} <= {True, False}
    aggregate = json.loads(agg.read_text(encoding="utf-8"))
    assert aggregate["cases"] == 4
    names = {s["name"] for s in aggregate["segments"] if s["kind"] == "variable"}
    assert names == {"food_likes", "food_dislikes", "menu_item"}
    html = page.read_text(encoding="utf-8")
    assert "The template, by mean share" in html
    assert f"Failing cases ({len(aggregate['failures'])})" in html


def test_a_run_killed_mid_way_resumes_with_every_case_once(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    args = [
        "batch",
        str(TEMPLATE),
        "--data",
        str(_data(tmp_path)),
        "--out",
        str(out),
        "--max-new-tokens",
        "6",
        "--batch-size",  # one case per batch: the kill lands between written lines
        "1",
    ]
    child = subprocess.Popen(
        [*COMMAND, *args],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and child.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    first = _ids(out)
    assert 1 <= len(first) < len(ROWS), first  # killed mid-way
    resumed = cli(*args, "--resume", timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert sorted(_ids(out)) == sorted(row[0] for row in ROWS)  # each case exactly once
    again = cli(*args, "--resume", timeout=120)
    assert again.returncode == 0
    assert "0 run now" in again.stdout
    assert sorted(_ids(out)) == sorted(row[0] for row in ROWS)


def test_batched_cases_equal_each_case_run_alone(real_model: Any, tmp_path: Path) -> None:
    """Prompts of different lengths, one with a what-if target, in one batch (generation and
    the backward pass batched): every line equals the case run alone by `run_case`."""
    from prompt_salience.engine.batch_records import case_record
    from prompt_salience.engine.batch_run import plan_batch, run_planned
    from prompt_salience.engine.case_run import run_case
    from prompt_salience.engine.explainer import Explainer

    data = tmp_path / "d.jsonl"
    rows = [
        {"name": "short", "food_likes": "Tea", "food_dislikes": "Milk", "menu_item": "Scone"},
        {
            "name": "long",
            "food_likes": "Spicy food, curries and anything with chilli " * 6,
            "food_dislikes": "Bland food",
            "menu_item": "Vindaloo",
        },
        {
            "name": "what-if",
            "food_likes": "Cheese",
            "food_dislikes": "Eggs",
            "menu_item": "Quiche",
            "target": " Recommendation: Avoid.",
        },
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    plan = plan_batch(TEMPLATE, data, {"max_new_tokens": 10}, lambda d: d)
    assert [c.case_id for c in plan.cases] == ["short", "long", "what-if"]
    explainer = Explainer(real_model)
    batched: list[dict[str, Any]] = []
    for case, error in run_planned(explainer, plan, plan.cases, batched.append, batch_size=4):
        assert error is None, (case.case_id, error)
    for case, line in zip(plan.cases, batched, strict=True):
        alone = run_case(
            Explainer(real_model), case.prepared, plan.settings, on_span_fallback=lambda e: None
        )
        expected = case_record(
            case.case_id, case.variables, alone.result, alone.span, case.prepared.source_map, None
        )
        assert line["response"] == expected["response"]
        assert line["target"]["logprob"] == pytest.approx(expected["target"]["logprob"], abs=1e-4)
        got = [s["score"] for s in line["segments"]]
        want = [s["score"] for s in expected["segments"]]
        assert got == pytest.approx(want, rel=1e-3, abs=1e-5)
