"""SourceMap: per-character file offsets, origins, ranges and its compact JSON form."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompt_salience.prompt.source_map import Origin, SourceMap, SourceMapBuilder


def _sample_map() -> tuple[str, SourceMap]:
    # Template "Hi {{name}}, bye" at file offset 10; the value "Ann" sits at file offsets 50-52.
    builder = SourceMapBuilder()
    builder.add("Hi ", range(10, 13), "template")
    builder.add("Ann", range(50, 53), "variable", "name")
    builder.add(", bye", range(21, 26), "template")
    return builder.build()


def test_builder_records_text_offsets_and_origins() -> None:
    text, source_map = _sample_map()
    assert text == "Hi Ann, bye"
    assert source_map.file_offsets == (10, 11, 12, 50, 51, 52, 21, 22, 23, 24, 25)
    assert source_map.origins == (
        Origin(0, 3, "template"),
        Origin(3, 6, "variable", "name"),
        Origin(6, 11, "template"),
    )
    assert source_map.variable_spans() == [(3, 6, "name")]


def test_builder_merges_neighbouring_template_pieces() -> None:
    builder = SourceMapBuilder()
    builder.add("a", [0], "template")
    builder.add("{{", [2, 3], "template")  # an escaped `\{{`
    builder.add("b", [4], "template")
    text, source_map = builder.build()
    assert text == "a{{b"
    assert source_map.origins == (Origin(0, 4, "template"),)


def test_empty_variable_value_keeps_an_origin() -> None:
    builder = SourceMapBuilder()
    builder.add("x", [0], "template")
    builder.add("", [], "variable", "empty")
    builder.add("y", [9], "template")
    _, source_map = builder.build()
    assert source_map.variable_spans() == [(1, 1, "empty")]
    assert source_map.origin_at(1) == Origin(1, 2, "template")


def test_builder_rejects_offsets_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="offsets"):
        SourceMapBuilder().add("abc", [1, 2], "template")


def test_origins_must_tile_the_text() -> None:
    with pytest.raises(ValueError, match="tile"):
        SourceMap((0, 1, 2), (Origin(0, 1, "template"), Origin(2, 3, "template")))
    with pytest.raises(ValueError, match="cover"):
        SourceMap((0, 1, 2), (Origin(0, 2, "template"),))


def test_file_ranges_merge_contiguous_offsets_and_skip_unmapped() -> None:
    _, source_map = _sample_map()
    assert source_map.file_ranges(0, 11) == [(10, 13), (50, 53), (21, 26)]
    assert source_map.file_ranges(1, 5) == [(11, 13), (50, 52)]
    assert source_map.file_ranges(4, 4) == []
    gaps = SourceMap((5, -1, 6, 8, 8), (Origin(0, 5, "variable", "v"),))
    assert gaps.file_ranges(0, 5) == [(5, 7), (8, 9)]


def test_origin_at() -> None:
    _, source_map = _sample_map()
    assert source_map.origin_at(0) == Origin(0, 3, "template")
    assert source_map.origin_at(3) == Origin(3, 6, "variable", "name")
    assert source_map.origin_at(5) == Origin(3, 6, "variable", "name")
    assert source_map.origin_at(6) == Origin(6, 11, "template")
    assert source_map.origin_at(11) is None
    assert source_map.origin_at(-1) is None


def test_identity_map_for_raw_prompts() -> None:
    source_map = SourceMap.identity(4, file_offset=7)
    assert source_map.file_offsets == (7, 8, 9, 10)
    assert source_map.origins == (Origin(0, 4, "template"),)
    assert source_map.file_ranges(1, 3) == [(8, 10)]
    assert SourceMap.identity(0).origins == ()


def test_json_is_compact_runs() -> None:
    _, source_map = _sample_map()
    data = source_map.to_json()
    assert data["length"] == 11
    assert [piece["runs"] for piece in data["origins"]] == [[[10, 3]], [[50, 3]], [[21, 5]]]
    assert data["origins"][1]["variable"] == "name"
    long = SourceMap.identity(10_000)
    assert len(json.dumps(long.to_json())) < 200


def test_from_json_rejects_malformed_maps() -> None:
    with pytest.raises(ValueError, match="malformed"):
        SourceMap.from_json({"origins": []})
    with pytest.raises(ValueError, match="kind"):
        SourceMap.from_json({"length": 1, "origins": [{"start": 0, "end": 1, "kind": "x"}]})
    bad = {
        "length": 5,
        "origins": [{"start": 0, "end": 1, "kind": "template", "runs": [[0, 1]]}],
    }
    with pytest.raises(ValueError, match="add up"):
        SourceMap.from_json(bad)


_pieces = st.lists(
    st.tuples(
        st.text(max_size=6),
        st.sampled_from(["template", "variable"]),
        st.lists(st.integers(min_value=-1, max_value=60), min_size=6, max_size=6),
    ),
    max_size=8,
)


@given(_pieces)
def test_json_round_trip_and_ranges(pieces: list[tuple[str, str, list[int]]]) -> None:
    builder = SourceMapBuilder()
    for number, (text, kind, offsets) in enumerate(pieces):
        variable = f"v{number}" if kind == "variable" else None
        builder.add(text, offsets[: len(text)], "variable" if variable else "template", variable)
    text, source_map = builder.build()
    assert len(source_map) == len(text)
    again = SourceMap.from_json(json.loads(json.dumps(source_map.to_json())))
    assert again == source_map
    for start in range(len(text) + 1):
        origin = source_map.origin_at(start)
        assert (origin is None) == (start == len(text))
        if origin is not None:
            assert origin.start <= start < origin.end
    # Every mapped offset of a range is inside one of its file ranges.
    ranges = source_map.file_ranges(0, len(text))
    for offset in source_map.file_offsets:
        assert offset < 0 or any(a <= offset < b for a, b in ranges)
