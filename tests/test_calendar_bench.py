"""The feed bench still runs (tiny sizes; the real figures come from bench/feed_bench.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("english")


def test_the_bench_runs_and_reports_every_figure():
    path = Path(__file__).resolve().parent.parent / "bench" / "feed_bench.py"
    spec = importlib.util.spec_from_file_location("feed_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.bench(n_tasks=30, n_exchanges=5, runs=1)
    assert result["items"] == 35
    for key in ("baseline", "cold", "restart", "unchanged", "304", "one_changed"):
        assert result[key] > 0
    assert result["peak_memory"] > 0
