"""The feed's HTTP rules, tokens, query counts, kept items, and the subscription pages."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from werkzeug.http import http_date

from tests.calendar_support import issue, login, parse_both
from tracker.calendar.models import FeedItem, FeedToken
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.tasks.models import Task

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def feed(client, make):
    anna = make.user(name="Anna")
    make.task(owner_id=anna.id)
    token = issue(anna)
    return client, f"/calendar/{token}.ics", anna


def test_answers_text_calendar_with_validators_and_private_caching(feed):
    client, url, _anna = feed
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"]
    assert response.headers["Cache-Control"].startswith("private")
    parse_both(response.data)


def test_head_works_like_get_without_a_body(feed):
    client, url, _anna = feed
    get, head = client.get(url), client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_matching_if_none_match_gets_304_without_building(feed, monkeypatch):
    client, url, _anna = feed
    etag = client.get(url).headers["ETag"]
    monkeypatch.setattr(
        "tracker.calendar.cache.render_feed", lambda *a, **k: pytest.fail("built a feed")
    )
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304


def test_a_date_within_the_second_of_the_last_change_is_not_trusted(feed, monkeypatch):
    from werkzeug.http import parse_date

    client, url, _anna = feed
    _backdate_everything()
    last_modified = client.get(url).headers["Last-Modified"]
    changed = parse_date(last_modified)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return changed + timedelta(milliseconds=500)

    monkeypatch.setattr("tracker.calendar.serve.datetime", Clock)
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 200
    monkeypatch.undo()
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304


def test_non_matching_etag_wins_over_a_fresh_date(feed):
    client, url, _anna = feed
    _backdate_everything()
    last_modified = client.get(url).headers["Last-Modified"]
    response = client.get(url, headers={"If-None-Match": '"stale"',
                                        "If-Modified-Since": last_modified})
    assert response.status_code == 200


def _backdate_everything() -> None:
    from sqlalchemy import text

    past = datetime.now(UTC) - timedelta(hours=1)
    for table in ("tasks", "people", "exchanges", "outcomes"):
        db.session.execute(text(f"UPDATE {table} SET updated_at = :t"), {"t": past})
    db.session.commit()


def test_if_modified_since_rules(feed):
    client, url, _anna = feed
    _backdate_everything()
    last_modified = client.get(url).headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    old = http_date(datetime.now(UTC) - timedelta(days=3650))
    future = http_date(datetime.now(UTC) + timedelta(days=2))
    for value in (old, future, "garbage", "", "Tue, 99 Foo 2026 99:99:99 GMT"):
        assert client.get(url, headers={"If-Modified-Since": value}).status_code == 200, value


def test_a_change_changes_the_etag_and_gets_200(feed, make):
    client, url, anna = feed
    first = client.get(url)
    make.task(owner_id=anna.id, title="Neu")
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert b"Neu" in again.data


def test_a_task_leaving_the_feed_changes_the_etag(feed, make):
    from tracker.tasks.services import update_task

    client, url, anna = feed
    ben = make.user()
    first = client.get(url).headers["ETag"]
    task = db.session.scalar(select(Task).where(Task.owner_id == anna.id))
    with transaction():
        update_task(task, None, {"owner_id": ben.id})
    response = client.get(url, headers={"If-None-Match": first})
    assert response.status_code == 200
    assert parse_both(response.data)[2] == []


def test_owner_reminder_change_changes_the_feed(feed):
    client, url, anna = feed
    first = client.get(url)
    with transaction():
        db.session.merge(anna).reminder_minutes = 60
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and b"TRIGGER;RELATED=START:-PT1H" in second.data


def test_revoked_and_unknown_tokens_get_404_at_once(client, make):
    anna = make.user()
    token = issue(anna)
    url = f"/calendar/{token}.ics"
    assert client.get(url).status_code == 200
    with transaction():
        db.session.scalar(select(FeedToken)).revoked_at = datetime.now(UTC)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/x.ics").status_code == 404
    assert client.get("/calendar/%00%ff'--.ics").status_code == 404


def test_a_deactivated_person_s_feed_is_gone(client, make):
    anna = make.user()
    token = issue(anna)
    with transaction():
        db.session.merge(anna).active = False
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_failure_inside_is_never_a_5xx(feed, monkeypatch):
    client, url, _anna = feed

    def boom(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr("tracker.calendar.cache.validators", boom)
    response = client.get(url)
    assert response.status_code == 404


def test_one_bad_record_is_left_out_not_the_feed(feed, make, monkeypatch):
    client, url, anna = feed
    original = __import__("tracker.calendar.items", fromlist=["x"]).task_component

    def flaky(task, owner, ctx):
        if task.title == "kaputt":
            raise ValueError("cannot render")
        return original(task, owner, ctx)

    # Broken before it is written: neither the write nor the fetch can build it.
    monkeypatch.setattr("tracker.calendar.items.task_component", flaky)
    make.task(owner_id=anna.id, title="kaputt")
    response = client.get(url)
    assert response.status_code == 200
    assert len(parse_both(response.data)[2]) == 1


def _count_queries(client, url) -> int:
    statements = []
    engine = db.engine

    def on_execute(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return len(statements)


def test_query_count_does_not_grow_with_the_data(client, make):
    anna = make.user()
    token = issue(anna, "team")
    url = f"/calendar/{token}.ics"
    for _ in range(3):
        make.task(owner_id=anna.id)
        make.outcome(make.exchange(participant_ids=[anna.id]))
    client.get(url)  # records the token's first use (a write done once an hour)
    db.session.execute(FeedItem.__table__.delete())
    db.session.commit()
    cold_small = _count_queries(client, url)
    warm_small = _count_queries(client, url)
    for _ in range(30):
        make.task(owner_id=make.person().id)
        make.outcome(make.exchange())
    db.session.execute(FeedItem.__table__.delete())  # items are built on write: cold again
    db.session.commit()
    cold_large = _count_queries(client, url)
    warm_large = _count_queries(client, url)
    assert cold_large == cold_small
    assert warm_large == warm_small
    assert warm_small <= 5


def test_items_are_kept_and_only_a_changed_one_is_built_again(client, make, monkeypatch):
    from tracker.calendar import items
    from tracker.tasks.services import update_task

    anna = make.user()
    tasks = [make.task(owner_id=anna.id) for _ in range(5)]
    url = f"/calendar/{issue(anna)}.ics"
    first = client.get(url).data
    kept = select(func.count()).select_from(FeedItem).where(FeedItem.record_kind == "task")
    assert db.session.scalar(kept) == 5
    built = []
    original = items.task_component
    monkeypatch.setattr(
        items, "task_component", lambda t, o, c: built.append(t.id) or original(t, o, c)
    )
    assert client.get(url).data == first
    assert built == []
    with transaction():
        update_task(db.session.get(Task, tasks[2].id), None, {"title": "Geändert"})
    changed = client.get(url).data
    assert built == [tasks[2].id]
    assert "Geändert" in changed.decode()
    # The same feed built without kept items is byte-for-byte the same.
    db.session.execute(FeedItem.__table__.delete())
    db.session.commit()
    assert client.get(url).data == changed


def test_a_feed_s_last_use_is_recorded_at_most_hourly(feed):
    client, url, _anna = feed
    last_used = select(FeedToken.last_used_at)
    assert db.session.scalar(last_used) is None
    client.get(url)
    first = db.session.scalar(last_used)
    db.session.rollback()
    assert first is not None
    client.get(url)
    assert db.session.scalar(last_used) == first
    db.session.rollback()
    with transaction():
        db.session.scalar(select(FeedToken)).last_used_at = first - timedelta(hours=2)
    client.get(url)
    assert db.session.scalar(last_used) > first - timedelta(hours=2)


def test_feed_token_is_random_long_and_stored_only_as_hash(client, make):
    anna = make.user()
    token = issue(anna)
    row = db.session.scalar(select(FeedToken))
    assert len(token) >= 43  # 256 bits, base64
    assert token not in (row.token_hash, row.nonce)
    assert issue(anna) != token


def test_feed_urls_are_not_written_to_the_access_log(caplog):
    from tracker.calendar.logs import RedactFeedTokens

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '%s - - "%s" %s', ("127.0.0.1",
                               "GET /calendar/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG.ics"
                               " HTTP/1.1", "200"), None)
    RedactFeedTokens().filter(record)
    assert "abcdefghij" not in record.getMessage()
    assert "/calendar/<redacted>.ics" in record.getMessage()


@pytest.mark.parametrize("path", [
    "/calendar//{t}.ics", "/calendar/{t}", "/calendar/{t}.ICS", "/calendar/{t}.ics/",
    "/CALENDAR/{t}.ics", "/calendar%2F{t}.ics", "/calendar/x/{t}", "/calendar/{t}.ics.txt",
])
def test_no_variant_of_a_feed_url_reaches_the_log(path):
    from tracker.calendar.logs import redact_feed_tokens

    token = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    line = redact_feed_tokens(f'127.0.0.1 - - "GET {path.format(t=token)}?x=1 HTTP/1.1" 404')
    assert "abcdefghij" not in line, line
    assert "<redacted>" in line and "?x=1 HTTP/1.1" in line


@pytest.mark.parametrize("path", [
    "/calendar/subscriptions", "/calendar/subscriptions/12/revoke", "/calendar/import",
    "/calendar/import/save",
])
def test_the_calendar_pages_stay_readable_in_the_log(path):
    from tracker.calendar.logs import redact_feed_tokens

    line = f'"GET {path}?next=/ HTTP/1.1" 200'
    assert redact_feed_tokens(line) == line


# --- subscription pages -----------------------------------------------------------------


def test_subscription_page_shows_links_qr_and_sends_no_referrer(client, make):
    anna = make.user()
    token = issue(anna)
    login(client, anna)
    response = client.get("/calendar/subscriptions")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.data.decode()
    assert f"https://tracker.test/calendar/{token}.ics" in page
    assert f"webcal://tracker.test/calendar/{token}.ics" in page
    assert "<svg" in page
    # No inline script or style: only the app's own script file.
    assert re.findall(r"<script[^>]*>", page) in ([], ['<script src="/static/app.js" defer>'])
    assert "style=" not in page
    assert "+00:00" not in page  # dates are formatted for people


def test_create_and_revoke_a_subscription(client, make, app):
    anna = make.user()
    login(client, anna)
    page = client.get("/calendar/subscriptions").data.decode()
    import re

    csrf = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    csrf = csrf.group(1)
    assert client.post("/calendar/subscriptions", data={"kind": "team"}).status_code == 400
    response = client.post("/calendar/subscriptions",
                           data={"kind": "team", "csrf_token": csrf, "keep_done": "y"})
    assert response.status_code == 303
    row = db.session.scalar(select(FeedToken))
    assert row.kind == "team" and row.keep_done and row.person_id == anna.id
    url = f"/calendar/{row.token(app.config['SECRET_KEY'])}.ics"
    assert client.get(url).status_code == 200
    response = client.post(f"/calendar/subscriptions/{row.id}/revoke",
                           data={"csrf_token": csrf})
    assert response.status_code == 303
    assert client.get(url).status_code == 404


def test_view_feeds_validate_their_filter(client, make):
    anna = make.user()
    login(client, anna)
    import re

    page = client.get("/calendar/subscriptions?kind=view&query=status%3Dopen").data.decode()
    csrf = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert 'value="status=open"' in page
    bad = client.post("/calendar/subscriptions", data={
        "kind": "view", "query": "owner_id=abc", "csrf_token": csrf.group(1)})
    assert bad.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0
    good = client.post("/calendar/subscriptions", data={
        "kind": "view", "query": "?overdue=true&page=3&status=open", "csrf_token": csrf.group(1)})
    assert good.status_code == 303
    assert db.session.scalar(select(FeedToken.query)) == "overdue=true&status=open"


def test_nobody_sees_or_revokes_another_users_subscription(client, make):
    anna, ben = make.user(), make.user()
    annas = issue(anna)
    login(client, ben)
    page = client.get("/calendar/subscriptions").data.decode()
    assert annas not in page
    import re

    csrf = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    row = db.session.scalar(select(FeedToken))
    response = client.post(f"/calendar/subscriptions/{row.id}/revoke",
                           data={"csrf_token": csrf.group(1)})
    assert response.status_code == 404
    assert client.get(f"/calendar/{annas}.ics").status_code == 200


def test_the_account_partial_renders_on_its_own(app, client, make):
    from flask import render_template_string

    anna = make.user()
    token = issue(anna)
    login(client, anna)
    with app.test_request_context("/account"):
        from flask_login import login_user

        login_user(anna)
        html = render_template_string('{% include "calendar/_subscriptions.html" %}')
    assert f"webcal://tracker.test/calendar/{token}.ics" in html


def test_an_unchanged_feed_needs_no_aggregate_query(feed, monkeypatch):
    client, url, _anna = feed
    etag = client.get(url).headers["ETag"]
    monkeypatch.setattr(
        "tracker.calendar.cache.validators", lambda *a, **k: pytest.fail("aggregated")
    )
    monkeypatch.setattr(
        "tracker.calendar.cache.render_feed", lambda *a, **k: pytest.fail("built a feed")
    )
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url).status_code == 200


def test_a_change_made_with_plain_sql_is_seen(feed):
    from sqlalchemy import text

    client, url, anna = feed
    first = client.get(url)
    db.session.execute(text("UPDATE tasks SET title = 'Per SQL geändert', version = version + 1"))
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Per SQL geändert" in again.data.decode()


def test_joining_an_exchange_shows_it_in_the_personal_feed(feed, make):
    from tracker.exchanges.services import update_exchange

    client, url, anna = feed
    ex = make.exchange(title="Später dabei")
    first = client.get(url)
    with transaction():
        update_exchange(ex, None, {"participant_ids": [anna.id]})
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Später dabei" in again.data.decode()


def test_a_deleted_exchange_s_feed_is_gone(client, make):
    from tracker.exchanges.services import delete_exchange

    anna = make.user()
    ex = make.exchange()
    token = issue(anna, "exchange", exchange_id=ex.id)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    with transaction():
        delete_exchange(ex, None)
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_view_feed_with_a_filter_gone_bad_is_404_not_500(client, make):
    anna = make.user()
    token = issue(anna, "view", query="owner_id=abc")
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_standing_feeds_for_the_api(ctx, make):
    from tracker.calendar.services import feed_url, revoke_feed, standing_feed

    anna = make.user()
    with transaction():
        personal = standing_feed(anna)
        again = standing_feed(anna)
        team = standing_feed(anna, "team")
    assert personal.id == again.id and team.id != personal.id
    url = feed_url(personal)  # under the app's TRACKER_BASE_URL, https://tracker.test
    assert url.startswith("https://tracker.test/calendar/") and url.endswith(".ics")
    with transaction():
        revoke_feed(personal)
        fresh = standing_feed(anna)
    assert fresh.id != personal.id


def test_revoking_drops_the_kept_feed(client, make):
    from tracker.calendar.services import revoke_feed

    anna = make.user()
    token = issue(anna)
    client.get(f"/calendar/{token}.ics")
    whole = select(func.count()).select_from(FeedItem).where(FeedItem.record_kind == "feed")
    assert db.session.scalar(whole) == 1
    with transaction():
        revoke_feed(db.session.scalar(select(FeedToken)))
    assert db.session.scalar(whole) == 0


def test_partials_for_the_exchange_task_and_list_pages(app, make):
    from flask import render_template_string

    ex, task = make.exchange(), make.task()
    with app.test_request_context("/tasks?status=open&owner_id=3"):
        html = render_template_string(
            '{% include "calendar/_add_to_calendar.html" %}', exchange=ex
        )
        assert f'href="/exchanges/{ex.id}.ics"' in html
        assert f"kind=exchange&amp;exchange_id={ex.id}" in html
        html = render_template_string('{% include "calendar/_add_to_calendar.html" %}', task=task)
        assert f'href="/tasks/{task.id}.ics"' in html
        html = render_template_string('{% include "calendar/_subscribe_view.html" %}')
        assert "kind=view&amp;query=status%3Dopen%26owner_id%3D3" in html


def test_an_exchange_subscription_needs_a_live_exchange(client, make):
    import re

    anna = make.user()
    ex = make.exchange()
    login(client, anna)
    page = client.get(f"/calendar/subscriptions?kind=exchange&exchange_id={ex.id}").data.decode()
    csrf = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"kind": "exchange", "exchange_id": "999999", "csrf_token": csrf.group(1)}
    assert client.post("/calendar/subscriptions", data=data).status_code == 400
    data["exchange_id"] = str(ex.id)
    assert client.post("/calendar/subscriptions", data=data).status_code == 303
    assert db.session.scalar(select(FeedToken.exchange_id)) == ex.id
