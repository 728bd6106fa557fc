"""Helpers for the calendar tests: sign in, issue feed tokens, parse feeds two and three times."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import icalendar
import pytest
import vobject
from flask import current_app

from tracker.accounts.auth import start_session
from tracker.calendar.models import FeedToken
from tracker.core.database import transaction
from tracker.extensions import db


def login(client, person) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True
        start_session(session)


def issue(person, kind: str = "personal", **fields) -> str:
    """A live feed token for `person`; returns the secret as it appears in the URL."""
    with transaction():
        token = FeedToken.issue(
            current_app.config["SECRET_KEY"], person_id=person.id, kind=kind, **fields
        )
        db.session.add(token)
    return token.token(current_app.config["SECRET_KEY"])


def parse_both(body: bytes):
    """The feed read by icalendar and by vobject (an independent parser); both must agree."""
    cal = icalendar.Calendar.from_ical(body)
    vcal = vobject.readOne(body.decode("utf-8"))
    ical_items = [c for c in cal.subcomponents if c.name in ("VEVENT", "VTODO")]
    v_items = [c for c in vcal.getChildren() if c.name in ("VEVENT", "VTODO")]
    assert len(ical_items) == len(v_items)
    by_uid_v = {str(c.uid.value): c for c in v_items}
    for item in ical_items:
        twin = by_uid_v[str(item["UID"])]
        assert str(item.get("SUMMARY", "")) == twin.summary.value
        if "DESCRIPTION" in item:
            assert str(item["DESCRIPTION"]) == twin.description.value
    return cal, vcal, ical_items


def items_by_uid(body: bytes) -> dict:
    _cal, _vcal, items = parse_both(body)
    return {str(i["UID"]): i for i in items}


ICALJS_DIR = Path(__file__).parent / "js"


def parse_with_icaljs(body: bytes, occurrences: int = 8) -> dict[str, dict]:
    """The feed as Thunderbird's parser (ical.js, run with Node) reads it, by UID.

    Each item: kind, uid, summary, start, end (VEVENT) or due (VTODO) as UTC ISO strings
    ("2026-07-04T07:00:00Z") or dates ("2026-07-04"), and for a series the first starts.
    Skips without Node or the package (installed by .ci/run); fails instead when CI=true."""
    node = shutil.which("node")
    if node is None or not (ICALJS_DIR / "node_modules" / "ical.js").is_dir():
        message = "ical.js needs Node and `npm ci --prefix tests/js` (see .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [node, str(ICALJS_DIR / "parse.mjs"), str(occurrences)], input=body,
        capture_output=True, timeout=60, check=False, env={**os.environ, "TZ": "UTC"},
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return {item["uid"]: item for item in json.loads(done.stdout)}
