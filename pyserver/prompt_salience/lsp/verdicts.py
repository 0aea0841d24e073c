"""A case's last test run (`promptSalience.test`): what its diagnostic and its lens say."""

from __future__ import annotations

from dataclasses import dataclass

from ..report.layout import shorten


@dataclass(frozen=True)
class TestVerdict:
    """A case's last test run, for its diagnostic and its lens."""

    case: str
    line: int
    passed: bool
    reason: str
    span_text: str | None
    top_segments: tuple[str, ...]

    def message(self) -> str:
        text = f"Case `{self.case}` fails its expectations: {self.reason}."
        if self.span_text is not None and self.top_segments:
            drivers = "; ".join(f"{n}. {s}" for n, s in enumerate(self.top_segments, start=1))
            text += f"\nMost salient for “{shorten(self.span_text, 50)}”: {drivers}"
        return text + "\nFix: change the prompt, or the expectation if the answer is right."
