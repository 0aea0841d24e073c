"""Text from prompts and model output, made safe to show inside Markdown.

A hover is rendered as Markdown by the editor, so a response that contains backticks, links,
emphasis or HTML would be interpreted. Such text is always shown as a code span, whose content
CommonMark renders literally (no links, no emphasis, no HTML).
"""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def code_span(text: str) -> str:
    """`text` as one Markdown code span that shows exactly its characters (line breaks as spaces).

    The fence is one backtick longer than the longest run inside, so no run closes it; a text
    that starts or ends with a backtick or space is padded with one space each side, which
    CommonMark strips again.
    """
    flat = _LINE_BREAKS.sub(" ", text)
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    if not flat.strip(" "):
        return f"{fence}{flat or ' '}{fence}"
    padded = f" {flat} " if flat[0] in "` " or flat[-1] in "` " else flat
    return f"{fence}{padded}{fence}"
