"""Keyset pagination on id: a page ends at an id, the next starts after it.

Ordering by the primary key (which never changes) is what keeps the cursor correct while
records are added, completed or deleted between pages: nothing is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import json

from sqlalchemy import Select

from tracker.core.errors import InvalidField
from tracker.core.limits import MAX_ID
from tracker.core.model import Record
from tracker.extensions import db

_PREFIX = "c1."


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor ends after; a cursor this API did not give out is refused, not guessed."""
    try:
        if not cursor.startswith(_PREFIX):
            raise ValueError
        data = cursor[len(_PREFIX) :]
        after = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))["after"]
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_ID:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise InvalidField("cursor", "not_a_cursor") from None
    return after


def page(
    stmt: Select, model: type[Record], limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """One page of `stmt` in id order, and the cursor of the next one (None at the end)."""
    if cursor:
        stmt = stmt.where(model.id > decode_cursor(cursor))
    rows = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)).unique())
    if len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1].id)
    return rows, None
