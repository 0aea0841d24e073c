"""Reading a prompt or dataset file from disk: bytes to text, with errors a user can act on."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from ..errors import PromptFileError
from .line_index import line_column


def read_prompt_source(path: str | PathLike[str]) -> str:
    """The text of a prompt or dataset file, decoded as UTF-8 with its line ends kept."""
    file = Path(path)
    where = str(file)
    if file.is_dir():
        raise PromptFileError(
            f"{where} is a folder, not a file.",
            "Give the path of a `.prompt` or `.jsonl` file.",
            path=where,
        )
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise PromptFileError(
            f"File not found: {where}.", "Check the path and the current folder.", path=where
        ) from None
    except OSError as exc:
        raise PromptFileError(
            f"Cannot read {where}: {exc.strerror or exc}.",
            "Check that the file exists and that you may read it.",
            path=where,
        ) from None
    if b"\0" in data:
        line, column = _byte_position(data, data.index(b"\0"))
        raise PromptFileError(
            f"{where} is not a text file (it contains NUL bytes: binary, or saved as UTF-16).",
            "Open a text file saved as UTF-8.",
            path=where,
            line=line,
            column=column,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        raise PromptFileError(
            f"{where} is not valid UTF-8 (byte 0x{data[exc.start]:02x}).",
            "Save the file as UTF-8 (VS Code: 'Save with Encoding' > UTF-8).",
            path=where,
            line=line,
            column=column,
        ) from None


def _byte_position(data: bytes, index: int) -> tuple[int, int]:
    """1-based (line, column) of byte `index`, by the text before it (decoded as best it can be)."""
    before = data[:index].decode("utf-8", errors="replace")
    return line_column(before, len(before))
