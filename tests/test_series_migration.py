"""Migration 0008: exchanges with a rule become series, each the first meeting of its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from tracker import create_app
from tracker.extensions import db

SCHEMA = "series_migration"


def _url(database_url: str, tmp_path) -> str:
    """A database of its own at 0007: a file for SQLite, a schema for PostgreSQL."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'at0007.sqlite3'}"
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    joiner = "&" if "?" in database_url else "?"
    return f"{database_url}{joiner}options=-csearch_path%3D{SCHEMA}"


def _exchange(conn, **values) -> int:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    sqlite = conn.dialect.name == "sqlite"

    def stored(value):
        return value.replace(tzinfo=None) if sqlite and isinstance(value, datetime) else value

    row = {"created_at": now, "updated_at": now, "version": 1, "kind": "werkstatt",
           "status": "planned", "all_day": False, "location": "Rathaus", "description": "",
           **values}
    row = {k: stored(v) for k, v in row.items()}
    columns = ", ".join(row)
    names = ", ".join(f":{k}" for k in row)
    return conn.execute(text(f"INSERT INTO exchanges ({columns}) VALUES ({names}) RETURNING id"),
                        row).scalar_one()


def test_exchanges_with_a_rule_become_series_with_their_meetings(database_url, tmp_path):
    url = _url(database_url, tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    start = datetime(2026, 2, 4, 13, tzinfo=UTC)  # first Wednesday of February, 14:00 Berlin
    skipped = datetime(2026, 5, 6, 12, tzinfo=UTC)  # its May date, in summer time
    with app.app_context():
        try:
            upgrade(revision="0007_series_and_notes")
            with db.engine.begin() as conn:
                werkstatt = _exchange(
                    conn, title="Smart City-Werkstatt", starts_at=start,
                    ends_at=start + timedelta(hours=3),
                    rrule="FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE",
                    exdates=skipped.strftime("%Y%m%dT%H%M%SZ"))
                imported = _exchange(
                    conn, title="Eingeladen", starts_at=start, ends_at=start + timedelta(hours=1),
                    rrule="FREQ=WEEKLY", import_uid="abc@example.org")
                daily = _exchange(conn, title="Konferenz", kind="conference", all_day=True,
                                  start_date=date(2026, 7, 4), end_date=date(2026, 7, 5),
                                  rrule="FREQ=YEARLY")
            upgrade()
            from tracker.exchanges.models import Exchange
            from tracker.series.models import Series
            from tracker.series.services import keep_all_ahead

            series = {s.title: s for s in db.session.scalars(db.select(Series))}
            assert set(series) == {"Smart City-Werkstatt", "Konferenz"}
            first = db.session.get(Exchange, werkstatt)
            assert first.series_id == series["Smart City-Werkstatt"].id
            assert first.recurrence_id == "20260204T130000Z" and first.rrule is None
            assert series["Smart City-Werkstatt"].rrule == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE"
            assert series["Smart City-Werkstatt"].duration_minutes == 180
            assert series["Smart City-Werkstatt"].starts_at == start
            cancelled = db.session.scalar(db.select(Exchange).where(
                Exchange.recurrence_id == "20260506T120000Z"))
            assert cancelled.status == "cancelled" and cancelled.starts_at == skipped
            assert db.session.get(Exchange, imported).series_id is None  # an invitation
            conference = db.session.get(Exchange, daily)
            assert conference.recurrence_id == "20260704"
            assert series["Konferenz"].all_day and series["Konferenz"].duration_minutes == 1440
            keep_all_ahead(date(2026, 3, 1))
            db.session.commit()
            keys = set(db.session.scalars(db.select(Exchange.recurrence_id).where(
                Exchange.series_id == series["Smart City-Werkstatt"].id)))
            # May stays the cancelled one; August and later are made.
            assert {"20260204T130000Z", "20260506T120000Z", "20260805T120000Z"} <= keys
        finally:
            db.session.remove()
            db.engine.dispose()
    if url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()

