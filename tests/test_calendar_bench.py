"""The feed bench still runs (tiny sizes; the real figures come from bench/feed_bench.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("english")

FETCHES = ("baseline", "after_warm", "after_import", "after_restore", "unchanged", "304",
           "one_changed", "one_write")


def _bench_module():
    path = Path(__file__).resolve().parent.parent / "bench" / "feed_bench.py"
    spec = importlib.util.spec_from_file_location("feed_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_bench_runs_and_reports_every_figure():
    bench = _bench_module()
    result = bench.bench(n_tasks=30, n_exchanges=5, runs=1)
    assert result["items"] == 35
    for key in FETCHES + ("warm", "import", "import_warm", "restore", "restore_warm"):
        assert result[key] > 0, key
    # Built by the warm command and by the import's warm; a restore brings them along.
    assert result["warm_built"] == result["import_built"] == 35
    assert result["restore_built"] == 0
    assert result["peak_memory"] > 0
    text = bench.table([result])
    assert text.count("\n| 30 |") == 2 and "calendar warm" in text
