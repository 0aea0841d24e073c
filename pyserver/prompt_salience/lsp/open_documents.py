"""The documents the client has open: their text, parse, and explanations, version by version.

The server keeps its own copy of each text and applies incremental changes itself, so that it
knows exactly which code points every change replaced (to move or drop explanations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol.types import (
    TextDocumentContentChangeEvent,
    TextDocumentContentChangePartial,
)

from ..engine.case_run import PreparedPrompt
from ..errors import PromptSalienceError
from ..prompt.documents import is_dataset, parse_document
from ..prompt.parsed_prompt import PromptFile
from ..results import Comparison
from .baselines import Baseline
from .explanations import Explanation, TextEdit
from .positions import UTF16, PositionIndex
from .verdicts import TestVerdict

PROMPT_SUFFIXES = (".prompt", ".jsonl")
PROMPT_LANGUAGES = ("prompt", "prompt-salience", "jsonl")

# Renders a case the way its explanation was run (the chat template depends on the model).
Preparer = Callable[[PromptFile, Explanation], PreparedPrompt]


def uri_to_path(uri: str) -> str | None:
    """The file system path of a `file:` URI (None for other schemes, e.g. `untitled:`)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path)


def is_prompt_document(uri: str, language_id: str | None) -> bool:
    """Whether the server handles this document: `.prompt` and `.jsonl` files."""
    suffix = Path(urlparse(uri).path).suffix.lower()
    return suffix in PROMPT_SUFFIXES or (language_id or "") in PROMPT_LANGUAGES


@dataclass
class Parse:
    """The parse of one revision: a PromptFile, or the error that stopped the parse."""

    document: PromptFile | None
    error: PromptSalienceError | None


@dataclass
class OpenDocument:
    """One open document. `revision` counts changes (LSP versions may be missing or odd)."""

    uri: str
    text: str
    version: int
    language_id: str | None = None
    encoding: str = UTF16
    revision: int = 0
    explanations: dict[str, Explanation] = field(default_factory=dict)  # case -> finished run
    running: dict[str, Explanation] = field(default_factory=dict)  # case -> run in flight
    active_case: str | None = None  # the case last run or explained
    pinned: dict[str, Baseline] = field(default_factory=dict)  # case -> the user's baseline
    # case -> the last result an edit removed (the baseline when none is pinned)
    removed: dict[str, Baseline] = field(default_factory=dict)
    # case -> its last test run: kept for the text it ran on (any edit clears them all).
    verdicts: dict[str, TestVerdict] = field(default_factory=dict)
    # case -> its last comparison (a snapshot, for the HTML export)
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    _index: PositionIndex | None = None
    _parse: Parse | None = None
    _parse_revision: int = -1
    _moved: set[str] = field(default_factory=set)  # finished results moved since the last parse

    @property
    def path(self) -> str | None:
        return uri_to_path(self.uri)

    @property
    def name_for_parser(self) -> str:
        """The path the parser sees (decides `.jsonl` vs `.prompt`)."""
        path = self.path
        if path is not None:
            return path
        suffix = ".jsonl" if self.language_id == "jsonl" else ".prompt"
        return Path(urlparse(self.uri).path).name or f"untitled{suffix}"

    @property
    def is_dataset(self) -> bool:
        return is_dataset(self.name_for_parser)

    @property
    def index(self) -> PositionIndex:
        if self._index is None:
            self._index = PositionIndex(self.text, self.encoding)
        return self._index

    # -- edits ------------------------------------------------------------------------------
    def apply_changes(
        self, changes: Sequence[TextDocumentContentChangeEvent], version: int
    ) -> list[str]:
        """Apply the client's changes in order; returns the cases whose results were dropped."""
        dropped: list[str] = []
        for change in changes:
            old_length = len(self.text)
            if isinstance(change, TextDocumentContentChangePartial):
                start, end = self.index.offsets_of(change.range)
                edit = TextEdit(start, end, len(change.text))
                self.text = self.text[:start] + change.text + self.text[end:]
            else:
                edit = TextEdit(0, old_length, len(change.text))
                self.text = change.text
            self._index = None
            dropped += self._move_explanations(edit)
        self.version = version
        self.revision += 1
        self.verdicts.clear()  # they judged a text that is gone
        return dropped

    def _move_explanations(self, edit: TextEdit) -> list[str]:
        dropped = []
        for table in (self.explanations, self.running):
            for case, explanation in list(table.items()):
                if explanation.touched_by(edit):
                    self._drop(table, case)
                    if table is self.explanations:
                        dropped.append(case)
                else:
                    explanation.move(edit)
                    if table is self.explanations:
                        self._moved.add(case)
        return dropped

    def _drop(self, table: dict[str, Explanation], case: str) -> None:
        """Drop an explanation the text no longer supports; a finished one that was a fresh
        run becomes the case's baseline for re-scoring (a re-score keeps the one it forced)."""
        explanation = table.pop(case)
        explanation.drop()
        if table is self.explanations and explanation.rescored_from is None:
            baseline = Baseline.of(explanation)
            if baseline is not None:
                self.removed[case] = baseline

    def baseline(self, case: str) -> Baseline | None:
        """What a re-score of `case` forces: the pinned response, else the last one removed."""
        return self.pinned.get(case) or self.removed.get(case)

    # -- parsing ----------------------------------------------------------------------------
    def parse(self, prepare: Preparer) -> tuple[Parse, list[str], list[str]]:
        """This revision's parse (cached); the cases dropped because they now render a different
        prompt, and the cases whose results edits moved and that are still valid (both only on
        the first parse of a revision)."""
        if self._parse is not None and self._parse_revision == self.revision:
            return self._parse, [], []
        try:
            parsed = parse_document(self.text, self.name_for_parser)
            self._parse = Parse(parsed, None)
        except PromptSalienceError as error:
            self._parse = Parse(None, error)
        self._parse_revision = self.revision
        dropped = []
        if self._parse.document is not None:
            dropped = self._confirm_explanations(self._parse.document, prepare)
        moved = [case for case in self.explanations if case in self._moved]
        self._moved.clear()
        return self._parse, dropped, moved

    def _confirm_explanations(self, document: PromptFile, prepare: Preparer) -> list[str]:
        dropped = []
        for table in (self.explanations, self.running):
            for case, explanation in list(table.items()):
                try:
                    same = explanation.confirm(prepare(document, explanation))
                except PromptSalienceError:
                    same = False  # the case is gone or cannot be rendered
                if not same:
                    self._drop(table, case)
                    if table is self.explanations:
                        dropped.append(case)
        return dropped

    # -- explanations -------------------------------------------------------------------------
    def start_run(self, explanation: Explanation) -> None:
        """Track a run in flight; an older run of the same case is stopped."""
        older = self.running.pop(explanation.case, None)
        if older is not None:
            older.drop()
        self.running[explanation.case] = explanation

    def finish_run(self, explanation: Explanation) -> bool:
        """File a finished run as the case's result; False if it was dropped meanwhile."""
        if explanation.dropped or self.running.get(explanation.case) is not explanation:
            return False
        del self.running[explanation.case]
        previous = self.explanations.get(explanation.case)
        if previous is not None:
            previous.drop()
        self.explanations[explanation.case] = explanation
        self.active_case = explanation.case
        return True

    def abandon_run(self, explanation: Explanation) -> None:
        if self.running.get(explanation.case) is explanation:
            del self.running[explanation.case]

    def explanation(self, case: str | None) -> Explanation | None:
        """The finished explanation of `case` (None: the active case, else the first one)."""
        if case is not None:
            return self.explanations.get(case)
        if self.active_case in self.explanations:
            return self.explanations[self.active_case]
        return next(iter(self.explanations.values()), None)

    def ordered_explanations(self) -> Iterator[Explanation]:
        """Finished explanations, the active case first."""
        active = self.explanations.get(self.active_case or "")
        if active is not None:
            yield active
        yield from (e for e in self.explanations.values() if e is not active)

    def close(self) -> None:
        """Stop everything still running for this document."""
        for explanation in [*self.running.values(), *self.explanations.values()]:
            explanation.drop()
        self.running.clear()
        self.explanations.clear()
