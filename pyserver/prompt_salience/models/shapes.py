"""Length buckets: every new array shape costs a JAX compilation (seconds on a CPU), so lengths
are rounded up to a few shapes, wasting at most one eighth of the work to padding."""

from __future__ import annotations

# Tokens of prompt + response allowed by default; longer needs an explicit --max-length.
DEFAULT_MAX_LENGTH = 2048


def bucket_length(n: int, minimum: int = 64) -> int:
    """Round n up: to `minimum`, then to a multiple of an eighth of the next power of two
    (64, 96, ..., 224, 256, 320, ..., 512, 640, ...)."""
    if n <= minimum:
        return minimum
    step = max(32, (1 << (n - 1).bit_length()) // 8)
    return -(-n // step) * step
