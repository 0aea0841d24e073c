"""Length buckets: every new array shape costs a JAX compilation (seconds on a CPU), so lengths
are rounded up to a few shapes. Padding is at most 31 tokens up to 512 tokens, and under one
eighth of the length above, where a pass takes seconds (docs/benchmarks.md: what padding costs)."""

from __future__ import annotations

# Tokens of prompt + response allowed by default; longer needs an explicit --max-length.
DEFAULT_MAX_LENGTH = 2048


def bucket_length(n: int, minimum: int = 64) -> int:
    """Round n up: to `minimum`, then to a multiple of 32 up to 512 (96, 128, ..., 512), then to
    a multiple of a sixteenth of the next power of two (576, 640, ..., 1024, 1152, ...).

    A sixteenth, not an eighth: just past a power of two (1,025 = 1,024 text tokens and BOS),
    an eighth of the next one rounded 1,025 up to 1,280, a quarter of padding.
    """
    if n <= minimum:
        return minimum
    step = max(32, (1 << (n - 1).bit_length()) // 16)
    return -(-n // step) * step
