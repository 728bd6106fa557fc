"""The exchange page, its agenda, its minutes and the agenda API cost the same number of SQL
queries whether little or much is carried over (series, shared partners, notes, topics)."""

from __future__ import annotations

from tests.api_support import Api, token_for
from tests.db_support import empty_all_tables
from tests.querycount import counting_queries
from tests.web import a_date, login
from tracker.core.database import transaction
from tracker.extensions import db


def build(make, size: int):
    """A series of size/10 meetings with Rostock (home) and two of size/10 partners; `size`
    open tasks over its earlier meetings and other exchanges, with notes; topics."""
    from tracker.agenda.services import add_topic
    from tracker.series.models import Series
    from tracker.tasks.services import add_note

    user = make.user("admin", email="zaehler@rostock.example")
    groups = max(3, size // 10)
    home = make.organisation(name="Rostock", home=True)
    orgs = [make.organisation() for _ in range(groups)]
    people = [make.person() for _ in range(groups)]
    with transaction():
        series = Series(title="Werkstatt", kind="werkstatt", all_day=True,
                        start_date=a_date(-groups * 7))
        db.session.add(series)
    meetings = []
    for i in range(groups):
        exchange = make.exchange(
            all_day=True, start_date=a_date(-(groups - i) * 7),
            organisation_ids=[home.id, orgs[i].id, orgs[(i + 1) % groups].id],
            participant_ids=[user.id, people[i].id])
        meetings.append(exchange)
    main = make.exchange(all_day=True, start_date=a_date(1),
                         organisation_ids=[home.id, orgs[0].id, orgs[1].id],
                         participant_ids=[user.id, *[p.id for p in people]])
    with transaction():
        for n, exchange in enumerate([*meetings[::2], main]):
            db.session.merge(exchange).series_id = series.id
            db.session.merge(exchange).recurrence_id = f"2026{n:04d}"
    outcome = make.outcome(main, text="Vereinbart")
    for n in range(size):
        i = n % groups
        task = make.task(owner_id=people[i].id, organisation_id=orgs[i].id if n % 4 else None,
                         exchange_id=meetings[i].id, due_date=a_date(n % 30 - 15))
        if n % 3 == 0:
            with transaction():
                add_note(task, user, f"Stand {n}")
    for n in range(max(2, size // 20)):
        make.task(owner_id=people[n % groups].id, exchange_id=main.id, outcome_id=outcome.id)
        with transaction():
            add_topic(db.session.merge(main), user, f"Thema {n}")
    return user, main


PAGES = ["/exchanges/{main}", "/exchanges/{main}/agenda", "/exchanges/{main}/minutes"]


def _counts(web, client, make, size: int) -> dict[str, int]:
    user, main = build(make, size)
    login(web, user)
    counts = {}
    for path in PAGES:
        with counting_queries() as statements:
            response = web.get(path.format(main=main.id))
        assert response.status_code == 200, path
        counts[path] = len(statements)
    api = Api(client, token_for(user), user)
    with counting_queries() as statements:
        answer = api.get(f"/exchanges/{main.id}/agenda")
    assert answer.status_code == 200
    assert len(answer.get_json()["carried_over"]) > 0
    counts["api agenda"] = len(statements)
    return counts


def test_query_count_does_not_grow_with_what_is_carried_over(app, make, web, client):
    small = _counts(web, client, make, 10)
    db.session.rollback()
    empty_all_tables()
    web._cookies.clear()
    large = _counts(web, client, make, 200)
    assert small == large, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    assert max(large.values()) <= 30, large
