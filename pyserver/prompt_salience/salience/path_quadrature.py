"""Where integrated gradients evaluates its gradients along the path, and how it adds points.

The path integral from the baseline (alpha = 0) to the input (alpha = 1) is summed with the
trapezoid rule over points where both f and the per-token gradient . (input - baseline) are
known (one backward pass gives both). On a real Gemma, f along the straight path is far from
smooth: on the menu prompt it falls by 60 nats within 0.01 of alpha, and climbs back as fast
(docs/benchmarks/ig-completeness-cpu.txt), so a uniform grid misses whole cliffs. Each panel
between two neighbouring points knows its *panel gap*: what the rule gives across it, minus the
change in f that the two points measure. A point is added in the middle of the panels with the
largest gaps, a batch at a time, until the scores sum to within the bound of the change AND no
single panel misses more than the bound: the total alone can come within the bound by luck,
with large gaps of both signs cancelling (it did, on the menu prompt, after 8 points). Every
point computed is used: a new point splits its panel into two.

Plain NumPy: the method (methods/integrated_gradients.py) runs the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Narrower panels are not split: alpha is a float32 on the device, and a cliff this sharp is a
# discontinuity for any number of points we can afford.
MIN_WIDTH = 2.0**-20

# (alphas) -> (f at each alpha, per-token gradient . delta at each alpha: (len(alphas), T))
GradientPoints = Callable[[list[float]], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class PathPoint:
    """One point of the path: alpha, f there, and the per-token gradient . delta (`scores`)."""

    alpha: float
    value: float
    scores: np.ndarray


def panel_gap(left: PathPoint, right: PathPoint) -> float:
    """What the trapezoid rule misses of the change in f between two neighbouring points."""
    width = right.alpha - left.alpha
    rule = width * (float(np.sum(left.scores)) + float(np.sum(right.scores))) / 2
    return rule - (right.value - left.value)


def evenly_spaced(count: int, gradient_points: GradientPoints) -> list[PathPoint]:
    """`count` (>= 2) points from alpha = 0 to alpha = 1, evenly spaced."""
    alphas = np.linspace(0.0, 1.0, count).tolist()
    values, scores = gradient_points(alphas)
    return [PathPoint(a, float(values[i]), scores[i]) for i, a in enumerate(alphas)]


def integrate(points: list[PathPoint]) -> np.ndarray:
    """Per-token scores: the trapezoid rule over the points (sorted by alpha)."""
    total = np.zeros_like(points[0].scores, dtype=np.float64)
    for left, right in itertools.pairwise(points):
        total += (right.alpha - left.alpha) * (left.scores + right.scores) / 2
    return total


def change(points: list[PathPoint]) -> float:
    """f(input) - f(baseline)."""
    return points[-1].value - points[0].value


def relative_gap(points: list[PathPoint]) -> float:
    """|sum of the scores - (f(1) - f(0))| / |f(1) - f(0)|."""
    gap = float(np.sum(integrate(points))) - change(points)
    return abs(gap) / max(abs(change(points)), 1e-9)


def largest_panel_gap(points: list[PathPoint]) -> float:
    """The largest |panel gap|, relative to |f(1) - f(0)|."""
    gaps = [abs(panel_gap(a, b)) for a, b in itertools.pairwise(points)]
    return max(gaps) / max(abs(change(points)), 1e-9)


def worst_panels(points: list[PathPoint], count: int) -> list[int]:
    """Indices i (the panel from points[i] to points[i + 1]) of at most `count` panels with the
    largest |panel gap| (ties: the earlier), among those still wider than MIN_WIDTH."""
    gaps = np.asarray(
        [
            abs(panel_gap(a, b)) if b.alpha - a.alpha > MIN_WIDTH else -1.0
            for a, b in itertools.pairwise(points)
        ],
        np.float64,
    )
    order = np.argsort(-gaps, kind="stable")[:count]
    return sorted(int(i) for i in order if gaps[i] >= 0)


def refine_until_complete(
    points: list[PathPoint],
    *,
    bound: float,
    points_left: int,
    batch: int,
    gradient_points: GradientPoints,
) -> list[PathPoint]:
    """Add points in the middle of the panels with the largest gaps, up to `batch` per call of
    `gradient_points`, until both the relative gap and the largest panel gap are within `bound`,
    or `points_left` more points are spent. Returns all the points, sorted."""
    spent = 0
    while points_left - spent > 0 and (
        relative_gap(points) > bound or largest_panel_gap(points) > bound
    ):
        chosen = worst_panels(points, min(batch, points_left - spent))
        if not chosen:
            break  # every panel is already as narrow as alpha can resolve
        alphas = [(points[i].alpha + points[i + 1].alpha) / 2 for i in chosen]
        values, scores = gradient_points(alphas)
        new = [PathPoint(a, float(values[k]), scores[k]) for k, a in enumerate(alphas)]
        points = sorted(points + new, key=lambda point: point.alpha)
        spent += len(new)
    return points
