"""Partner links: what a partner sees through its link, what it may do, and what it cannot reach."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import icalendar
import pytest
from flask import current_app
from sqlalchemy import select

from tests.test_security_attacks import assert_unchanged, snapshot
from tests.web import a_date, fresh, login, post
from tracker.calendar.logs import redact_feed_tokens
from tracker.core import audit
from tracker.core.database import transaction
from tracker.core.model import utcnow
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.partners import services
from tracker.partners.models import DueDateProposal, PartnerLink
from tracker.tasks.models import Task, TaskNote


def _link(org) -> tuple[PartnerLink, str]:
    with transaction():
        link = services.create_link(org, None)
    return link, link.token(current_app.config["SECRET_KEY"])


def _page_csrf(web, token: str) -> str:
    html = web.get(f"/partner/{token}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _act(web, token: str, task_id: int, action: str, data: dict | None = None):
    data = dict(data or {})
    data.setdefault("csrf_token", _page_csrf(web, token))
    path = {"done": "done", "note": "notes", "propose": "proposals"}[action]
    return web.post(f"/partner/{token}/tasks/{task_id}/{path}", data=data)


ACTIONS = [("done", {}), ("note", {"text": "Termin steht"}),
           ("propose", {"due_date": "2027-03-01", "reason": "Kreistag tagt erst im Februar"})]


def _entries(task_id: int) -> list[audit.AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(audit.AuditEntry).where(
        audit.AuditEntry.entity_type == "tasks", audit.AuditEntry.entity_id == task_id,
        audit.AuditEntry.partner_link_id.is_not(None))))


def _mails_to(person) -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.person_id == person.id, OutboxMessage.kind == "partner_report")))


# -- what the partner sees ----------------------------------------------------------------


def test_a_link_sees_exactly_its_organisations_tasks(web, world, make):
    w = world
    done_lately = make.task(title="Persona-Material schicken", owner_id=w.editor.id,
                            organisation_id=w.luebeck.id)
    with transaction():
        from tracker.tasks.services import complete_task, delete_task
        complete_task(db.session.get(Task, done_lately.id), None)
        gone = make.task(title="Gelöschte Aufgabe", organisation_id=w.luebeck.id)
        delete_task(db.session.get(Task, gone.id), None)
    make.task(title="Ohne Organisation")
    link, token = _link(w.luebeck)
    response = web.get(f"/partner/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Protokoll verschicken" in html and "Persona-Material schicken" in html
    assert "Lübeck, Kiel und Rostock halten einen Workshop ab" in html  # its outcome
    assert "Besuch in Lübeck" in html and "Governance-Workshop" in html  # its exchanges
    for other in ("Raum buchen", "Gelöschte Aufgabe", "Ohne Organisation"):
        assert other not in html
    assert "@" not in html.replace("@rostock", "")  # no address at all
    assert "rostock.example" not in html
    for path in ('href="/tasks', 'href="/exchanges', 'href="/account', 'href="/"'):
        assert path not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'lang="de"' in html and "Zusagen" in html
    english = web.get(f"/partner/{token}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Mark as done" in english
    assert fresh(link).last_used_at is not None


def test_the_page_speaks_the_organisations_language(web, world, make):
    org = make.organisation(name="City of Turku", locale="en")
    make.task(title="Set the date of the return visit", organisation_id=org.id)
    _link_, token = _link(org)
    html = web.get(f"/partner/{token}").get_data(as_text=True)
    assert 'lang="en"' in html and "Mark as done" in html
    assert "Als erledigt melden" in web.get(f"/partner/{token}?lang=de").get_data(as_text=True)


# -- what the partner does ----------------------------------------------------------------


def test_marking_done_applies_at_once_is_audited_with_the_link_and_mails_the_owner(web, world):
    w = world
    link, token = _link(w.luebeck)
    response = _act(web, token, w.viewer_task.id, "done")
    assert response.status_code == 302
    task = fresh(w.viewer_task)
    assert task.status == "done" and task.completed_by_id is None
    [entry] = _entries(task.id)
    assert entry.action == "complete" and entry.actor_id is None
    assert entry.partner_link_id == link.id
    [mail] = _mails_to(w.viewer)
    assert "Hansestadt Lübeck" in mail.subject and "Protokoll verschicken" in mail.body_text
    login(web, w.viewer)
    page = web.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "über den Partner-Link von Hansestadt Lübeck" in page
    assert "über den Partner-Link von Hansestadt Lübeck" in web.get("/review").get_data(
        as_text=True)


def test_a_note_applies_at_once_is_audited_and_mails_the_owner(web, world):
    w = world
    link, token = _link(w.luebeck)
    assert _act(web, token, w.viewer_task.id, "note", {"text": "Termin steht"}).status_code == 302
    db.session.rollback()
    [note] = db.session.scalars(select(TaskNote).where(TaskNote.task_id == w.viewer_task.id))
    assert note.text == "Termin steht" and note.author_id is None
    assert note.organisation_id == w.luebeck.id
    [entry] = _entries(w.viewer_task.id)
    assert entry.action == "note" and entry.partner_link_id == link.id
    [mail] = _mails_to(w.viewer)
    assert "Termin steht" in mail.body_text
    assert "Termin steht" in web.get(f"/partner/{token}").get_data(as_text=True)


def test_an_empty_note_is_refused_with_a_message(web, world):
    _link_, token = _link(world.luebeck)
    before = snapshot()
    response = _act(web, token, world.viewer_task.id, "note", {"text": "  "})
    assert response.status_code == 400
    assert "error" in response.get_data(as_text=True)
    assert_unchanged(before, "empty note")


def test_a_proposed_date_waits_for_the_owner_who_accepts_it_and_the_feed_moves(
    web, world, smtp_server
):
    w = world
    link, token = _link(w.luebeck)
    feed = f"/partner/feed/{link.feed_token(current_app.config['SECRET_KEY'])}.ics"
    old_due = w.viewer_task.due_date

    def dtstart() -> object:
        response = web.get(feed)
        assert response.status_code == 200
        cal = icalendar.Calendar.from_ical(response.data)
        [event] = [c for c in cal.walk("VEVENT") if str(c["UID"]).startswith(
            f"task-{w.viewer_task.id}@")]
        assert "URL" not in event and "Mehmet" not in str(event["SUMMARY"])
        return event["DTSTART"].dt

    assert dtstart() == old_due
    new = a_date(40)
    response = _act(web, token, w.viewer_task.id, "propose",
                    {"due_date": new.isoformat(), "reason": "Kreistag tagt erst später"})
    assert response.status_code == 302
    assert fresh(w.viewer_task).due_date == old_due  # a proposal, not a change
    [proposal] = db.session.scalars(select(DueDateProposal))
    assert proposal.state == "proposed" and proposal.link_id == link.id
    [entry] = _entries(w.viewer_task.id)
    assert entry.action == "propose" and entry.partner_link_id == link.id
    [mail] = _mails_to(w.viewer)
    assert "Kreistag tagt erst später" in mail.body_text
    assert f"/tasks/{w.viewer_task.id}#proposal-{proposal.id}" in mail.body_text
    from tracker.notify.services import deliver_outbox
    assert deliver_outbox()["sent"] == 1
    assert any("Kreistag" in m.get_body(("plain",)).get_content()
               for m in smtp_server.messages)

    login(web, w.viewer)
    page = web.get(f"/tasks/{w.viewer_task.id}").get_data(as_text=True)
    assert f'id="proposal-{proposal.id}"' in page
    assert post(web, f"/proposals/{proposal.id}/accept").status_code == 302
    assert fresh(w.viewer_task).due_date == new
    assert fresh(proposal).state == "accepted"
    assert fresh(proposal).decided_by_id == w.viewer.id
    assert dtstart() == new
    # Deciding again changes nothing.
    before = snapshot()
    post(web, f"/proposals/{proposal.id}/decline")
    assert_unchanged(before, "decided twice")


def test_the_owner_declines_a_proposed_date(web, world):
    w = world
    _link_, token = _link(w.luebeck)
    _act(web, token, w.viewer_task.id, "propose", {"due_date": "2027-03-01"})
    proposal = db.session.scalars(select(DueDateProposal)).one()
    login(web, w.editor)
    assert post(web, f"/proposals/{proposal.id}/decline").status_code == 302
    assert fresh(proposal).state == "declined"
    assert fresh(w.viewer_task).due_date == w.viewer_task.due_date


def test_another_viewer_may_not_decide_a_proposal(web, world, make):
    w = world
    _link_, token = _link(w.kiel)
    _act(web, token, w.editor_task.id, "propose", {"due_date": "2027-03-01"})
    proposal = db.session.scalars(select(DueDateProposal)).one()
    login(web, w.viewer)
    before = snapshot()
    assert post(web, f"/proposals/{proposal.id}/accept").status_code == 403
    assert_unchanged(before, "viewer deciding another's task")


# -- what the partner cannot do -----------------------------------------------------------


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown"])
def test_a_revoked_or_expired_link_gives_404_for_the_page_and_every_action(web, world, state):
    w = world
    link, token = _link(w.luebeck)
    csrf = _page_csrf(web, token)
    feed = f"/partner/feed/{link.feed_token(current_app.config['SECRET_KEY'])}.ics"
    with transaction():
        stored = db.session.get(PartnerLink, link.id)
        if state == "revoked":
            services.revoke_link(stored, None)
        elif state == "expired":
            stored.expires_at = utcnow() - timedelta(seconds=1)
    if state == "unknown":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    before = snapshot()
    assert web.get(f"/partner/{token}").status_code == 404
    assert web.get(f"/partner/{token}?lang=en").status_code == 404
    if state != "unknown":
        assert web.get(feed).status_code == 404
    for action, data in ACTIONS:
        path = {"done": "done", "note": "notes", "propose": "proposals"}[action]
        response = web.post(f"/partner/{token}/tasks/{w.viewer_task.id}/{path}",
                            data={**data, "csrf_token": csrf})
        assert response.status_code == 404, action
        assert response.headers["Cache-Control"] == "no-store"
    assert_unchanged(before, f"{state} link")
    stray = web.get(f"/partner/{token}/no/such/page")
    assert stray.status_code == 404 and stray.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("action,data", ACTIONS, ids=[a for a, _ in ACTIONS])
def test_every_action_on_another_organisations_task_is_404_and_changes_nothing(
    web, world, make, action, data
):
    w = world
    _link_, token = _link(w.luebeck)  # Lübeck's link; editor_task is Kiel's
    orphan = make.task(title="Ohne Organisation")
    before = snapshot()
    for task_id in (w.editor_task.id, orphan.id, 999_999):
        assert _act(web, token, task_id, action, data).status_code == 404
    assert_unchanged(before, f"{action} on a foreign task")


@pytest.mark.parametrize("action,data", ACTIONS, ids=[a for a, _ in ACTIONS])
def test_the_partner_forms_without_a_csrf_token_are_refused(web, world, action, data):
    _link_, token = _link(world.luebeck)
    before = snapshot()
    path = {"done": "done", "note": "notes", "propose": "proposals"}[action]
    for csrf in (None, "forged"):
        form = {**data, **({"csrf_token": csrf} if csrf else {})}
        response = web.post(f"/partner/{token}/tasks/{world.viewer_task.id}/{path}", data=form)
        assert response.status_code == 400
    assert_unchanged(before, "partner form without CSRF")


def test_actions_are_rate_limited_per_link(database_url, world):
    from tracker import create_app
    from tracker.core.security import limiter

    _kiel, token = _link(world.kiel)
    _luebeck, other = _link(world.luebeck)
    task_id = world.editor_task.id
    db.session.rollback()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": True, "TRACKER_BASE_URL": "https://tracker.test"})
    # A fresh count (no RATELIMIT_KEY_PREFIX: Flask-Limiter keeps the first one it is given
    # for every later app, which would hide another test's prefix).
    limiter.reset()
    client = app.test_client()
    statuses = [client.post(f"/partner/{token}/tasks/{task_id}/notes",
                            data={"text": "x"}).status_code for _ in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429
    assert client.get(f"/partner/{other}").status_code == 200  # another link, its own count
    with app.app_context():
        db.engine.dispose()


def test_the_token_never_reaches_the_log(web, world, caplog):
    link, token = _link(world.luebeck)
    feed_token = link.feed_token(current_app.config["SECRET_KEY"])
    for path in (f"/partner/{token}", f"/partner/{token}/tasks/7/done?lang=en",
                 f"/partner//{token}", f"/PARTNER/{token}", f"/partner%2F{token}",
                 f"/partner/feed/{feed_token}.ics"):
        line = redact_feed_tokens(f'127.0.0.1 - - "GET {path} HTTP/1.1" 200 -')
        assert token not in line and feed_token not in line, line
        assert "/partner/<redacted>" in line or "/PARTNER" not in path
    from tracker.calendar.logs import RedactFeedTokens

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '"%s %s %s" %s -', ("GET", f"/partner/{token}", "HTTP/1.1", 200),
                               None)
    RedactFeedTokens().filter(record)
    assert token not in record.getMessage()
    assert "/partner/<redacted>" in record.getMessage()
    # The app's own log (a database fault names the request's path) is redacted too.
    with caplog.at_level(logging.ERROR):
        current_app.logger.error("database %s on %s %s: %s", "busy", "POST",
                                 f"/partner/{token}/tasks/1/done", "locked")
    assert token not in caplog.text and "/partner/<redacted>" in caplog.text


# -- editors ------------------------------------------------------------------------------


def test_editors_make_copy_mail_renew_and_revoke_a_link(web, world, make):
    w = world
    contact = make.person(name="Frau Petersen", email="petersen@luebeck.example",
                          organisation_id=w.luebeck.id)
    make.person(name="Ohne Adresse", email=None, organisation_id=w.luebeck.id)
    login(web, w.editor)
    page = web.get(f"/organisations/{w.luebeck.id}/partner-links")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert post(web, f"/organisations/{w.luebeck.id}/partner-links/new").status_code == 302
    link = db.session.scalars(select(PartnerLink)).one()
    token = link.token(current_app.config["SECRET_KEY"])
    html = web.get(f"/organisations/{w.luebeck.id}/partner-links").get_data(as_text=True)
    assert f"/partner/{token}" in html and "data-copy=" in html
    assert post(web, f"/organisations/{w.luebeck.id}/partner-links/{link.id}/mail"
                ).status_code == 302
    [mail] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "partner_link"))
    assert mail.person_id == contact.id and f"/partner/{token}" in mail.body_text
    assert "Guten Tag" in mail.body_text  # Lübeck speaks German
    with transaction():
        db.session.get(PartnerLink, link.id).expires_at = utcnow() + timedelta(days=1)
    post(web, f"/organisations/{w.luebeck.id}/partner-links/{link.id}/renew")
    assert fresh(link).expires_at > utcnow() + timedelta(days=179)
    post(web, f"/organisations/{w.luebeck.id}/partner-links/{link.id}/revoke")
    assert fresh(link).revoked_at is not None
    assert web.get(f"/partner/{token}").status_code == 404
    # A link of another organisation is not found through this one's page.
    assert post(web, f"/organisations/{w.kiel.id}/partner-links/{link.id}/renew"
                ).status_code == 404


def test_viewers_cannot_see_or_make_links(web, world):
    login(web, world.viewer)
    before = snapshot()
    assert web.get(f"/organisations/{world.luebeck.id}/partner-links").status_code == 403
    assert post(web, f"/organisations/{world.luebeck.id}/partner-links/new").status_code == 403
    assert_unchanged(before, "viewer")


def test_the_api_makes_lists_and_revokes_links(client, world):
    from tests.api_support import token_for

    headers = {"Authorization": f"Bearer {token_for(world.editor)}"}
    base = f"/api/v1/organisations/{world.luebeck.id}/partner-links"
    made = client.post(base, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert set(body) == {"id", "url", "expires_at", "created_at", "last_used_at", "revoked_at"}
    assert client.get(urlpath(body["url"])).status_code == 200
    listed = client.get(base, headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [body["id"]] and "url" not in listed[0]
    assert client.delete(f"{base}/{body['id']}", headers=headers).status_code == 204
    assert client.get(urlpath(body["url"])).status_code == 404
    other = f"/api/v1/organisations/{world.kiel.id}/partner-links/{body['id']}"
    assert client.delete(other, headers=headers).status_code == 404
    viewer = {"Authorization": f"Bearer {token_for(world.viewer)}"}
    assert client.post(base, headers=viewer).status_code == 403
    assert client.get(base, headers=viewer).status_code == 403


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_the_organisation_page_takes_the_links_section_with_the_organisation_alone(
    app, world
):
    """The organisation page (another feature's) includes the partial with `organisation`
    set; the partial asks for the rest, shows only to editors, and marks the page private."""
    from flask import g, render_template_string
    from flask_login import login_user

    link, token = _link(world.luebeck)
    source = '{% include "partners/_links.html" %}'
    for person, shown in ((world.editor, True), (world.viewer, False)):
        with app.test_request_context("/organisations/1"):
            g.pop("shows_feed_tokens", None)  # g lives with the test's app context
            login_user(db.session.get(type(person), person.id))
            html = render_template_string(source, organisation=world.luebeck)
            assert (f"/partner/{token}" in html) is shown
            assert bool(g.get("shows_feed_tokens")) is shown


@pytest.mark.slow
def test_gunicorn_logs_show_the_partner_path_redacted(app, database_url, world, tmp_path):
    from bench.server import Server
    from tests.test_calendar_gunicorn_log import FORMAT, LOGGER_CLASS, _get

    link, token = _link(world.luebeck)
    feed = link.feed_token(current_app.config["SECRET_KEY"])
    db.session.remove()
    access_log = tmp_path / "access.log"
    server = Server(database_url, workers=1, secret_key=app.config["SECRET_KEY"],
                    log_level="debug",
                    extra_args=["--logger-class", LOGGER_CLASS, "--access-logfile",
                                str(access_log), "--access-logformat", FORMAT])
    try:
        status, body = _get(server.port, f"/partner/{token}?lang=en")
        assert status == 200 and b"Mark as done" in body, (status, body[:300])
        status, _ = _get(server.port, f"/partner/feed/{feed}.ics",
                         {"Referer": f"https://t.test/partner/{token}"})
        assert status == 200
    finally:
        error_log = server.stop()
    log = access_log.read_text()
    for secret in (token, feed):
        assert secret not in log and secret not in error_log, log
    assert "GET /partner/<redacted>?lang=en HTTP/1.1 200" in log, log
    assert 'f="https://t.test/partner/<redacted>"' in log, log


def test_an_owner_who_turned_task_notes_off_gets_no_mail_but_the_change_applies(web, world):
    from tracker.accounts.services import update_person

    with transaction():
        update_person(db.session.get(type(world.viewer), world.viewer.id), None,
                      {"assignment_notes": False})
    _link_, token = _link(world.luebeck)
    assert _act(web, token, world.viewer_task.id, "note", {"text": "Entwurf folgt"}
                ).status_code == 302
    assert _mails_to(world.viewer) == []
    assert len(_entries(world.viewer_task.id)) == 1


def test_the_link_is_mailed_in_the_organisations_language(ctx, make):
    turku = make.organisation(name="City of Turku", locale="en")
    make.person(name="Ms Virtanen", email="virtanen@turku.example", organisation_id=turku.id)
    link, _token = _link(turku)
    with transaction():
        assert services.mail_link(db.session.get(PartnerLink, link.id), None) == 1
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "partner_link"))
    assert mail.subject == "Your commitments in the follow-up tracker: City of Turku"
    assert "Dear Ms Virtanen" in mail.body_text and "/partner/" in mail.body_text


def _partner_page_queries(web, make, size: int) -> int:
    from tests.querycount import counting_queries

    org = make.organisation()
    exchange = make.exchange(all_day=True, start_date=a_date(3), organisation_ids=[org.id])
    outcome = make.outcome(exchange, text="Vereinbart")
    for n in range(size):
        make.task(organisation_id=org.id, outcome_id=outcome.id if n % 2 else None,
                  exchange_id=exchange.id)
    link, token = _link(org)
    for task in db.session.scalars(select(Task).where(Task.organisation_id == org.id)):
        with transaction():
            services.note_through(db.session.get(PartnerLink, link.id), task, "Stand")
    web.get(f"/partner/{token}")  # the first use is recorded; count a later view
    with counting_queries() as statements:
        assert web.get(f"/partner/{token}").status_code == 200
    return len(statements)


def test_the_partner_page_costs_the_same_queries_with_more_tasks(web, make):
    assert _partner_page_queries(web, make, 2) == _partner_page_queries(web, make, 12)
