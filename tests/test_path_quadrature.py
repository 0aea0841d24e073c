"""Integrated gradients' refinement (salience/path_quadrature.py) on a path with known answers:
two "tokens" whose parts of f have cliffs as sharp as the real model's (tens of nats within a
hundredth of alpha), where evenly spaced points are far off."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from prompt_salience.salience.path_quadrature import (
    MIN_WIDTH,
    PathPoint,
    evenly_spaced,
    integrate,
    largest_panel_gap,
    refine_until_complete,
    relative_gap,
    worst_panels,
)

# f(alpha) = sum over tokens of h_k(alpha); token k's score is the integral of h_k'.
CLIFFS = [(-60.0, 0.4871, 0.002), (80.0, 0.8012, 0.003)]  # (height, where, width)


def _parts(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([h * np.tanh((alpha - c) / w) / 2 for h, c, w in CLIFFS])
    slopes = np.array([h / (2 * w * np.cosh((alpha - c) / w) ** 2) for h, c, w in CLIFFS])
    return values, slopes


def _gradient_points(alphas: list[float]) -> tuple[np.ndarray, np.ndarray]:
    assert len(alphas) <= 8  # one batch per call
    found = [_parts(a) for a in alphas]
    return np.array([float(np.sum(v)) for v, _ in found]), np.array([s for _, s in found])


def test_evenly_spaced_points_miss_the_cliffs() -> None:
    points = evenly_spaced(8, _gradient_points)
    assert [p.alpha for p in points] == pytest.approx(np.linspace(0, 1, 8))
    assert relative_gap(points) > 0.5


def test_refinement_reaches_the_bound_and_each_token_its_own_change() -> None:
    start = evenly_spaced(8, _gradient_points)
    refined = refine_until_complete(
        start, bound=0.05, points_left=200, batch=8, gradient_points=_gradient_points
    )
    assert relative_gap(refined) <= 0.05
    assert largest_panel_gap(refined) <= 0.05  # no panel left far off, cancelling another
    assert len(refined) - len(start) <= 200
    alphas = [p.alpha for p in refined]
    assert alphas[0] == 0.0
    assert alphas[-1] == 1.0
    assert all(a < b for a, b in itertools.pairwise(alphas))
    exact = _parts(1.0)[0] - _parts(0.0)[0]
    assert integrate(refined) == pytest.approx(exact, rel=0.05)


def test_refinement_stops_at_the_cap_and_at_the_narrowest_panel() -> None:
    start = evenly_spaced(8, _gradient_points)
    capped = refine_until_complete(
        start, bound=0.0, points_left=5, batch=8, gradient_points=_gradient_points
    )
    assert len(capped) == 13
    # A panel as narrow as alpha can resolve is never chosen, however large its gap.
    left = PathPoint(0.5, 0.0, np.zeros(2))
    right = PathPoint(0.5 + MIN_WIDTH, 50.0, np.zeros(2))
    assert worst_panels([left, right], 4) == []
    assert worst_panels([*start[:4], left, right], 1) != [4]  # alphas 0 .. 3/7, then 0.5
