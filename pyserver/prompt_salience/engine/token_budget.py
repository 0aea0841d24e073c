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


# No Gemma token spells more than 31 characters (runs of spaces, tabs or line breaks), so a text
# has at least len(text) / 31 tokens. Twice that margin keeps the bound safe for any Gemma.
MAX_CHARACTERS_PER_TOKEN = 64


def character_overflow(
    prompt: str, extra: int, extra_label: str, *, max_length: int
) -> Overflow | None:
    """An overflow certain from the prompt's characters alone, before any tokenizer or model: a
    huge input is refused at once instead of after a tokenizer pass. None when it may fit (the
    tokens decide then). The prompt's count is a lower bound, and the message says so."""
    prompt_tokens = 1 + -(-len(prompt) // MAX_CHARACTERS_PER_TOKEN)
    found = overflow(prompt_tokens, extra, extra_label, context=None, max_length=max_length)
    if found is None:
        return None
    return AtLeast(found.prompt_tokens, found.extra, found.extra_label, found.limit, False)


def case_character_overflow(
    prompt: str, target: str | None, max_new_tokens: int, *, max_length: int
) -> Overflow | None:
    """`character_overflow` of a rendered case: its what-if target also counted by characters."""
    if target is not None:
        extra = -(-len(target) // MAX_CHARACTERS_PER_TOKEN)
        return character_overflow(prompt, extra, TARGET_LABEL, max_length=max_length)
    return character_overflow(prompt, max_new_tokens, GENERATE_LABEL, max_length=max_length)


class AtLeast(Overflow):
    """An overflow known from a lower bound of the token counts (`character_overflow`)."""

    def problem(self, case: str | None = None) -> str:
        whose = "The prompt" if case is None else f"The prompt of case `{case}`"
        extra = f"{self.extra}" if self.extra_label == GENERATE_LABEL else f"{self.extra} or more"
        return (
            f"{whose} has at least {self.prompt_tokens} tokens and {self.extra_label} {extra}: "
            f"more than the configured limit of {self.limit} tokens."
        )
