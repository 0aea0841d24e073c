"""The editor's theme colours (`contributes.colors` in package.json) are the colour scale's buckets.

The language server sends `themeColour` ids in each result's legend; every id it can send must be
declared in the manifest, with the scale's own colour as its light and dark default.
"""

from __future__ import annotations

import json
from pathlib import Path

from prompt_salience.report.colour_scale import (
    DEFAULT_INTENSITY,
    ColourScale,
    theme_colour_defaults,
)

MANIFEST = Path(__file__).parent.parent / "package.json"


def _declared() -> dict[str, dict[str, str]]:
    colours = json.loads(MANIFEST.read_text(encoding="utf-8"))["contributes"]["colors"]
    return {c["id"]: c["defaults"] for c in colours}


def test_every_bucket_colour_is_declared_with_the_scales_default() -> None:
    declared = _declared()
    expected = theme_colour_defaults()
    assert len(expected) == 4 + 3 + 3
    for colour_id, rgba in expected.items():
        assert colour_id in declared, f"{colour_id} missing from package.json contributes.colors"
        assert declared[colour_id]["light"] == rgba, colour_id
        assert declared[colour_id]["dark"] == rgba, colour_id


def test_no_bucket_colour_is_declared_that_the_server_never_sends() -> None:
    buckets = {
        k
        for k in _declared()
        if k.rsplit(".", 1)[-1].rstrip("0123456789") in ("unsigned", "positive", "negative")
    }
    assert buckets == set(theme_colour_defaults())


def test_theme_colours_only_at_the_default_intensity() -> None:
    assert ColourScale(True, 2.0).theme_colour(-2) == "promptSalience.negative2"
    assert ColourScale(False, 2.0).theme_colour(4) == "promptSalience.unsigned4"
    assert ColourScale(False, 2.0).theme_colour(0) is None
    assert ColourScale(False, 2.0, intensity=DEFAULT_INTENSITY / 2).theme_colour(4) is None
