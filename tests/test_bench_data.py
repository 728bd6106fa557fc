"""The benchmark data set loads on every database (here at a small size)."""

from sqlalchemy import func, select

from bench.data import seed_large
from tracker.extensions import db
from tracker.models import Exchange, Task


def test_seed_large_fills_an_empty_database(ctx):
    seed_large(n_exchanges=20, n_tasks=200)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 200
    assert db.session.scalar(select(func.count()).select_from(Exchange)) == 20
