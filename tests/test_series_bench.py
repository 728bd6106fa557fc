"""The series bench runs; a day's check of 100 series stays far under a second."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_keeping_100_series_ahead_is_quick():
    path = Path(__file__).resolve().parent.parent / "bench" / "series_bench.py"
    spec = importlib.util.spec_from_file_location("series_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.bench(n_series=100, runs=1)
    assert result["made_first"] > 100 * 4  # every series its coming meetings
    assert result["made_daily"] == 0
    assert result["made_later"] > 0
    assert result["daily"] < 1.0
    assert result["first"] > 0 and result["later"] > 0
