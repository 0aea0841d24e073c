"""Errors a user can cause and fix: each carries the problem and the fix, never a traceback."""

from __future__ import annotations


class PromptSalienceError(Exception):
    """A problem the user can fix. `problem` says what is wrong, `fix` how to mend it.

    `path`, `line` and `column` (1-based) locate the problem in a file when it has a place.
    """

    def __init__(
        self,
        problem: str,
        fix: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.path = path
        self.line = line
        self.column = column

    def location(self) -> str:
        """`path:line:column` as far as it is known ("" when nothing is)."""
        # A column means nothing without its line (e.g. a bad regex given as a flag).
        column = self.column if self.line is not None else None
        parts = [p for p in (self.path, self.line, column) if p is not None]
        return ":".join(str(p) for p in parts)

    def one_line(self) -> str:
        """The message shown to users: location, problem and fix on one line."""
        where = self.location()
        head = f"{where}: " if where else ""
        return f"{head}{self.problem} Fix: {self.fix}"

    def __str__(self) -> str:
        return self.one_line()


class PromptFileError(PromptSalienceError):
    """A `.prompt` or `.jsonl` file that cannot be read, parsed or rendered."""


class ModelError(PromptSalienceError):
    """A model that cannot be found, downloaded, converted or loaded."""


class InputTooLongError(PromptSalienceError):
    """A prompt (plus the tokens to generate) that does not fit the model or the configured limit."""


class SpanError(PromptSalienceError):
    """A span to explain that is empty or lies outside the target text."""


class Cancelled(Exception):
    """Raised between steps of model work when the caller asked to stop."""
