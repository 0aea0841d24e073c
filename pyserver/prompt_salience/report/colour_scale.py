"""Map salience scores to a few colour buckets, the same way in every view.

Rule (the one place it lives: the language server sends each segment's bucket and the legend,
and the VS Code extension draws them):

* `n` levels per sign (default 4 unsigned, 3 signed: a legend of 5 / 7 steps with 0).
* `f = |score| / scale`. Bucket 0 ("no colour") when `f < ZERO_FRACTION` (or the score is NaN);
  otherwise `ceil(f * n)` clamped to 1..n, negated for negative scores of a signed method.
  Every score that is not negligible gets some colour; the largest one gets level n.
* A bucket's colour is its hue laid over the background with opacity
  `alpha = intensity * |bucket| / n`: the hue is violet for unsigned methods, orange for
  positive (pushed the model towards the span) and blue for negative (pushed it away).
  Orange/blue stays distinct for colour-blind readers.
* Intensity 0.4 (LIT's default) therefore tops out at 40 % opacity: clearly tinted, yet dark
  text on white and light text on a dark theme both keep a contrast ratio above 4.5 (WCAG AA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from prompt_salience.results import SCALE_FLOOR, SalienceResult

DEFAULT_INTENSITY = 0.4
UNSIGNED_STEPS = 4
SIGNED_STEPS = 3
# More levels than this cannot be told apart, and each costs the editor a decoration type.
MAX_STEPS = 50
# Below 1 % of the scale a tint would be invisible; drawing none saves editor decorations.
ZERO_FRACTION = 0.01
# Slack for ceil(): a score exactly on a bucket edge (say 0.5 of the scale) stays in the lower one.
_EDGE_SLACK = 1e-9

UNSIGNED_HUE = "#7c3aed"
POSITIVE_HUE = "#ea580c"
NEGATIVE_HUE = "#2563eb"
WHITE = "#ffffff"
THEME_COLOUR_PREFIX = "promptSalience."
BLACK = "#000000"

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class LegendStep:
    """One legend entry: the scores in [low, high] are drawn in `colour` (None: no colour)."""

    label: str
    colour: str | None
    low: float
    high: float
    bucket: int


class ColourScale:
    """Buckets and colours for the scores of one result (see the module docstring for the rule)."""

    def __init__(
        self,
        signed: bool,
        scale: float,
        intensity: float = DEFAULT_INTENSITY,
        steps: int | None = None,
    ) -> None:
        if not math.isfinite(scale) or scale < 0:
            raise ValueError(f"colour scale must be a finite number >= 0, got {scale!r}")
        check_intensity(intensity)
        if steps is not None and not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"steps must lie in 1..{MAX_STEPS}, got {steps!r}")
        self.signed = signed
        self.scale = max(scale, SCALE_FLOOR)
        self.intensity = intensity
        self.steps = steps if steps is not None else (SIGNED_STEPS if signed else UNSIGNED_STEPS)

    @classmethod
    def for_result(
        cls, result: SalienceResult, intensity: float = DEFAULT_INTENSITY, steps: int | None = None
    ) -> ColourScale:
        """The scale for `result`: its method's sign, its largest |segment score|."""
        return cls(result.signed, result.scale(), intensity, steps)

    def __repr__(self) -> str:
        return (
            f"ColourScale(signed={self.signed}, scale={self.scale!r}, "
            f"intensity={self.intensity!r}, steps={self.steps})"
        )

    @property
    def buckets(self) -> range:
        """Every bucket, lowest first: 0..n unsigned, -n..n signed."""
        return range(-self.steps if self.signed else 0, self.steps + 1)

    def bucket(self, score: float) -> int:
        """The bucket of `score`; 0 means no colour."""
        if math.isnan(score):
            return 0
        fraction = abs(score) / self.scale
        if fraction < ZERO_FRACTION:
            return 0
        level = min(self.steps, max(1, math.ceil(fraction * self.steps - _EDGE_SLACK)))
        return -level if self.signed and score < 0 else level

    def hue(self, bucket: int) -> str:
        """The full-strength colour of `bucket`'s side of the map."""
        if not self.signed:
            return UNSIGNED_HUE
        return NEGATIVE_HUE if bucket < 0 else POSITIVE_HUE

    def level(self, bucket: int) -> float:
        """How far along the map `bucket` is: |bucket| / n, 0..1."""
        self._check_bucket(bucket)
        return abs(bucket) / self.steps

    def alpha(self, bucket: int) -> float:
        """Opacity of the hue for `bucket`: intensity * |bucket| / n."""
        return self.intensity * self.level(bucket)

    def bucket_rgba(self, bucket: int) -> str | None:
        """`#rrggbbaa` to lay over any background (VS Code, HTML); None for no colour."""
        alpha = self.alpha(bucket)
        if alpha <= 0:
            return None
        return f"{self.hue(bucket)}{round(alpha * 255):02x}"

    def theme_colour(self, bucket: int) -> str | None:
        """The editor's theme colour id for `bucket` (`promptSalience.unsigned3`, ...) when this
        scale has the default intensity, so that a user's theme overrides apply; else None (the
        colour is `bucket_rgba`). None for bucket 0."""
        if bucket == 0 or abs(self.intensity - DEFAULT_INTENSITY) > 1e-9:
            return None
        self._check_bucket(bucket)
        return f"{THEME_COLOUR_PREFIX}{theme_colour_name(self.signed, bucket)}"

    def bucket_colour(self, bucket: int, background: str = WHITE) -> str | None:
        """Opaque `#rrggbb` of `bucket` over `background` (terminals); None for no colour."""
        alpha = self.alpha(bucket)
        if alpha <= 0:
            return None
        return blend(self.hue(bucket), background, alpha)

    def colour(self, score: float, background: str = WHITE) -> str | None:
        """Opaque colour for `score` over `background`; None for no colour."""
        return self.bucket_colour(self.bucket(score), background)

    def bucket_range(self, bucket: int) -> tuple[float, float]:
        """The scores (low, high) that fall in `bucket` (bounds shared with neighbours)."""
        self._check_bucket(bucket)
        if bucket == 0:
            edge = ZERO_FRACTION * self.scale
            return (-edge if self.signed else 0.0, edge)
        step = self.scale / self.steps
        magnitude = abs(bucket)
        low = max((magnitude - 1) * step, ZERO_FRACTION * self.scale)
        high = magnitude * step
        return (low, high) if bucket > 0 else (-high, -low)

    def legend(self) -> list[LegendStep]:
        """One step per bucket, lowest first: 5 steps unsigned, 7 signed by default."""
        return [
            LegendStep(
                label=self._label(bucket),
                colour=self.bucket_colour(bucket),
                low=self.bucket_range(bucket)[0],
                high=self.bucket_range(bucket)[1],
                bucket=bucket,
            )
            for bucket in self.buckets
        ]

    def caption(self) -> str:
        """One sentence saying what the colours mean."""
        if self.signed:
            return (
                "Orange: pushed the model towards writing the explained span. "
                "Blue: pushed it away. Stronger colour = stronger push."
            )
        return (
            "Violet: influenced the explained span (this method does not tell the direction). "
            "Stronger colour = more influence."
        )

    def _label(self, bucket: int) -> str:
        if bucket == 0:
            return "about 0: no influence"
        percent = round(100 * self.level(bucket))
        if not self.signed:
            return f"influence up to {percent}% of the largest"
        direction = "towards the span" if bucket > 0 else "away from the span"
        return f"pushed {direction}, up to {percent}% of the largest"

    def _check_bucket(self, bucket: int) -> None:
        if bucket not in self.buckets:
            raise ValueError(f"bucket {bucket} is outside {self.buckets.start}..{self.steps}")


class DifferenceScale(ColourScale):
    """The diverging map of a comparison: each shared segment's change of share of salience
    (after minus before), orange for more influence than before, blue for less. The same hues
    and buckets as a signed method, with its own caption and labels."""

    def __init__(self, scale: float, intensity: float = DEFAULT_INTENSITY) -> None:
        super().__init__(True, scale, intensity)

    def caption(self) -> str:
        return (
            "Orange: more of the influence on the answer than before your edits. "
            "Blue: less. Stronger colour = bigger change."
        )

    def _label(self, bucket: int) -> str:
        if bucket == 0:
            return "about the same share as before"
        percent = round(100 * self.level(bucket))
        direction = "more" if bucket > 0 else "less"
        return f"{direction} influence than before, up to {percent}% of the largest change"


def theme_colour_name(signed: bool, bucket: int) -> str:
    """`unsigned3`, `positive2`, `negative1`: the bucket's name among the theme colours."""
    side = "unsigned" if not signed else ("negative" if bucket < 0 else "positive")
    return f"{side}{abs(bucket)}"


def theme_colour_defaults() -> dict[str, str]:
    """Every theme colour the editor declares (`contributes.colors`), with its default value:
    the bucket colours at the default intensity, for the default number of steps."""
    colours: dict[str, str] = {}
    for scale in (ColourScale(False, 1.0), ColourScale(True, 1.0)):
        for bucket in scale.buckets:
            rgba = scale.bucket_rgba(bucket)
            if rgba is not None:
                colours[f"{THEME_COLOUR_PREFIX}{theme_colour_name(scale.signed, bucket)}"] = rgba
    return colours


def check_intensity(intensity: float) -> None:
    """Raise ValueError unless 0 <= intensity <= 1."""
    if not 0.0 <= intensity <= 1.0:  # also rejects NaN
        raise ValueError(f"intensity must lie in 0..1, got {intensity!r}")


def parse_hex(colour: str) -> RGB:
    """`#rrggbb` (or `#rgb`) as an (r, g, b) tuple of 0..255."""
    digits = colour.removeprefix("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError(f"not an #rrggbb colour: {colour!r}")
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def blend(colour: str, background: str, alpha: float) -> str:
    """`colour` laid over `background` with opacity `alpha` (0..1), as `#rrggbb`."""
    top, bottom = parse_hex(colour), parse_hex(background)
    r, g, b = (round(lo + alpha * (hi - lo)) for hi, lo in zip(top, bottom, strict=True))
    return to_hex((r, g, b))


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour, 0 (black) .. 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in parse_hex(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two colours, 1..21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_for(background: str) -> str:
    """Black or white, whichever reads better on `background` (`#rrggbb`)."""
    if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background):
        return BLACK
    return WHITE
