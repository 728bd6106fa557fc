"""Faults that must not show a bare error: ids no column holds, the database or Redis
gone, a read-only or full disk; and the health check operators and load balancers ask."""

from __future__ import annotations

import re

import pytest

from tests.web import csrf_token, fresh, login

#: Ids past the largest the columns hold: PostgreSQL's int4 ends below the first, SQLite's
#: (and Python's sqlite3) below the second.
TOO_LARGE = [2**31, 2**63]
_ID_ARGUMENT = re.compile(r"<(?:int|id):(\w+)>")


def _page_rules_with_ids(app):
    return [
        rule for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and _ID_ARGUMENT.search(rule.rule)
    ]


def _real_ids(world) -> dict[str, int]:
    return {"task_id": world.editor_task.id, "exchange_id": world.exchange.id,
            "outcome_id": world.outcome.id, "person_id": world.viewer.id,
            "organisation_id": world.kiel.id, "token_id": 1}


def test_every_page_route_takes_its_ids_through_the_one_converter(app):
    """`<id:…>` matches 1 … MAX_ID only; a page route with a bare `<int:…>` would not."""
    rules = _page_rules_with_ids(app)
    assert len(rules) >= 19
    assert [rule.rule for rule in rules if "<int:" in rule.rule] == []


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_an_id_no_column_holds_gets_404_on_every_page_route(web, world, app, too_large):
    """Built from the URL map: each id in each page route, one at a time, past the largest
    id; GET and POST (with a valid CSRF token) both answer 404 and change nothing."""
    login(web, world.admin)
    token = csrf_token(web, "/account")
    wrong = []
    for rule in _page_rules_with_ids(app):
        for name in _ID_ARGUMENT.findall(rule.rule):
            values = dict(_real_ids(world), **{name: too_large})
            url = _ID_ARGUMENT.sub(lambda m, v=values: str(v[m.group(1)]), rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = {"csrf_token": token} if method == "POST" else None
                response = web.open(url, method=method, data=data)
                if response.status_code != 404:
                    wrong.append((method, url, response.status_code))
    assert not wrong, wrong
    assert fresh(world.editor_task).status == "open"
    assert web.get(f"/tasks/{world.editor_task.id}").status_code == 200


@pytest.mark.parametrize("too_large", TOO_LARGE)
@pytest.mark.parametrize("path", ["/tasks", "/tasks.csv", "/review", "/review.csv"])
@pytest.mark.parametrize("name", ["owner_id", "organisation_id", "exchange_id"])
def test_a_filter_with_an_id_no_column_holds_is_refused_like_any_bad_value(
        web, world, path, name, too_large):
    login(web, world.editor)
    response = web.get(f"{path}?{name}={too_large}")
    assert response.status_code in (200, 400), (path, name, response.status_code)


@pytest.mark.parametrize("too_large", TOO_LARGE)
@pytest.mark.parametrize("path", ["/tasks/new?exchange_id={n}&outcome_id={n}&owner_id={n}",
                                  "/exchanges/new?follows_up_id={n}"])
def test_a_form_preset_with_an_id_no_column_holds_is_left_empty(web, world, path, too_large):
    login(web, world.editor)
    assert web.get(path.format(n=too_large)).status_code == 200


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_an_outcome_no_column_holds_in_the_add_task_form_gets_404(web, world, too_large):
    login(web, world.editor)
    response = web.post(f"/exchanges/{world.exchange.id}/tasks?outcome_id={too_large}",
                        data={"csrf_token": csrf_token(web, "/account"), "x-title": "Neu",
                              "x-owner_id": world.viewer.id})
    assert response.status_code == 404


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_bulk_check_off_and_undo_skip_ids_no_column_holds(web, world, too_large):
    login(web, world.viewer)
    token = csrf_token(web, "/account")
    ids = [too_large, world.viewer_task.id, too_large + 1]
    response = web.post("/tasks/bulk-complete", data={"csrf_token": token, "ids": ids})
    assert response.status_code == 302
    assert fresh(world.viewer_task).status == "done"
    response = web.post("/tasks/undo", data={"csrf_token": token, "ids": ids})
    assert response.status_code == 302
    assert fresh(world.viewer_task).status == "open"
