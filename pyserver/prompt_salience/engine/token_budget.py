"""The token budget: does a prompt, plus the tokens that follow it, fit the model?

One rule for the engine, which refuses a run that does not fit, and for the language server,
which warns while the user types. Nothing is ever truncated silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GENERATE_LABEL = "max_new_tokens is"
TARGET_LABEL = "the target has"


@dataclass(frozen=True)
class Overflow:
    """`prompt_tokens` (BOS included) plus `extra` (`extra_label`: generated or target tokens)
    exceed `limit`: the model's context when `by_context`, else the configured max_length."""

    prompt_tokens: int
    extra: int
    extra_label: str
    limit: int
    by_context: bool

    @property
    def needed(self) -> int:
        return self.prompt_tokens + self.extra

    def problem(self, case: str | None = None) -> str:
        which = (
            f"the model's context of {self.limit} tokens"
            if self.by_context
            else f"the configured limit of {self.limit} tokens"
        )
        whose = "The prompt" if case is None else f"The prompt of case `{case}`"
        return (
            f"{whose} has {self.prompt_tokens} tokens and {self.extra_label} {self.extra}: "
            f"{self.needed} tokens exceed {which}."
        )

    def fix(self) -> str:
        raise_limit = (
            ""
            if self.by_context
            else ", or raise max_length (`--max-length`, or the editor's `maxLength` setting)"
        )
        return (
            f"Shorten the prompt, lower max_new_tokens{raise_limit}. Nothing is truncated silently."
        )


def overflow(
    prompt_tokens: int, extra: int, extra_label: str, *, context: int | None, max_length: int
) -> Overflow | None:
    """The overflow, or None when the tokens fit (`context` None: not known yet)."""
    limit = max_length if context is None else min(context, max_length)
    if prompt_tokens + extra <= limit:
        return None
    by_context = context is not None and limit == context
    return Overflow(prompt_tokens, extra, extra_label, limit, by_context)


def case_overflow(
    tokenizer: Any,
    prompt: str,
    target: str | None,
    max_new_tokens: int,
    *,
    context: int | None,
    max_length: int,
) -> Overflow | None:
    """Whether a rendered case fits: its prompt, then its what-if target or the tokens to
    generate. `tokenizer.encode(text).ids` counts tokens without BOS."""
    prompt_tokens = 1 + len(tokenizer.encode(prompt).ids)
    if target is not None:
        extra, label = len(tokenizer.encode(target).ids), TARGET_LABEL
    else:
        extra, label = max_new_tokens, GENERATE_LABEL
    return overflow(prompt_tokens, extra, label, context=context, max_length=max_length)
