"""Where integrated gradients evaluates its gradients along the path, and how it refines them.

The path integral from the baseline (alpha = 0) to the input (alpha = 1) is cut into intervals;
each contributes its width times the gradient at its midpoint (the midpoint rule). On a real
Gemma the objective along the straight path is far from smooth: it falls and recovers by tens
of nats within a thousandth of alpha (docs/benchmarks/ig-completeness-cpu.txt). A uniform grid
misses those cliffs, and the scores no longer sum to the change in log p. Every interval also
knows f at its two ends (forward passes, and the midpoints' values once an interval is split),
so its *local gap*, width * sum(gradient . delta) - (f(end) - f(start)), says where the rule
misses change; halving the intervals with the largest local gaps brings the total gap down
where it matters, at two gradient points per split.

Plain NumPy: the method (methods/integrated_gradients.py) runs the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Narrower intervals are not split: alpha is a float32 on the device, and a cliff this sharp is
# a discontinuity for any number of points we can afford.
MIN_WIDTH = 2.0**-20

# (alphas) -> (f at each alpha, per-token gradient . delta at each alpha: (len(alphas), T))
GradientPoints = Callable[[list[float]], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class PathInterval:
    """[start, end] of alpha, f at both ends, and f and per-token gradient . delta at its
    midpoint (`scores`, (T,) float64)."""

    start: float
    end: float
    f_start: float
    f_end: float
    f_mid: float
    scores: np.ndarray

    @property
    def width(self) -> float:
        return self.end - self.start

    @property
    def midpoint(self) -> float:
        return (self.start + self.end) / 2

    @property
    def local_gap(self) -> float:
        """What the midpoint rule misses of the change in f across this interval."""
        return self.width * float(np.sum(self.scores)) - (self.f_end - self.f_start)


def uniform_intervals(
    boundary_values: np.ndarray, gradient_points: GradientPoints
) -> list[PathInterval]:
    """Equal intervals between len(boundary_values) evenly spaced alphas, 0 to 1 (f given at
    each), with their midpoints' gradients."""
    count = len(boundary_values) - 1
    edges = np.linspace(0.0, 1.0, count + 1)
    mids = [(float(edges[i]) + float(edges[i + 1])) / 2 for i in range(count)]
    values, scores = gradient_points(mids)
    return [
        PathInterval(
            float(edges[i]),
            float(edges[i + 1]),
            float(boundary_values[i]),
            float(boundary_values[i + 1]),
            float(values[i]),
            scores[i],
        )
        for i in range(count)
    ]


def worst_intervals(intervals: list[PathInterval], count: int) -> list[int]:
    """Indices of at most `count` intervals with the largest |local gap| (ties: the earlier),
    among those still wider than MIN_WIDTH."""
    gaps = np.asarray(
        [abs(i.local_gap) if i.width > MIN_WIDTH else -1.0 for i in intervals], np.float64
    )
    order = np.argsort(-gaps, kind="stable")[:count]
    return sorted(int(i) for i in order if gaps[i] >= 0)


def split_intervals(
    intervals: list[PathInterval], chosen: list[int], gradient_points: GradientPoints
) -> list[PathInterval]:
    """`intervals` with each chosen one halved at its midpoint (whose f becomes the halves'
    shared end); one call of `gradient_points` for all the new midpoints."""
    halves: list[tuple[float, float, float, float]] = []
    for index in chosen:
        old = intervals[index]
        halves.append((old.start, old.midpoint, old.f_start, old.f_mid))
        halves.append((old.midpoint, old.end, old.f_mid, old.f_end))
    values, scores = gradient_points([(a + b) / 2 for a, b, _, _ in halves])
    new = [
        PathInterval(a, b, fa, fb, float(values[k]), scores[k])
        for k, (a, b, fa, fb) in enumerate(halves)
    ]
    dropped = set(chosen)
    kept = [interval for i, interval in enumerate(intervals) if i not in dropped]
    return sorted(kept + new, key=lambda interval: interval.start)


def integrate(intervals: list[PathInterval]) -> np.ndarray:
    """Per-token scores: the sum over intervals of width * (gradient . delta) at the midpoint."""
    total: np.ndarray = np.sum([i.width * i.scores for i in intervals], axis=0)
    return total


def relative_gap(intervals: list[PathInterval], difference: float) -> float:
    """|sum of the scores - difference| / |difference| (difference: f(1) - f(0))."""
    gap = float(np.sum(integrate(intervals))) - difference
    return abs(gap) / max(abs(difference), 1e-9)


def refine_until_complete(
    intervals: list[PathInterval],
    difference: float,
    *,
    bound: float,
    points_left: int,
    batch: int,
    gradient_points: GradientPoints,
) -> tuple[list[PathInterval], int]:
    """Halve the intervals with the largest local gaps, batch // 2 of them per call of
    `gradient_points` (one batch of new midpoints), until the relative gap is within `bound` or
    `points_left` gradient points are spent. Returns the intervals and the points spent."""
    spent = 0
    while relative_gap(intervals, difference) > bound and points_left - spent >= 2:
        chosen = worst_intervals(intervals, min(batch // 2, (points_left - spent) // 2))
        if not chosen:
            break  # every interval is already as narrow as alpha can resolve
        intervals = split_intervals(intervals, chosen, gradient_points)
        spent += 2 * len(chosen)
    return intervals, spent
