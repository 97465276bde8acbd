"""Every bench report computes its latency percentiles the same, nearest-rank, way."""

from __future__ import annotations

import pytest

from bench.latency import latency_summary, percentile


def test_nearest_rank_on_a_hundred_values() -> None:
    values = list(range(100, 0, -1))  # unsorted on purpose
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100


@pytest.mark.parametrize("q", [0.01, 0.5, 0.99])
def test_one_value_is_every_percentile(q: float) -> None:
    assert percentile([12.34], q) == 12.3


def test_no_values_report_zero() -> None:
    assert latency_summary([]) == {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}


def test_the_soak_and_the_load_test_agree() -> None:
    from bench.soak import SoakResult

    latencies = [float(n) for n in range(1, 21)]
    soak = SoakResult(1, 20, 1, latencies_ms=latencies).summary()
    assert {k: soak[k] for k in ("p50_ms", "p95_ms", "p99_ms")} == latency_summary(latencies)
    assert latency_summary(latencies) == {"p50_ms": 10.0, "p95_ms": 19.0, "p99_ms": 20.0}
