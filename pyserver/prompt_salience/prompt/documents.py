"""Open what a user points at: a `.prompt` template or a LIT `.jsonl` dataset, as a PromptFile."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from .datasets import dataset_to_prompt_file
from .foreign_formats import check_not_foreign
from .parsed_prompt import PromptFile
from .parsing import parse_prompt_file
from .reading import read_prompt_source


def is_dataset(path: str | PathLike[str]) -> bool:
    return Path(path).suffix.lower() == ".jsonl"


def parse_document(text: str, path: str | None) -> PromptFile:
    """Parse file text by its kind (the path's suffix): datasets become files with cases.
    Another tool's file (Dotprompt, a chat `.jsonl`) raises ForeignFileError."""
    check_not_foreign(text, path)
    if path is not None and is_dataset(path):
        return dataset_to_prompt_file(text, path)
    return parse_prompt_file(text, path)


def read_document(path: str | PathLike[str]) -> PromptFile:
    """Read and parse a prompt file or dataset (PromptFileError for anything unreadable)."""
    return parse_document(read_prompt_source(path), str(path))
