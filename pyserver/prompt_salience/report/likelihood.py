"""A change of log-probability in words, the same in the editor, the terminal and reports."""

from __future__ import annotations

import math

# Below this (nats), a change is noise for a reader: e^0.1 is about 10 %.
NEGLIGIBLE_NATS = 0.1


def likelihood_change(delta_logprob: float) -> str:
    """`43x less likely`, `2.5x more likely`, or `about as likely` for a change in nats."""
    if not math.isfinite(delta_logprob):
        return "incomparably " + ("less" if delta_logprob < 0 else "more") + " likely"
    if abs(delta_logprob) < NEGLIGIBLE_NATS:
        return "about as likely"
    factor = math.exp(abs(delta_logprob))
    amount = f"{factor:.1f}" if factor < 10 else f"{factor:,.0f}"
    return f"{amount}x {'less' if delta_logprob < 0 else 'more'} likely"
