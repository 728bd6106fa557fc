"""The signed settings link: works without signing in, changes only that person's digest."""

from __future__ import annotations

import re
from datetime import date

from itsdangerous import URLSafeSerializer

from tracker.core.audit import history
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.notify.services import build_digest, settings_token, settings_url


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _path(person) -> str:
    return "/notify/settings/" + settings_token(person)


def test_the_link_in_a_digest_opens_the_settings_without_signing_in(make, client):
    person = make.person(name="Jan Thomsen", email="jan@kiel.example", digest="weekly")
    make.task(owner_id=person.id, due_date=date(2026, 12, 1))
    mail = build_digest(person, date(2026, 11, 30))
    url = re.search(r"https://tracker\.test(/notify/settings/\S+)", mail.text).group(1)

    page = client.get(url)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Jan Thomsen (jan@kiel.example)" in html
    assert 'value="weekly" checked' in html
    assert 'name="csrf_token"' in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_posting_changes_only_the_digest_of_that_person(make, client):
    person = make.user(name="Lea Hoffmann", locale="en", digest="weekly", role="viewer")
    other = make.person(digest="weekly")
    before = (person.name, person.email, person.role, person.locale, person.password_hash)
    path = _path(person)

    form = client.get(path).get_data(as_text=True)
    assert "Digest by email" in form and '<html lang="en">' in form  # in her language
    assert 'name="assignment_notes" id="assignment_notes" value="y" checked' in form
    answer = client.post(path, data={"csrf_token": _csrf(form), "digest": "never",
                                     "assignment_notes": "y"})

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(path + "?saved=1")
    db.session.expire_all()
    assert person.digest == "never"
    assert (person.name, person.email, person.role, person.locale, person.password_hash) == before
    assert other.digest == "weekly"
    entry = history(person)[-1]
    assert entry.actor_id == person.id and entry.changes == {"digest": ["weekly", "never"]}
    assert "never – stop sending digests" in client.get(answer.headers["Location"]).get_data(
        as_text=True
    )
    # no session was opened: the link signs nobody in
    refused = client.get("/notify/settings/x", headers={"Accept-Language": "en"})
    assert refused.status_code == 404 and "This link is not valid" in refused.get_data(
        as_text=True
    )
    with client.session_transaction() as session:
        assert "_user_id" not in session


def payload_of(person) -> dict:
    return URLSafeSerializer("test-secret", salt="notify-settings").loads(settings_token(person))


def test_the_token_does_not_show_the_address(make):
    person = make.person(email="anna@rostock.example")
    assert "anna" not in str(payload_of(person))


def test_a_tampered_or_foreign_token_is_refused(make, client, app):
    person = make.person(digest="weekly")
    token = settings_token(person)
    payload, signature = token.rsplit(".", 1)
    other = make.person()
    [forged_for_someone_else, for_another_person] = [
        URLSafeSerializer("test-secret", salt="other-salt").dumps(payload_of(person)),
        URLSafeSerializer("test-secret", salt="notify-settings").dumps(
            {**payload_of(person), "p": other.id}
        ),
    ]
    for bad in (
        payload + "." + signature[:-2] + ("AA" if not signature.endswith("AA") else "BB"),
        payload,
        forged_for_someone_else,
        for_another_person,
        URLSafeSerializer("another-key", salt="notify-settings").dumps(payload_of(person)),
    ):
        assert client.get(f"/notify/settings/{bad}").status_code == 404
        assert client.post(f"/notify/settings/{bad}", data={"digest": "never"}).status_code in (
            400, 404
        )
    db.session.expire_all()
    assert person.digest == "weekly"


def test_a_post_without_the_csrf_token_changes_nothing(make, client):
    person = make.person(digest="daily")
    answer = client.post(_path(person), data={"digest": "never"})
    assert answer.status_code == 400
    db.session.expire_all()
    assert person.digest == "daily"


def test_an_unknown_choice_changes_nothing(make, client):
    person = make.person(digest="daily")
    form = client.get(_path(person)).get_data(as_text=True)
    answer = client.post(_path(person), data={"csrf_token": _csrf(form), "digest": "hourly"})
    assert answer.status_code == 400
    db.session.expire_all()
    assert person.digest == "daily"


def test_a_link_mailed_to_an_old_address_stops_working(make, client):
    from tracker.accounts.services import update_person

    person = make.person(email="old@rostock.example")
    old_path = _path(person)
    with transaction():
        update_person(person, None, {"email": "new@rostock.example"})
    assert client.get(old_path).status_code == 404
    assert client.get(_path(person)).status_code == 200
    assert settings_url(person).startswith("https://tracker.test/notify/settings/")
