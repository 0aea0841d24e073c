"""Other tools' files with our suffixes are recognised and left alone; ours never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompt_salience.prompt.documents import parse_document, read_document
from prompt_salience.prompt.foreign_formats import ForeignFileError, foreign_format

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"

DOTPROMPT_WITH_SCHEMA = """---
model: googleai/gemini-1.5-flash
config:
  temperature: 0.9
input:
  schema:
    location: string
output:
  format: json
---
{{role "system"}}
You are a helpful travel agent.
{{role "user"}}
Plan a trip to {{location}}.
"""

DOTPROMPT_BODY_ONLY = """Hello {{name}}!
{{#if premium}}Thanks for being a member.{{else}}Join today.{{/if}}
{{> footer}}
"""

CHAT_JSONL = '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": []}\n'


def test_dotprompt_files_are_recognised_with_the_first_sign() -> None:
    found = foreign_format(DOTPROMPT_WITH_SCHEMA, "trip.prompt")
    assert found is not None
    assert found.kind == "dotprompt"
    assert "config" in found.sign
    with pytest.raises(ForeignFileError) as caught:
        parse_document(DOTPROMPT_WITH_SCHEMA, "trip.prompt")
    assert caught.value.line == 3  # `config:`
    assert "Dotprompt" in caught.value.problem
    body = foreign_format(DOTPROMPT_BODY_ONLY, "welcome.prompt")
    assert body is not None
    assert body.sign == "`{{#if premium}}`"


def test_every_sample_prompt_and_escaped_braces_stay_ours() -> None:
    for path in sorted(PROMPTS.iterdir()):
        assert foreign_format(path.read_text(encoding="utf-8"), str(path)) is None, path
        read_document(path)  # and parses as before
    escaped = "---\nvars:\n  x: 1\n---\nLiteral \\{{#if}} and {{x}}\n"
    assert foreign_format(escaped, "ours.prompt") is None


def test_jsonl_without_prompt_records_is_left_alone() -> None:
    assert foreign_format(CHAT_JSONL, "chat.jsonl") is not None
    assert foreign_format("", "empty.jsonl") is not None
    with pytest.raises(ForeignFileError, match="no record with a `prompt`"):
        parse_document(CHAT_JSONL, "chat.jsonl")
    ours = '{"prompt": "Say hi", "source": "a"}\n{"messages": []}\n'
    assert foreign_format(ours, "mixed.jsonl") is None
    damaged = '{"prompt": "Say hi", \n'
    assert foreign_format(damaged, "damaged.jsonl") is None  # ours, with its error shown
