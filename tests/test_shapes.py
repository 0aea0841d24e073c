"""Length buckets: few shapes, bounded padding (models/shapes.py)."""

from __future__ import annotations

from prompt_salience.models.shapes import bucket_length


def test_buckets_pad_at_most_31_tokens_to_512_then_under_an_eighth() -> None:
    for n in range(1, 8193):
        padded = bucket_length(n)
        assert padded >= n
        if n > 64:
            assert padded - n <= 31 if n <= 512 else (padded - n) / n < 1 / 8, n


def test_buckets_just_past_a_power_of_two() -> None:
    assert [bucket_length(n) for n in (64, 65, 97, 257, 513, 1024, 1025, 2049)] == [
        64,
        96,
        128,
        288,
        576,
        1024,
        1152,
        2304,
    ]


def test_buckets_are_few() -> None:
    shapes = {bucket_length(n) for n in range(1, 4097)}
    assert len(shapes) == 15 + 8 * 3  # 64..512 by 32; then 8 per octave to 4,096
