"""The TRENDING order: heat and quality, decayed by age with a configurable half-life.

An article's trending score at time `now` is

    weight x 2^(-(now - published) / half_life),  weight = 1 + max(heat, 0) + max(quality, 0) / 2

Heat (popularity) counts fully and quality half; unknown values (null, or heat -1)
count as 0. Every article's score decays by the same factor as time passes, so the
*order* never changes with `now`: ranking by

    log2(weight) + published / half_life

is the same ranking at any moment. That key is stored (`articles.trending`) and
indexed, so a trending page is an index walk and its cursors stay valid over time.
A day's half-life means an article must be twice as hot to outrank one a day newer.
"""

from __future__ import annotations

import math

DEFAULT_HALF_LIFE_HOURS = 24.0
MICROSECONDS_PER_HOUR = 3_600_000_000


def weight(heat: int | None, quality: int | None) -> float:
    return 1.0 + max(heat or 0, 0) + max(quality or 0, 0) / 2


def trending_key(
    heat: int | None, quality: int | None, published_ts: int, half_life_hours: float
) -> float:
    """The stored ranking key; larger is more trending."""
    return math.log2(weight(heat, quality)) + published_ts / (
        half_life_hours * MICROSECONDS_PER_HOUR
    )


def trending_score(key: float, now_ts: int, half_life_hours: float) -> float:
    """The score at `now_ts` (microseconds since the epoch) of an article with `key`."""
    return float(2.0 ** (key - now_ts / (half_life_hours * MICROSECONDS_PER_HOUR)))
