"""The results file of a batch run: one JSON object per line, appended and flushed as each
case finishes, so that a run killed at any moment loses at most the case in flight.

A line cut short by a kill (the last one, with no newline or no valid JSON) is dropped when the
file is opened again; a bad line anywhere else means the file is not ours, and is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from ..errors import PromptSalienceError


class ResultsFileError(PromptSalienceError):
    """A results file that cannot be read or continued."""


def read_results(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The complete records of `path` and the byte length they take (a torn tail excluded)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as error:
        raise ResultsFileError(f"Cannot read {path} ({error}).", "Check the path.") from error
    records: list[dict[str, Any]] = []
    good = 0
    position = 0
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        position += len(line)
        last = position == len(data)
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            record = None
        complete = line.endswith(b"\n") and isinstance(record, dict) and "case_id" in record
        if not complete:
            if last:
                break  # torn by a kill: dropped
            raise ResultsFileError(
                f"Line {number} of {path} is not a results record.",
                "Give --out a new file (or the results file of this template) to resume.",
            )
        assert isinstance(record, dict)
        records.append(record)
        good = position
    return records, good


class ResultsWriter:
    """Appends records to the results file, each flushed to disk before the next case."""

    def __init__(self, path: Path, *, resume: bool) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {}
        if resume:
            records, good = read_results(path)
            self.done = {str(r["case_id"]): r for r in records}
            if path.exists() and path.stat().st_size != good:
                with open(path, "r+b") as handle:  # drop the torn last line
                    handle.truncate(good)
        elif path.exists() and path.stat().st_size > 0:
            raise ResultsFileError(
                f"{path} exists already.",
                "Add --resume to continue it, or give --out a new file.",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.done[str(record["case_id"])] = record

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
