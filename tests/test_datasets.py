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
