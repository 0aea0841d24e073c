"""A change of log-probability in words (report/likelihood.py), as the lens and reports say it."""

from __future__ import annotations

import math

import pytest

from prompt_salience.report.likelihood import likelihood_change


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (-3.7608, "43x less likely"),  # the codelab's fix: -1.5 -> -5.3 nats
        (math.log(2.5), "2.5x more likely"),
        (-math.log(1234.4), "1,234x less likely"),
        (0.05, "about as likely"),
        (-0.099, "about as likely"),
        (float("-inf"), "incomparably less likely"),
    ],
)
def test_a_change_in_nats_in_words(delta: float, words: str) -> None:
    assert likelihood_change(delta) == words
