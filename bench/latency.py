"""Latency percentiles, computed one way for every report the bench writes."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `q` of them at or below it.

    Rounded to 0.1 ms; 0.0 for no values.
    """
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1], 1)


def latency_summary(values: Iterable[float]) -> dict[str, float]:
    """p50, p95 and p99 in milliseconds, as every bench report names them."""
    ordered = sorted(values)
    return {f"p{round(q * 100)}_ms": percentile(ordered, q) for q in (0.50, 0.95, 0.99)}
