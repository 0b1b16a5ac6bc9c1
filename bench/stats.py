"""Order statistics over samples (seconds in, whatever unit the caller scales to)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``samples``; NaN when there are none."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(samples: Sequence[float]) -> float:
    """The median (nearest rank, so always one of the samples); NaN when empty."""
    return percentile(samples, 50)


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    """Median, p99 and max of durations in seconds, as milliseconds."""
    return {
        "n": len(samples),
        "median_ms": median(samples) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "max_ms": max(samples, default=math.nan) * 1000,
    }
