"""A batch run's files, without a model: the data table (CSV with quoted commas and UTF-8, JSON
Lines, bad rows by number), the results file (append, a torn last line dropped, a foreign file
refused) and the aggregate (shares sum to 1 per case; a variable is one segment)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prompt_salience.engine.batch_aggregate import aggregate, case_shares
from prompt_salience.engine.results_file import ResultsFileError, ResultsWriter, read_results
from prompt_salience.prompt.case_table import BadRow, read_case_table, render_row
from prompt_salience.prompt.documents import read_document

TEMPLATE = (
    "---\nvars:\n  tone: polite\n---\nDish: {{dish}}\nBe {{tone}}. Say yes or no about {{dish}}.\n"
)


def _template(tmp_path: Path) -> Path:
    path = tmp_path / "t.prompt"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def test_a_csv_with_quoted_commas_and_utf8(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text(
        'name,dish,expect\na,"Crêpe, Suzette","[{""contains"": ""yes""}]"\n,Œufs brouillés,no\n',
        encoding="utf-8",
    )
    rows, bad = read_case_table(data)
    assert bad == []
    assert [r.variables["dish"] for r in rows] == ["Crêpe, Suzette", "Œufs brouillés"]
    assert rows[0].case_id == "a"
    assert rows[1].case_id.startswith("vars-")  # no name: a hash of the variables
    assert [e.text for e in rows[0].expect] == ["yes"]
    assert [(e.kind, e.text) for e in rows[1].expect] == [("contains", "no")]
    template = read_document(_template(tmp_path))
    rendered = render_row(template, rows[0])
    assert not isinstance(rendered, BadRow)
    assert rendered[1].variables["tone"].value == "polite"  # the template's default


def test_bad_rows_are_reported_by_number_and_the_others_kept(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    lines = [
        {"dish": "Soup"},
        {"name": "no-dish"},  # the template's {{dish}} has no value and no default
        {"dish": "Tart", "expect": [{"contanis": "yes"}]},  # a misspelt kind
        "not json",
        {"dish": ["a", "list"]},
        {"dish": "Soup"},  # the same variables as row 1: the same id
    ]
    data.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    rows, bad = read_case_table(data)
    template = read_document(_template(tmp_path))
    rendered = [(row, render_row(template, row)) for row in rows]
    unrenderable = [found for _, found in rendered if isinstance(found, BadRow)]
    numbers = sorted(b.number for b in [*bad, *unrenderable])
    assert numbers == [2, 3, 4, 5, 6]
    assert [row.number for row, found in rendered if not isinstance(found, BadRow)] == [1]
    messages = {b.number: b.one_line() for b in [*bad, *unrenderable]}
    assert "`dish`" in messages[2]
    assert "Did you mean `contains`?" in messages[3]
    assert "repeats row 1" in messages[6]


def _record(
    case_id: str, scores: dict[str, float], passed: bool | None = None
) -> dict[str, object]:
    segments = [
        {"kind": "template", "file_start": 0, "file_end": 5, "score": scores["lit"]},
        {"kind": "variable", "name": "dish", "score": scores["dish1"]},
        {"kind": "variable", "name": "dish", "score": scores["dish2"]},
        {"kind": "variable", "name": "tone", "score": scores["tone"]},
    ]
    return {"case_id": case_id, "segments": segments, "passed": passed}


def test_shares_sum_to_one_and_a_constant_variable_is_still_one_segment(tmp_path: Path) -> None:
    template = read_document(_template(tmp_path))
    records = [
        _record("a", {"lit": 1.0, "dish1": 2.0, "dish2": -1.0, "tone": 0.5}, passed=False),
        _record("b", {"lit": 0.2, "dish1": 0.1, "dish2": 0.1, "tone": 3.0}, passed=True),
    ]
    for record in records:
        assert sum(case_shares(record).values()) == pytest.approx(1.0)
    result = aggregate(records, template)
    assert result["cases"] == 2
    assert result["failures"] == ["a"]
    by_name = {(s["kind"], s["name"]): s for s in result["segments"]}
    assert set(by_name) == {("template", None), ("variable", "dish"), ("variable", "tone")}
    dish = by_name[("variable", "dish")]  # both occurrences, as absolute values
    assert dish["mean_share"] == pytest.approx((3.0 / 4.5 + 0.2 / 3.4) / 2)
    assert dish["text"] == "{{dish}}"
    assert template.text[dish["start"] : dish["end"]] == "{{dish}}"
    assert sum(s["mean_share"] for s in result["segments"]) == pytest.approx(1.0)
    assert all(s["top3_rate"] == 1.0 for s in result["segments"])  # only 3 segments per case


def test_a_torn_last_line_is_dropped_and_the_file_continued(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with ResultsWriter(out, resume=False) as writer:
        writer.write({"case_id": "a", "segments": []})
        writer.write({"case_id": "b", "segments": []})
    whole = out.read_bytes()
    out.write_bytes(whole + b'{"case_id": "c", "segm')  # killed while writing c
    records, good = read_results(out)
    assert [r["case_id"] for r in records] == ["a", "b"]
    assert good == len(whole)
    with ResultsWriter(out, resume=True) as writer:
        assert set(writer.done) == {"a", "b"}
        writer.write({"case_id": "c", "segments": []})
    assert [json.loads(line)["case_id"] for line in out.read_text().splitlines()] == ["a", "b", "c"]


def test_a_results_file_is_never_overwritten_nor_a_foreign_one_continued(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    out.write_text('{"case_id": "a"}\nnot ours\n{"case_id": "b"}\n')
    with pytest.raises(ResultsFileError, match="exists already"):
        ResultsWriter(out, resume=False)
    with pytest.raises(ResultsFileError, match="Line 2"):
        ResultsWriter(out, resume=True)


def test_the_dataset_report_paints_the_template_and_lists_the_failing_cases(
    tmp_path: Path,
) -> None:
    from prompt_salience.report.dataset_html import dataset_report

    template = read_document(_template(tmp_path))
    dish_start = TEMPLATE.index("Dish:")
    literal = {"kind": "template", "file_start": dish_start, "file_end": dish_start + 5}
    records = [
        {
            "case_id": "<b>bad</b>",
            "vars": {"dish": "Soup & <i>bread</i>"},
            "response": "No <script>alert(1)</script>",
            "target": {"text": "No"},
            "passed": False,
            "segments": [
                {**literal, "text": "Dish:", "score": 1.0},
                {"kind": "variable", "name": "dish", "text": "Soup", "score": 3.0},
            ],
        }
    ]
    page = dataset_report(template, aggregate(records, template), records, title="t")
    assert page.count('class="seg"') == 3  # "Dish:" and both {{dish}} placeholders
    assert "mean share 75.0%" in page  # the variable's share, in each placeholder's tooltip
    assert "Failing cases (1)" in page
    assert "&lt;b&gt;bad&lt;/b&gt;" in page
    assert "<script>alert" not in page
