"""LIT `.jsonl` datasets: records, exact offsets of decoded strings, errors, and cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompt_salience.errors import PromptFileError
from prompt_salience.prompt.datasets import dataset_to_prompt_file, load_dataset
from prompt_salience.prompt.parsing import parse_prompt_file
from prompt_salience.prompt.reading import read_prompt_source
from prompt_salience.prompt.template import render_case

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def test_records_keep_prompt_target_source_and_line() -> None:
    text = (
        '{"prompt": "Hi", "extra": [1, {"x": "}"}]}\n'
        '\n{"source": "s", "prompt": "P", "target": "T"}\n'
    )
    records = load_dataset(text, "d.jsonl")
    assert [(r.prompt, r.target, r.source, r.line) for r in records] == [
        ("Hi", None, None, 0),
        ("P", "T", "s", 2),
    ]
    assert [text[o] for o in records[1].prompt_offsets] == ["P"]
    assert records[1].target_offsets is not None
    assert [text[o] for o in records[1].target_offsets] == ["T"]


def test_escapes_map_to_their_backslash() -> None:
    line = '{"prompt": "a\\nb\\u00e9\\ud83d\\ude00\\"c\\\\"}'
    text = "\r\n" + line + "\r\n"
    (record,) = load_dataset(text)
    assert record.prompt == 'a\nbé😀"c\\'
    assert [text[o] for o in record.prompt_offsets] == ["a", "\\", "b", "\\", "\\", "\\", "c", "\\"]
    assert record.prompt_offsets[0] == text.index("a\\n")
    assert record.line == 1


def test_repeated_key_keeps_the_last_value_as_json_does() -> None:
    text = '{"prompt": "first", "prompt": "second"}'
    (record,) = load_dataset(text)
    assert record.prompt == "second"
    assert "".join(text[o] for o in record.prompt_offsets) == "second"


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ('{"prompt": "ok"}\n{"prompt": "unterminated}\n', "not valid JSON", 2, 12),
        ('{"prompt": "ok"}\n\n{"prompt": "a",}\n', "not valid JSON", 3, 16),
        ('["prompt"]\n', "not an object", 1, 1),
        ('{"target": "x"}\n', "has no `prompt`", 1, 1),
        ('{"target": "x", "prompt": 42}\n', "`prompt` that is not a string", 1, 27),
        ('{"prompt": "p", "source": 1}\n', "`source` on line 1 is not a string", 1, 27),
    ],
)
def test_bad_records_name_the_line_and_column(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(PromptFileError, match=message) as info:
        load_dataset(text, "d.jsonl")
    assert (info.value.path, info.value.line, info.value.column) == ("d.jsonl", line, column)
    assert info.value.fix


def test_empty_dataset_is_an_error() -> None:
    with pytest.raises(PromptFileError, match="no records"):
        dataset_to_prompt_file("\n  \n", "d.jsonl")


def test_records_become_cases_with_unique_names() -> None:
    text = (
        '{"prompt": "one", "source": "s"}\n{"prompt": "two"}\n'
        '{"prompt": "three", "source": "s", "target": " t"}\n'
    )
    prompt_file = dataset_to_prompt_file(text, "d.jsonl")
    assert [c.name for c in prompt_file.cases] == ["s (line 1)", "line 2", "s (line 3)"]
    assert [c.line for c in prompt_file.cases] == [0, 1, 2]
    rendered = render_case(prompt_file, "s (line 3)")
    assert rendered.text == "three"
    assert rendered.target == " t"
    assert rendered.source_map.file_ranges(0, 5) == [(text.index("three"), text.index("three") + 5)]
    assert rendered.target_offsets is not None
    assert "".join(text[o] for o in rendered.target_offsets) == " t"


def test_menu_samples_match_the_prompt_files() -> None:
    text = read_prompt_source(PROMPTS / "menu-samples.jsonl")
    prompt_file = dataset_to_prompt_file(text, "menu-samples.jsonl")
    names = [c.name for c in prompt_file.cases]
    assert names[:3] == ["fewshot-mistake", "fewshot-fixed", "fewshot-constitution"]
    for name in names[:3]:
        path = PROMPTS / f"menu-{name}.prompt"
        template = parse_prompt_file(read_prompt_source(path), str(path))
        expected = render_case(template, "quiche-lorraine").text
        rendered = render_case(prompt_file, name)
        assert rendered.text == expected
        assert rendered.target is None
    with_target = [c for c in prompt_file.cases if c.target is not None]
    assert len(with_target) == 1
    rendered = render_case(prompt_file, with_target[0].name)
    assert rendered.target is not None
    assert rendered.target.startswith(" ")
    for char, offset in zip(rendered.text, rendered.source_map.file_offsets, strict=True):
        assert text[offset] in (char, "\\")


_strings = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {"prompt": _strings},
            optional={"target": _strings, "source": _strings, "other": st.lists(_strings)},
        ),
        min_size=1,
        max_size=4,
    ),
    ascii_only=st.booleans(),
    crlf=st.booleans(),
)
def test_random_records_decode_with_exact_offsets(
    records: list[dict[str, object]], ascii_only: bool, crlf: bool
) -> None:
    line_end = "\r\n" if crlf else "\n"
    text = line_end.join(json.dumps(r, ensure_ascii=ascii_only) for r in records) + line_end
    loaded = load_dataset(text)
    assert len(loaded) == len(records)
    for record, original in zip(loaded, records, strict=True):
        assert record.prompt == original["prompt"]
        assert record.target == original.get("target")
        for value, offsets in (
            (record.prompt, record.prompt_offsets),
            (record.target, record.target_offsets),
        ):
            if value is None:
                continue
            assert offsets is not None
            assert len(offsets) == len(value)
            assert list(offsets) == sorted(set(offsets))
            for char, offset in zip(value, offsets, strict=True):
                assert text[offset] in (char, "\\")


# --- expectations (`expect`) ---------------------------------------------------------------------


def test_records_carry_expectations_with_the_offsets_of_each_item() -> None:
    text = (
        '{"prompt": "p"}\n'
        '{"source": "mistake", "prompt": "p", "expect": [ {"not_contains": "You\\nhave"} ,'
        '{"regex":"/Recommendation: \\\\w+/"}]}\n'
    )
    prompt_file = dataset_to_prompt_file(text, "d.jsonl")
    assert prompt_file.problems == ()
    plain, mistake = prompt_file.cases
    assert plain.expect == ()
    assert [e.describe() for e in mistake.expect] == [
        'not_contains: "You\\nhave"',
        "regex: /Recommendation: \\w+/",
    ]
    assert [text[e.start : e.end] for e in mistake.expect] == [
        '{"not_contains": "You\\nhave"}',
        '{"regex":"/Recommendation: \\\\w+/"}',
    ]
    for item in mistake.expect:
        decoded = [text[o] for o in item.written.file_offsets]
        assert len(decoded) == len(item.written.value)
        assert all(c in (v, "\\") for c, v in zip(decoded, item.written.value, strict=True))


@pytest.mark.parametrize(
    ("expect", "problem", "marked"),
    [
        ('{"contains": "x"}', "`expect` must be a list", '{"contains": "x"}'),
        ('"Avoid"', "`expect` must be a list", '"Avoid"'),
        ('[ "Avoid" ]', "must be one `kind: text` pair", '"Avoid"'),
        ('[{"contains": "a", "regex": "/b/"}]', "must be one `kind: text` pair", None),
        ("[{}]", "must be one `kind: text` pair", "{}"),
        ('[{"contans": "x"}]', "Unknown expectation `contans`", '{"contans": "x"}'),
        ('[{"contains": 3}]', "`contains` must be a string", '{"contains": 3}'),
        ('[{"contains": ""}]', "`contains` has no text", '{"contains": ""}'),
        ('[{"regex": "Avoid"}]', "between slashes", "Avoid"),
        ('[{"not_regex": "/a)b/"}]', "Invalid regex in `not_regex`", ")"),
    ],
)
def test_bad_expectations_are_problems_on_the_records_line(
    expect: str, problem: str, marked: str | None
) -> None:
    text = '{"prompt": "fine"}\n{"prompt": "p", "expect": ' + expect + ', "source": "s"}\n'
    prompt_file = dataset_to_prompt_file(text, "d.jsonl")
    assert len(prompt_file.problems) == 1, prompt_file.problems
    found = prompt_file.problems[0]
    assert problem in found.problem
    assert found.fix
    assert prompt_file.error(found).line == 2
    if marked is not None:
        assert text[found.start : found.end] == marked
    assert [c.name for c in prompt_file.cases] == ["line 1", "s"]  # every record still loads


def test_a_null_expect_is_none() -> None:
    prompt_file = dataset_to_prompt_file('{"prompt": "p", "expect": null}\n', "d.jsonl")
    assert prompt_file.problems == ()
    assert prompt_file.cases[0].expect == ()


_kinds = st.sampled_from(["contains", "not_contains"])


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(st.tuples(_kinds, _strings.filter(bool)), max_size=4),
    ascii_only=st.booleans(),
    compact=st.booleans(),
)
def test_random_expectations_decode_with_exact_offsets(
    items: list[tuple[str, str]], ascii_only: bool, compact: bool
) -> None:
    record = {"prompt": "p", "expect": [{kind: value} for kind, value in items]}
    separators = (",", ":") if compact else (" , ", " :  ")
    text = "\n" + json.dumps(record, ensure_ascii=ascii_only, separators=separators) + "\n"
    prompt_file = dataset_to_prompt_file(text, "d.jsonl")
    assert prompt_file.problems == ()
    (case,) = prompt_file.cases
    assert [(e.kind, e.text) for e in case.expect] == items
    for item in case.expect:
        assert text[item.start] == "{"
        assert text[item.end - 1] == "}"
        offsets = item.written.file_offsets
        assert len(offsets) == len(item.text)
        for char, offset in zip(item.text, offsets, strict=True):
            assert text[offset] in (char, "\\")
