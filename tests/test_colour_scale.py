"""ColourScale: buckets, colours, legend and contrast, checked as properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompt_salience.report.colour_scale import (
    BLACK,
    WHITE,
    ColourScale,
    contrast_ratio,
    parse_hex,
    text_colour_for,
)
from prompt_salience.results import CharSpan, SalienceResult, ScoredSegment

DARK_THEME_BG = "#1e1e1e"
DARK_THEME_FG = "#d4d4d4"

scales = st.floats(min_value=1e-3, max_value=1e6)
scores = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)
steps = st.none() | st.integers(min_value=1, max_value=50)
intensities = st.floats(min_value=0.0, max_value=1.0)
hex_colours = st.tuples(*[st.integers(0, 255)] * 3).map(
    lambda rgb: "#{:02x}{:02x}{:02x}".format(*rgb)
)


@given(st.booleans(), scales, scores, scores, steps)
def test_bucket_grows_with_magnitude(
    signed: bool, scale: float, a: float, b: float, n: int | None
) -> None:
    colours = ColourScale(signed, scale, steps=n)
    small, large = sorted((a, b), key=abs)
    assert abs(colours.bucket(small)) <= abs(colours.bucket(large))
    assert colours.bucket(a) in colours.buckets


@given(scales, scores, steps)
def test_signed_buckets_are_symmetric_and_keep_the_sign(
    scale: float, score: float, n: int | None
) -> None:
    colours = ColourScale(True, scale, steps=n)
    assert colours.bucket(-score) == -colours.bucket(score)
    assert colours.bucket(score) * score >= 0


@given(scales, scores, steps)
def test_unsigned_buckets_are_never_negative(scale: float, score: float, n: int | None) -> None:
    assert ColourScale(False, scale, steps=n).bucket(score) >= 0


@given(st.booleans(), scales, steps, intensities)
def test_zero_gets_no_colour(signed: bool, scale: float, n: int | None, intensity: float) -> None:
    colours = ColourScale(signed, scale, intensity, n)
    assert colours.bucket(0.0) == 0
    assert colours.colour(0.0) is None
    assert colours.bucket_rgba(0) is None
    assert colours.bucket(math.nan) == 0


@given(st.booleans(), st.lists(scores, min_size=1, max_size=20), steps)
def test_largest_segment_of_a_result_hits_the_last_bucket(
    signed: bool, values: list[float], n: int | None
) -> None:
    if not signed:
        values = [abs(v) for v in values]
    segments = tuple(ScoredSegment(i, i + 1, "x", v) for i, v in enumerate(values))
    result = SalienceResult(
        model="m",
        method="grad_x_input" if signed else "grad_l2",
        granularity="words",
        signed=signed,
        prompt="x" * len(values),
        response="",
        response_is_generated=True,
        span=CharSpan(len(values), len(values)),
        segments=segments,
        token_spans=(),
        token_scores=(),
    )
    colours = ColourScale.for_result(result, steps=n)
    largest = max(values, key=abs)
    if abs(largest) >= 1e-3:  # below the floor everything is (close to) no colour
        assert abs(colours.bucket(largest)) == colours.steps
    assert all(abs(colours.bucket(v)) <= colours.steps for v in values)


@given(st.booleans(), scales, scores, steps)
def test_legend_ranges_hold_the_scores_of_their_bucket(
    signed: bool, scale: float, score: float, n: int | None
) -> None:
    colours = ColourScale(signed, scale, steps=n)
    score = score if signed else abs(score)
    score = max(-scale, min(scale, score))  # scores beyond the scale are clamped to the end bucket
    bucket = colours.bucket(score)
    step = next(s for s in colours.legend() if s.bucket == bucket)
    tolerance = 1e-9 * scale
    assert step.low - tolerance <= score <= step.high + tolerance


@given(st.booleans(), scales, steps)
def test_intensity_zero_draws_nothing(signed: bool, scale: float, n: int | None) -> None:
    colours = ColourScale(signed, scale, intensity=0.0, steps=n)
    assert all(colours.bucket_colour(b) is None for b in colours.buckets)
    assert all(colours.bucket_rgba(b) is None for b in colours.buckets)
    assert colours.colour(scale) is None


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("background", [WHITE, DARK_THEME_BG])
def test_colour_strengthens_with_bucket_and_intensity(signed: bool, background: str) -> None:
    def strength(colour: str | None) -> float:
        return contrast_ratio(colour or background, background)

    colours = ColourScale(signed, 1.0)
    levels = [b for b in colours.buckets if b >= 0]
    strengths = [strength(colours.bucket_colour(b, background)) for b in levels]
    assert strengths == sorted(strengths)
    assert len(set(strengths)) == len(strengths)
    top = colours.steps
    stronger = ColourScale(signed, 1.0, intensity=0.8)
    assert strength(stronger.bucket_colour(top, background)) > strengths[-1]


@pytest.mark.parametrize("signed", [False, True])
def test_default_intensity_is_visible_and_keeps_text_readable(signed: bool) -> None:
    colours = ColourScale(signed, 1.0)
    for bucket in (colours.steps, -colours.steps if signed else colours.steps):
        on_white = colours.bucket_colour(bucket, WHITE)
        on_dark = colours.bucket_colour(bucket, DARK_THEME_BG)
        assert on_white is not None
        assert on_dark is not None
        # Clearly tinted against the page ...
        assert contrast_ratio(on_white, WHITE) >= 1.4
        assert contrast_ratio(on_dark, DARK_THEME_BG) >= 1.4
        # ... yet the theme's own text colour still meets WCAG AA on it.
        assert contrast_ratio(BLACK, on_white) >= 4.5
        assert contrast_ratio(DARK_THEME_FG, on_dark) >= 4.5


@pytest.mark.parametrize("signed", [False, True])
def test_full_intensity_top_bucket_is_the_pure_hue(signed: bool) -> None:
    colours = ColourScale(signed, 2.0, intensity=1.0)
    assert colours.colour(2.0) == colours.hue(colours.steps)
    assert colours.bucket_rgba(colours.steps) == colours.hue(colours.steps) + "ff"
    if signed:
        assert colours.colour(-2.0) == colours.hue(-colours.steps)
        assert colours.hue(1) != colours.hue(-1)


def test_rgba_alpha_follows_intensity_times_level() -> None:
    colours = ColourScale(True, 1.0, intensity=0.5, steps=4)
    rgba = colours.bucket_rgba(-2)
    assert rgba is not None
    assert rgba[:7] == colours.hue(-2)
    assert int(rgba[7:], 16) == round(0.5 * 2 / 4 * 255)


@pytest.mark.parametrize(("signed", "count"), [(False, 5), (True, 7)])
def test_legend_has_five_or_seven_steps(signed: bool, count: int) -> None:
    legend = ColourScale(signed, 0.7).legend()
    assert len(legend) == count
    assert [s.bucket for s in legend] == sorted(s.bucket for s in legend)
    assert len({s.label for s in legend}) == count
    zero = next(s for s in legend if s.bucket == 0)
    assert zero.colour is None
    assert all(s.colour is not None for s in legend if s.bucket != 0)
    assert all(s.low <= s.high for s in legend)
    assert legend[-1].high == pytest.approx(0.7)


def test_signed_legend_and_caption_say_what_the_sign_means() -> None:
    colours = ColourScale(True, 1.0)
    assert all("towards" in s.label for s in colours.legend() if s.bucket > 0)
    assert all("away" in s.label for s in colours.legend() if s.bucket < 0)
    assert "towards" in colours.caption()
    assert "away" in colours.caption()


def test_tiny_scale_uses_the_floor() -> None:
    colours = ColourScale(False, 0.0)
    assert colours.scale == pytest.approx(1e-3)
    assert colours.bucket(1e-6) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"intensity": 1.5},
        {"intensity": -0.1},
        {"intensity": math.nan},
        {"steps": 0},
        {"steps": 51},
        {"scale": math.inf},
        {"scale": -1.0},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, float]) -> None:
    arguments: dict[str, float] = {"scale": 1.0, **kwargs}
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ColourScale(True, **arguments)  # type: ignore[arg-type]


def test_buckets_outside_the_map_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        ColourScale(False, 1.0).bucket_colour(-1)


@given(hex_colours)
def test_text_colour_is_the_more_readable_of_black_and_white(background: str) -> None:
    chosen = text_colour_for(background)
    other = WHITE if chosen == BLACK else BLACK
    assert contrast_ratio(chosen, background) >= contrast_ratio(other, background)
    # Black or white always reaches at least 4.58:1 on some opaque colour.
    assert contrast_ratio(chosen, background) >= 4.5


def test_text_colour_on_extremes() -> None:
    assert text_colour_for("#ffffff") == BLACK
    assert text_colour_for("#000") == WHITE


@pytest.mark.parametrize("bad", ["red", "#12345", "#gggggg", "", "#1234567"])
def test_bad_hex_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="colour"):
        parse_hex(bad)


def test_the_difference_map_has_its_own_words_and_the_signed_buckets() -> None:
    from prompt_salience.report.colour_scale import DifferenceScale

    scale = DifferenceScale(0.2)
    assert scale.bucket(0.2) == 3
    assert scale.bucket(-0.07) == -2
    assert scale.bucket(0.001) == 0
    assert "before your edits" in scale.caption()
    labels = [step.label for step in scale.legend()]
    assert labels[0].startswith("less influence than before")
    assert labels[-1].startswith("more influence than before")
    assert scale.theme_colour(3) == "promptSalience.positive3"
