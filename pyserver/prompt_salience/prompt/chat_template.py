"""Gemma's chat template, for instruction-tuned presets (off for raw prompts, as in LIT)."""

from __future__ import annotations

from .source_map import Origin, SourceMap

USER_TURN = "<start_of_turn>user\n"
MODEL_TURN = "<end_of_turn>\n<start_of_turn>model\n"


def wrap_for_chat(text: str, source_map: SourceMap) -> tuple[str, SourceMap]:
    """The prompt inside one user turn, followed by the opening of the model's turn.

    The template's own characters map to no file position, so nothing is painted on them.
    """
    head, tail = len(USER_TURN), len(MODEL_TURN)
    offsets = (-1,) * head + source_map.file_offsets + (-1,) * tail
    origins = [Origin(0, head, "template")]
    origins += [
        Origin(o.start + head, o.end + head, o.kind, o.variable) for o in source_map.origins
    ]
    end = head + len(text)
    origins.append(Origin(end, end + tail, "template"))
    return USER_TURN + text + MODEL_TURN, SourceMap(offsets, tuple(origins))
