"""Workspace trust: what an untrusted workspace's files may not choose.

The client says whether the workspace is trusted (initialization option `trusted`, default true
for editors that do not say; then the `promptSalience/trust` notification when the user grants
trust). Untrusted, the front-matter values of `restricted` settings (the model: a path to read,
a preset to download) are ignored, so the user settings' model is used and no file that a
workspace file names is read; a warning on the front-matter line says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from lsprotocol.types import Diagnostic, DiagnosticSeverity

from ..prompt.parsed_prompt import PromptSettings
from ..settings import front_matter_settings
from .open_documents import OpenDocument, Parse

TRUST_OPTION = "trusted"
IGNORED_CODE = "untrusted-front-matter"


def read_trusted(raw: object, previous: bool = True) -> bool:
    """The `trusted` value of initialization options or of the trust notification's params
    (a mapping or pygls' attribute object); `previous` when it is absent or not a boolean."""
    value = raw.get(TRUST_OPTION) if isinstance(raw, Mapping) else getattr(raw, TRUST_OPTION, None)
    return value if isinstance(value, bool) else previous


def _restricted_names() -> tuple[str, ...]:
    return tuple(s.name for s in front_matter_settings() if s.restricted)


def trusted_front(front: PromptSettings, trusted: bool) -> PromptSettings:
    """The front-matter settings a run may use: all when trusted, else none of the restricted."""
    if trusted:
        return front
    cleared: dict[str, Any] = {name: None for name in _restricted_names()}
    return dataclasses.replace(front, **cleared)


def ignored_diagnostics(document: OpenDocument, parse: Parse) -> list[Diagnostic]:
    """A warning on each front-matter line whose restricted setting is ignored (untrusted)."""
    prompt_file = parse.document
    if prompt_file is None:
        return []
    found = []
    head = prompt_file.text[: prompt_file.body_offset]
    for name in _restricted_names():
        if getattr(prompt_file.settings, name) is None:
            continue
        match = re.search(rf"^{re.escape(name)}\s*:", head, re.MULTILINE)
        line = head.count("\n", 0, match.start()) if match is not None else 0
        found.append(
            Diagnostic(
                range=document.index.line_range(line),
                message=(
                    f"The workspace is not trusted, so this file's `{name}:` is ignored and the "
                    f"{name} from your user settings is used.\nFix: trust the workspace "
                    f"(Manage Workspace Trust) to use it."
                ),
                severity=DiagnosticSeverity.Warning,
                source="prompt-salience",
                code=IGNORED_CODE,
            )
        )
    return found
