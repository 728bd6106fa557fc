"""People; a person with a password and a role is a user who can sign in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, and_, true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.model import Record, UTCDateTime, utcnow
from tracker.extensions import Model
from tracker.organisations.models import LOCALES, Organisation

#: The allowed values as types (the API's schema takes them); the tuples follow from them.
#: (Locale and LOCALES live in organisations.models: organisations speak a language too.)
Role = Literal["admin", "editor", "viewer"]
Digest = Literal["daily", "weekly", "never"]
ROLES: tuple[str, ...] = get_args(Role)
DIGEST_FREQUENCIES: tuple[str, ...] = get_args(Digest)
#: A task's reminder, in minutes before 00:00 of its due day: from four weeks before it to
#: 23:59 on the day itself (negative: on the day, -480 = 08:00).
REMINDER_MINUTES_MIN, REMINDER_MINUTES_MAX = -1_439, 40_320


class Person(Record, Model):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint(f"locale IN {LOCALES!r}", name="locale"),
        CheckConstraint(f"digest IN {DIGEST_FREQUENCIES!r}", name="digest"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint("password_hash IS NULL OR role IS NOT NULL", name="login_has_role"),
        CheckConstraint(
            f"reminder_minutes IS NULL OR reminder_minutes >= {REMINDER_MINUTES_MIN}",
            name="reminder_in_range",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    #: Stored lower-case; unique among people who have one.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str | None] = mapped_column(String(10))
    #: Preferred UI language; None means "follow the browser".
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    #: Bumped when the password changes, so every other session ends.
    session_epoch: Mapped[int] = mapped_column(default=0)
    digest: Mapped[str] = mapped_column(String(10), default="weekly")
    #: A mail (with the task as .ics) when someone else gives them a task or moves its date.
    assignment_notes: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: Default task reminder, minutes before 00:00 of the due day (900 = 09:00 the day before);
    #: None for no reminder. No column default: the ORM would put it in place of a None.
    reminder_minutes: Mapped[int | None]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @hybrid_property
    def is_user(self) -> bool:
        """Has a login (a password and a role); partners recorded as owners have none.

        On a person, `person.is_user`; in a query, `where(Person.is_user)`."""
        return self.password_hash is not None and self.role is not None

    @is_user.inplace.expression
    @classmethod
    def _is_user_expression(cls) -> ColumnElement[bool]:
        return and_(cls.password_hash.is_not(None), cls.role.is_not(None))

    @hybrid_property
    def receives_mail(self) -> bool:
        """Active users with an address: the only people the tracker mails.

        Partners recorded as task owners (no login) get no mail from it."""
        return bool(self.active and self.email and self.is_user)

    @receives_mail.inplace.expression
    @classmethod
    def _receives_mail_expression(cls) -> ColumnElement[bool]:
        return and_(cls.active.is_(True), cls.email.is_not(None), cls.is_user)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.is_user

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.name!r}>"


class ApiToken(Model):
    """A personal API token; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_person_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()


class EndedSession(Model):
    """A signed-out session, by the SHA-256 of its id: a copy of its cookie opens nothing.

    Sessions live in the signed cookie; the server keeps only those that ended early (kept
    until they would have expired anyway). Signing out ends this session alone, unlike a
    password change, which moves `Person.session_epoch` and so ends all of them.
    """

    __tablename__ = "ended_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
