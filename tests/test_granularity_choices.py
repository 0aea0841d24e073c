"""The one list of granularities: every entry is accepted by the one check and cuts text."""

from __future__ import annotations

import pytest

from prompt_salience.engine.segmentation import (
    DEFAULT_GRANULARITY,
    DEFAULT_SEPARATOR,
    GRANULARITIES,
    GRANULARITY_CHOICES,
    REGEX_PREFIX,
    Granularity,
    check_granularity,
    segment_text,
)
from prompt_salience.errors import PromptSalienceError
from prompt_salience.results import CharSpan

TEXT = "One two. Three\n\nFour five\nsix"


def _usable_name(name: str) -> str:
    """The name as a user gives it (the parametrised form with its parameter filled in)."""
    return f"{REGEX_PREFIX}{DEFAULT_SEPARATOR}" if name.startswith(REGEX_PREFIX) else name


def test_the_list_holds_every_named_granularity_and_one_parametrised_form() -> None:
    names = [g.name for g in GRANULARITY_CHOICES]
    assert len(set(names)) == len(names)
    assert [n for n in names if not n.startswith(REGEX_PREFIX)] == list(GRANULARITIES)
    assert [n for n in names if n.startswith(REGEX_PREFIX)] == [f"{REGEX_PREFIX}<separator>"]
    assert DEFAULT_GRANULARITY in GRANULARITIES


@pytest.mark.parametrize("choice", GRANULARITY_CHOICES, ids=lambda g: g.name)
def test_each_choice_is_described_accepted_and_cuts_text(choice: Granularity) -> None:
    assert choice.label.strip()
    assert choice.description.endswith(".")
    usable = _usable_name(choice.name)
    check_granularity(usable)
    if choice.name == "variables":
        return  # needs a prompt's source map: tests/test_segmentation.py covers it
    tokens = [CharSpan(i, min(i + 4, len(TEXT))) for i in range(0, len(TEXT), 4)]
    segments = segment_text(TEXT, usable, token_spans=tokens, prompt_length=len(TEXT))
    assert segments
    assert all(TEXT[s.start : s.end].strip() for s in segments)


def test_an_unknown_granularity_names_the_closest_and_the_list() -> None:
    with pytest.raises(PromptSalienceError) as raised:
        check_granularity("sentence")
    assert raised.value.fix.startswith("Did you mean `sentences`?")
    for name in GRANULARITIES:
        assert name in raised.value.fix
