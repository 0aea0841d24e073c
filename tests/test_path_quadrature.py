"""Integrated gradients' refinement (salience/path_quadrature.py) on a path with known answers:
two "tokens" whose parts of f have cliffs as sharp as the real model's (tens of nats within a
thousandth of alpha), where the uniform midpoint rule is far off."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from prompt_salience.salience.path_quadrature import (
    MIN_WIDTH,
    PathInterval,
    integrate,
    refine_until_complete,
    relative_gap,
    uniform_intervals,
    worst_intervals,
)

# f(alpha) = sum over tokens of h_k(alpha); token k's score is the integral of h_k'.
CLIFFS = [(-60.0, 0.4871, 0.002), (80.0, 0.8012, 0.003)]  # (height, where, width)


def _parts(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([h * np.tanh((alpha - c) / w) / 2 for h, c, w in CLIFFS])
    slopes = np.array([h / (2 * w * np.cosh((alpha - c) / w) ** 2) for h, c, w in CLIFFS])
    return values, slopes


def _f(alpha: float) -> float:
    return float(np.sum(_parts(alpha)[0]))


def _gradient_points(alphas: list[float]) -> tuple[np.ndarray, np.ndarray]:
    assert len(alphas) <= 8  # one batch per call
    found = [_parts(a) for a in alphas]
    return np.array([float(np.sum(v)) for v, _ in found]), np.array([s for _, s in found])


def _start(count: int) -> tuple[list[PathInterval], float]:
    boundaries = np.array([_f(a) for a in np.linspace(0, 1, count + 1)])
    return uniform_intervals(boundaries, _gradient_points), _f(1.0) - _f(0.0)


def test_the_uniform_rule_misses_the_cliffs() -> None:
    intervals, difference = _start(8)
    assert relative_gap(intervals, difference) > 0.5


def test_refinement_reaches_the_bound_and_each_token_its_own_change() -> None:
    intervals, difference = _start(8)
    refined, spent = refine_until_complete(
        intervals,
        difference,
        bound=0.05,
        points_left=120,
        batch=8,
        gradient_points=_gradient_points,
    )
    assert relative_gap(refined, difference) <= 0.05
    assert spent <= 120
    assert spent % 2 == 0  # two new midpoints per halved interval
    # The intervals still tile [0, 1], and each token's score is close to its own change.
    edges = [(i.start, i.end) for i in refined]
    assert edges[0][0] == 0.0
    assert edges[-1][1] == 1.0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))
    exact = _parts(1.0)[0] - _parts(0.0)[0]
    assert integrate(refined) == pytest.approx(exact, rel=0.1)


def test_refinement_stops_at_the_cap_and_at_the_narrowest_interval() -> None:
    intervals, difference = _start(8)
    _, spent = refine_until_complete(
        intervals, difference, bound=0.0, points_left=5, batch=8, gradient_points=_gradient_points
    )
    assert spent == 4  # a split costs two points; a fifth is never spent alone
    # An interval as narrow as alpha can resolve is never chosen, however large its gap.
    narrow = PathInterval(0.5, 0.5 + MIN_WIDTH, 0.0, 50.0, 25.0, np.zeros(2))
    assert worst_intervals([narrow], 4) == []
    assert worst_intervals([*intervals, narrow], 1) != [len(intervals)]
