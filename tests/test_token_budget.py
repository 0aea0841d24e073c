"""The one token-budget rule (engine/token_budget.py), shared by the engine and the editor."""

from __future__ import annotations

from dataclasses import dataclass

from prompt_salience.engine.token_budget import case_overflow, overflow


@dataclass
class _Encoded:
    ids: list[int]


class _WordTokenizer:
    """One token per word: enough to count with."""

    def encode(self, text: str) -> _Encoded:
        return _Encoded(list(range(len(text.split()))))


def test_exactly_the_limit_fits_and_one_more_does_not() -> None:
    assert overflow(10, 6, "max_new_tokens is", context=None, max_length=16) is None
    found = overflow(10, 7, "max_new_tokens is", context=None, max_length=16)
    assert found is not None
    assert (found.needed, found.limit, found.by_context) == (17, 16, False)
    assert "configured limit of 16 tokens" in found.problem()
    assert "--max-length" in found.fix()
    assert "`maxLength`" in found.fix()


def test_the_smaller_of_context_and_max_length_limits() -> None:
    by_context = overflow(30, 5, "max_new_tokens is", context=32, max_length=2048)
    assert by_context is not None
    assert by_context.by_context
    assert "the model's context of 32 tokens" in by_context.problem()
    assert "max_length" not in by_context.fix()  # raising it would not help
    by_setting = overflow(30, 5, "max_new_tokens is", context=4096, max_length=32)
    assert by_setting is not None
    assert not by_setting.by_context


def test_a_case_counts_bos_and_its_target_instead_of_the_tokens_to_generate() -> None:
    tokenizer = _WordTokenizer()
    assert case_overflow(tokenizer, "a b c", None, 4, context=None, max_length=8) is None
    found = case_overflow(tokenizer, "a b c", "x y z w v", 4, context=None, max_length=8)
    assert found is not None
    assert (found.prompt_tokens, found.extra) == (4, 5)
    assert found.problem("quiche").startswith(
        "The prompt of case `quiche` has 4 tokens and the target has 5: 9 tokens exceed"
    )
