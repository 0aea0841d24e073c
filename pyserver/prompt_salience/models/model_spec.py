"""Model specs as users write them (LIT's `name:preset`, a bare preset, a folder). No keras here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import ModelError

EMBEDDED_ALIASES = ("gemma3_270m", "embedded")
DEFAULT_MODEL = "gemma3_270m"
PRODUCTION_MODEL = "gemma2_instruct_2b_en"
PRECISIONS = ("float32", "bfloat16")

_LABEL = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class ModelSpec:
    """Where a model comes from. `label` is what reports show."""

    label: str
    kind: Literal["embedded", "kaggle", "local"]
    preset: str

    @property
    def instruction_tuned(self) -> bool:
        """Whether the preset name says it was instruction-tuned (chat template applies)."""
        name = self.preset.rstrip("/").rsplit("/", 1)[-1].lower()
        return "instruct" in name or name.endswith("_it") or "-it" in name


def parse_model_spec(text: str) -> ModelSpec:
    """Parse `gemma3_270m`, `gemma2_instruct_2b_en`, `label:preset`, `kaggle://...` or a folder."""
    spec = text.strip()
    if not spec:
        raise ModelError(
            "The model spec is empty.",
            f"Name a keras-hub preset (e.g. {PRODUCTION_MODEL}), a preset folder, or "
            f"{DEFAULT_MODEL} for the embedded model.",
        )
    label = ""
    if not spec.startswith("kaggle://"):
        head, sep, tail = spec.partition(":")
        if sep and tail and _LABEL.match(head) and not Path(spec).exists():
            label, spec = head, tail
    if spec in EMBEDDED_ALIASES:
        return ModelSpec(label or "gemma3_270m", "embedded", "gemma3_270m")
    if spec.startswith("kaggle://"):
        return ModelSpec(label or spec.rstrip("/").rsplit("/", 1)[-1], "kaggle", spec)
    if spec.startswith(("/", ".", "~")) or "/" in spec or Path(spec).is_dir():
        path = Path(spec).expanduser()
        return ModelSpec(label or path.name, "local", str(path))
    return ModelSpec(label or spec, "kaggle", spec)
