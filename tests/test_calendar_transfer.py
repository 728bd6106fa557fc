"""Export and import (the whole database as JSON) with calendar data in it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.calendar_support import issue
from tests.db_support import empty_all_tables
from tracker.calendar.models import CalendarState, FeedItem, FeedToken
from tracker.extensions import db
from tracker.transfer.dump import database_is_empty, export_database, import_database

pytestmark = pytest.mark.usefixtures("english")


def test_feed_links_survive_export_and_import_and_caches_stay_out(client, make, tmp_path):
    anna = make.user()
    make.task(owner_id=anna.id, title="Bleibt erhalten")
    token = issue(anna)
    first = client.get(f"/calendar/{token}.ics")
    assert first.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(FeedItem)) > 0

    target = tmp_path / "export.json"
    export_database(target)
    text = target.read_text(encoding="utf-8")
    assert '"feed_tokens"' in text
    assert '"feed_items"' not in text and '"calendar_state"' not in text

    db.session.remove()
    empty_all_tables()
    db.session.execute(CalendarState.__table__.insert().values(id=1, counter=0))
    db.session.commit()
    assert database_is_empty()  # a freshly migrated database, counter row and all
    import_database(target)
    db.session.expire_all()

    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 1
    again = client.get(f"/calendar/{token}.ics")
    assert again.status_code == 200
    assert "Bleibt erhalten" in again.data.decode()
