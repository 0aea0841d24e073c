"""A huge input is refused before any model work, in the CLI and the language server alike: the
character count alone proves it cannot fit (no Gemma token spells more than 31 characters)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prompt_salience.engine.token_budget import (
    GENERATE_LABEL,
    MAX_CHARACTERS_PER_TOKEN,
    case_character_overflow,
    character_overflow,
)
from test_cli import _assert_one_error_line, _env, cli

HUGE_BODY = ("The soup arrived cold but the waiter apologised at once. " * 22000)[:1_250_000]


def test_no_token_of_the_embedded_vocabulary_is_longer_than_half_the_bound(
    real_model: Any,
) -> None:
    tokenizer = real_model.tokenizer
    longest = max(
        len(tokenizer.decode([i]).text) for i in range(int(tokenizer._sp.get_piece_size()))
    )
    assert longest * 2 <= MAX_CHARACTERS_PER_TOKEN, longest


def test_the_bound_refuses_only_what_cannot_fit() -> None:
    assert character_overflow("x" * 64 * 2000, 32, GENERATE_LABEL, max_length=2048) is None
    found = character_overflow("x" * 64 * 2100, 32, GENERATE_LABEL, max_length=2048)
    assert found is not None
    assert "at least 2101 tokens" in found.problem()
    target = case_character_overflow("short", "y" * 64 * 3000, 32, max_length=2048)
    assert target is not None
    assert "the target has 3000 or more" in target.problem("c")


def test_the_cli_refuses_a_huge_prompt_before_loading_a_model(tmp_path: Path) -> None:
    prompt = tmp_path / "huge.prompt"
    prompt.write_text(f"---\nvars:\n  x: a\n---\n{HUGE_BODY}{{{{x}}}}\n", encoding="utf-8")
    cache = tmp_path / "cache"  # empty: a model load would convert into it
    result = cli("run", prompt, env=_env(PROMPT_SALIENCE_CACHE=str(cache)), timeout=120)
    _assert_one_error_line(result, "at least", "configured limit of 2048 tokens", "max_length")
    assert not (cache / "models").exists()


def test_compare_and_test_refuse_a_huge_prompt_before_loading_a_model(tmp_path: Path) -> None:
    huge = tmp_path / "huge.prompt"
    huge.write_text(
        f'---\nexpect:\n  - contains: "soup"\nvars:\n  x: a\n---\n{HUGE_BODY}{{{{x}}}}\n',
        encoding="utf-8",
    )
    small = tmp_path / "small.prompt"
    small.write_text("---\nvars:\n  x: a\n---\nSoup of the day: {{x}}\n", encoding="utf-8")
    cache = tmp_path / "cache"  # empty: a model load would convert into it
    env = _env(PROMPT_SALIENCE_CACHE=str(cache))
    compared = cli("compare", small, huge, env=env, timeout=120)
    _assert_one_error_line(compared, "at least", "configured limit of 2048 tokens", "max_length")
    assert not (cache / "models").exists()
    tested = cli("test", huge, env=env, timeout=120)
    assert tested.returncode == 2, tested.stderr  # a bad input, told apart from a failed case
    assert "configured limit of 2048 tokens" in tested.stderr
    assert not (cache / "models").exists()
