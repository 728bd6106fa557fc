"""People, users, passwords and personal API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.accounts.models import (
    DIGEST_FREQUENCIES,
    LOCALES,
    REMINDER_MINUTES_MAX,
    REMINDER_MINUTES_MIN,
    ROLES,
    ApiToken,
    EndedSession,
    Person,
)
from tracker.core import audit, validation
from tracker.core.errors import InvalidField
from tracker.core.limits import max_length
from tracker.core.model import utcnow
from tracker.core.permissions import can_administer, can_edit, require
from tracker.core.usage import touch
from tracker.core.validation import check_version
from tracker.extensions import db
from tracker.organisations.models import Organisation

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Compared against when the email is unknown, so a failed sign-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")
API_TOKEN_PREFIX = "trk_"
#: A task's calendar reminder, unless a person chooses otherwise: 09:00 the day before.
DEFAULT_REMINDER_MINUTES = 900

#: "Last used" is shown to the minute; recording it more often would make every API read
#: a write (and, on SQLite, contend for the one write lock).
LAST_USED_PRECISION = timedelta(minutes=1)

PERSON_FIELDS = (
    "name",
    "email",
    "organisation_id",
    "role",
    "locale",
    "active",
    "digest",
    "assignment_notes",
    "reminder_minutes",
)


def normalise_email(field: str, value: object) -> str | None:
    """Addresses are compared lower-case, so one person cannot be entered twice by case."""
    if value in (None, ""):
        return None
    value = validation.text(
        field, value, max_length=max_length(Person.email), single_line=True
    ).lower()
    if not _EMAIL.match(value):
        raise InvalidField(field, "not_an_email")
    return value


def _validated(values: dict[str, Any], person_id: int | None) -> dict[str, Any]:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidField(sorted(unknown)[0], "unknown_field", what="a person")
    v = dict(values)
    v["name"] = validation.text(
        "name", v.get("name"), max_length=max_length(Person.name), required=True
    )
    v["email"] = normalise_email("email", v.get("email"))
    if v["email"] is not None:
        clash = db.session.scalar(
            select(Person.id).where(func.lower(Person.email) == v["email"], Person.id != person_id)
            if person_id
            else select(Person.id).where(func.lower(Person.email) == v["email"])
        )
        if clash is not None:
            raise InvalidField("email", "email_taken")
    validation.existing("organisation_id", Organisation, v.get("organisation_id"))
    if v.get("role") is not None:
        validation.choice("role", v["role"], ROLES)
    if v.get("locale") is not None:
        validation.choice("locale", v["locale"], LOCALES)
    v["digest"] = validation.choice("digest", v.get("digest") or "weekly", DIGEST_FREQUENCIES)
    reminder = v.get("reminder_minutes", DEFAULT_REMINDER_MINUTES)
    if reminder is not None and (
        isinstance(reminder, bool) or not isinstance(reminder, int)
        or not REMINDER_MINUTES_MIN <= reminder <= REMINDER_MINUTES_MAX
    ):
        raise InvalidField("reminder_minutes", "minutes_out_of_range",
                           min=REMINDER_MINUTES_MIN, max=REMINDER_MINUTES_MAX)
    v["reminder_minutes"] = reminder
    for flag in ("active", "assignment_notes"):
        if not isinstance(v.get(flag, True), bool):
            raise InvalidField(flag, "not_a_boolean")
    return v


def create_person(actor: Person | None, password: str | None = None, **fields: Any) -> Person:
    """A person who owns tasks; with a password and a role, also a user who can sign in.

    Editors add people who own tasks (a contact in Kiel); only admins give out roles.
    """
    require(can_administer(actor) or (can_edit(actor) and not fields.get("role")))
    values = _validated(fields, None)
    if password is not None and values.get("role") is None:
        raise InvalidField("role", "password_needs_role")
    person = Person(**values)
    if password is not None:
        person.password_hash = hash_password(password)
        check_personal_password(password, values.get("email"), values.get("name"))
    db.session.add(person)
    db.session.flush()
    audit.record("create", person, actor, {k: (None, v) for k, v in values.items() if v})
    return person


def update_person(
    person: Person,
    actor: Person | None,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Person:
    """Admins change anyone; editors change a contact without a login (never giving one a
    role); a user changes their own name, language and reminders."""
    own_fields = {"name", "locale", "digest", "assignment_notes", "reminder_minutes"}
    require(
        can_administer(actor)
        or (can_edit(actor) and person.role is None and changes.get("role") is None)
        or (actor is not None and actor.id == person.id and set(changes) <= own_fields)
    )
    check_version(person, expected_version)
    current = {name: getattr(person, name) for name in PERSON_FIELDS}
    values = _validated({**current, **changes}, person.id)
    if values.get("role") is None and person.password_hash is not None:
        raise InvalidField("role", "login_needs_role")
    diff = audit.apply_changes(person, values)
    if diff:
        person.updated_at = utcnow()
        db.session.flush()
        audit.record("update", person, actor, diff)
    return person


@cache
def common_passwords() -> frozenset[str]:
    """The most common passwords, lower-case, read once from the list shipped in the package."""
    lines = (Path(__file__).parent / "common_passwords.txt").read_text("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("# "))


def hash_password(password: str) -> str:
    """Every password set anywhere meets the same rules (length, not a common one) before it
    is hashed; `check_personal_password` adds the person's own name and address."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidField("password", "too_short", min=MIN_PASSWORD_LENGTH)
    if len(password) > 1024:
        raise InvalidField("password", "password_too_long")
    if password.strip().lower() in common_passwords():
        raise InvalidField("password", "password_too_common")
    return generate_password_hash(password)


#: Parts of a name or an address shorter than this are too common to refuse ("Li", "jo").
MIN_PERSONAL_PART = 3


def check_personal_password(password: str, email: str | None, name: str | None) -> None:
    """Refuse a password that contains the person's name or their address's local part (or a
    part of either of 3+ characters), case-insensitive: the first things an attacker tries."""
    local_part = (email or "").partition("@")[0]
    parts = {local_part, *re.split(r"[\W_]+", local_part), *re.split(r"[\W_]+", name or "")}
    lowered = password.lower() if isinstance(password, str) else ""
    if any(len(p) >= MIN_PERSONAL_PART and p.lower() in lowered for p in parts):
        raise InvalidField("password", "password_contains_name")


def set_password(person: Person, actor: Person | None, password: str) -> None:
    """Change a password; other sessions of that user end (session_epoch moves on)."""
    require(can_administer(actor) or (actor is not None and actor.id == person.id))
    if person.role is None:
        raise InvalidField("role", "role_before_password")
    person.password_hash = hash_password(password)
    check_personal_password(password, person.email, person.name)
    person.session_epoch += 1
    person.updated_at = utcnow()
    db.session.flush()
    audit.record("update", person, actor, {"password": ("***", "***")})


def give_login(person: Person, actor: Person | None, role: str, password: str) -> Person:
    """Let a recorded person (a contact who owns tasks) sign in, with a role and a password.

    The same rules and audit entries as changing each on its own: the password's rule, the
    role's, and other sessions ending.
    """
    hash_password(password)  # refuse a bad password before anything changes
    check_personal_password(password, person.email, person.name)
    update_person(person, actor, {"role": role})
    set_password(person, actor, password)
    return person


def authenticate(email: str | None, password: str | None) -> Person | None:
    """The active user with these credentials, or None; the same work is done either way."""
    try:
        email = normalise_email("email", email) or ""
    except InvalidField:
        email = ""
    person = (
        db.session.scalar(select(Person).where(Person.email == email)) if email else None
    )
    stored = person.password_hash if person is not None and person.password_hash else _DUMMY_HASH
    ok = check_password_hash(stored, password or "")
    if person is None or not ok or not person.is_active:
        return None
    return person


def user_by_email(email: str) -> Person | None:
    """Commands name a user by address, typed in any case and with stray spaces."""
    return db.session.scalar(select(Person).where(Person.email == email.strip().lower()))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(person: Person, name: str = "") -> tuple[ApiToken, str]:
    """A new personal API token; the plain token is returned once and never stored."""
    if not person.is_user:
        raise InvalidField("email", "token_needs_role")
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        person_id=person.id,
        name=validation.text("name", name, max_length=max_length(ApiToken.name), single_line=True),
        token_hash=_token_hash(plain),
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_api_token(token: ApiToken) -> None:
    """A leaked token stops working at once; the row stays, so its use stays on record."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def person_for_api_token(plain: str) -> Person | None:
    """The active user a token belongs to; looked up by hash, compared in constant time."""
    if not plain or len(plain) > 200:
        return None
    digest = _token_hash(plain)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.person.is_active:
        return None
    touch(token, utcnow(), LAST_USED_PRECISION)
    return token.person


def session_hash(session_id: str) -> str:
    """Ended sessions are kept by hash: the table alone does not give a cookie's id away."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def end_session(session_id: str | None, kept_for: timedelta) -> None:
    """Sign out one session server-side; a copy of its cookie opens nothing afterwards.

    Rows older than `kept_for` (the longest a session lives) go: their cookies have
    expired anyway."""
    now = utcnow()
    db.session.execute(delete(EndedSession).where(EndedSession.ended_at < now - kept_for))
    if session_id and db.session.get(EndedSession, session_hash(session_id)) is None:
        db.session.add(EndedSession(session_hash=session_hash(session_id), ended_at=now))
    db.session.flush()


def session_has_ended(session_id: str) -> bool:
    """Whether this session was signed out (one primary-key lookup per request)."""
    return db.session.get(EndedSession, session_hash(session_id)) is not None
