"""Each page costs the same number of SQL queries with 10 rows as with 200."""

from __future__ import annotations

from tests.db_support import empty_all_tables
from tests.querycount import counting_queries
from tests.web import a_date, login
from tracker.extensions import db


def build(make, size: int):
    """`size` tasks spread over size/10 (at least 3) exchanges, outcomes, organisations and
    people; past and upcoming exchanges, open, done and overdue tasks either way."""
    from tracker.core.database import transaction
    from tracker.tasks.services import complete_task

    user = make.user("admin", email="zaehler@rostock.example")
    groups = max(3, size // 10)
    orgs = [make.organisation() for _ in range(groups)]
    people = [make.person() for _ in range(groups)]
    exchanges = [
        make.exchange(all_day=True, start_date=a_date((i * 7) % 40 - 10),
                      organisation_ids=[orgs[i].id, orgs[(i + 1) % groups].id],
                      participant_ids=[user.id, people[i].id])
        for i in range(groups)
    ]
    outcomes = [make.outcome(e, text=f"Ergebnis {i}") for i, e in enumerate(exchanges)]
    main = exchanges[0]
    for n in range(size):
        i = n % groups
        task = make.task(
            owner_id=user.id if n % 2 else people[i].id,
            organisation_id=orgs[i].id,
            exchange_id=main.id if n % 3 == 0 else exchanges[i].id,
            outcome_id=None if n % 3 == 0 else outcomes[i].id,
            due_exchange_id=exchanges[(i + 1) % groups].id if n % 7 == 0 else None,
            due_date=a_date(n % 30 - 15),
        )
        if n % 5 == 0:
            with transaction():
                complete_task(task, user)
    return user, main


PAGES = [
    "/", "/tasks", "/tasks?status=all&sort=title", "/tasks.csv", "/exchanges",
    "/exchanges?when=past", "/exchanges/{main}", "/review", "/review?by=owner",
    "/review?by=organisation", "/review.csv", "/people", "/organisations", "/tasks/new",
    "/review?order=name", "/search?q=Folgeaufgabe", "/search?q=Ergebnis",
    "/organisations/{org}", "/tasks?status=open&overdue=true", "/tasks?q=e",
    "/tasks?q=%C3%BC", "{partner}",
]


def _counts(web, make, size: int) -> dict[str, int]:
    from tracker.core.database import transaction
    from tracker.partners.services import create_link, page_url

    user, main = build(make, size)
    org = min(o.id for o in main.organisations)
    with transaction():
        partner = page_url(create_link(main.organisations[0], None)) or ""
    partner = "/partner/" + partner.rsplit("/partner/", 1)[-1]
    login(web, user)
    counts = {}
    for page in PAGES:
        path = page.format(main=main.id, org=org, partner=partner)
        with counting_queries() as statements:
            response = web.get(path)
        assert response.status_code == 200, path
        counts[page] = len(statements)
    return counts


def test_query_count_does_not_grow_with_the_data(app, make, web):
    small = _counts(web, make, 10)
    db.session.rollback()
    empty_all_tables()
    web._cookies.clear()
    large = _counts(web, make, 200)
    assert small == large, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    assert max(large.values()) <= 25, large
