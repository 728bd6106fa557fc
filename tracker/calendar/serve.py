"""Serving a subscribed feed: the token, the cheapest answer that is right, and its headers.

`serve_feed` is HTTP-free (headers in, status, headers and body out), so the view only
wraps it and a new kind of feed needs nothing here: it brings its `Selection`.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache as cache_once

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import Headers
from werkzeug.http import http_date, parse_date

from tracker.calendar import cache
from tracker.calendar.context import FeedContext, feed_context
from tracker.calendar.models import FeedToken, token_hash
from tracker.calendar.selection import Selection, selection_for
from tracker.core.database import write_on_read
from tracker.core.errors import InvalidField
from tracker.core.model import utcnow
from tracker.core.usage import is_due, touch
from tracker.extensions import db

log = logging.getLogger(__name__)

FEED_MIMETYPE = "text/calendar; charset=utf-8"
#: Record a feed's last use at most this often (a write per poll would be wasteful).
TOUCH_EVERY = timedelta(hours=1)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")
#: The request's headers, as the view has them or as a plain mapping (bench, tests).
RequestHeaders = Headers | Mapping[str, str]


@dataclass
class FeedAnswer:
    """The answer to a feed request: status, headers and body (a bytearray when assembled
    just now, which the view hands to the server in pieces rather than copying it)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | bytearray = b""


@cache_once
def _token_query() -> Select[FeedToken, int, str]:
    """The token by its hash, with the change counter and its kept feed's fingerprint (a
    304 needs nothing more); made once per process: building a statement costs more than
    running this one."""
    return (
        select(FeedToken, *cache.state_columns(FeedToken.id, "feed"))
        .options(joinedload(FeedToken.person))
        .where(FeedToken.token_hash == bindparam("digest"))
    )


def find_token(raw: str) -> tuple[FeedToken, cache.StateRow] | None:
    """The live token `raw` names with its feed's quick state, or None; compared in
    constant time."""
    if not _TOKEN_SHAPE.fullmatch(raw):
        return None
    digest = token_hash(raw)
    row = db.session.execute(_token_query(), {"digest": digest}).first()
    if row is None:
        return None
    token, counter, kept = row
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.person.is_active:
        return None
    if token.kind == "exchange" and (token.exchange is None or not token.exchange.is_live):
        return None
    return token, (counter, kept)


def record_use(token: FeedToken) -> None:
    """Note when the link was last used (shown on the account page), at most hourly."""
    now = utcnow()
    if not is_due(token.last_used_at, now, TOUCH_EVERY):
        return
    try:
        with write_on_read():
            touch(token, now, TOUCH_EVERY)
    except Exception:
        db.session.rollback()
        log.warning("could not record a feed's last use", exc_info=True)


def not_modified(v: cache.Validators, request_headers: RequestHeaders) -> bool:
    """304 only when the client's copy is this one: If-None-Match wins over the date.

    A date is trusted only if it is neither in the future nor older than the last change,
    and the last change is over a second ago (HTTP dates have whole seconds, so two
    changes within one second would otherwise look the same).
    """
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        ours = f'"{v.etag}"'
        return any(t in ("*", ours, f"W/{ours}") for t in tags)
    since = parse_date(request_headers.get("If-Modified-Since"))
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if since > now or now - v.last_modified < timedelta(seconds=1):
        return False
    return since >= v.last_modified


def not_found() -> FeedAnswer:
    """The answer for unknown, revoked and broken feeds alike: nothing to learn from it."""
    return FeedAnswer(
        404,
        {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
        (_("No such calendar feed.") + "\n").encode(),
    )


def serve_feed(raw: str, request_headers: RequestHeaders) -> FeedAnswer:
    """A subscribed feed; 404 for unknown or revoked tokens and, never 5xx, if it fails."""
    try:
        return _serve(raw, request_headers)
    except Exception:
        db.session.rollback()
        log.exception("calendar feed failed")  # the URL (and its token) is not logged
        return not_found()


def _serve(raw: str, request_headers: RequestHeaders) -> FeedAnswer:
    found = find_token(raw)
    if found is None:
        return not_found()
    token, state = found
    token_id = token.id
    ctx = feed_context(token)
    try:
        selection = selection_for(token, ctx)
    except InvalidField:
        return not_found()
    record_use(token)
    return answer(token_id, selection, ctx, request_headers, state=state)


def answer(
    token_id: int,
    selection: Selection,
    ctx: FeedContext,
    request_headers: RequestHeaders,
    kind: str = "feed",
    state: cache.StateRow | None = None,
) -> FeedAnswer:
    """The cheapest right answer for a feed whose secret was checked: 304, the kept feed,
    or one assembled from kept items. `kind` keeps whole feeds of another kind of secret
    (a partner link's feed) apart from feed tokens with the same id; `state` is the quick
    state if it was read with the secret."""
    quick, kept = cache.quick_state(token_id, ctx, cache.is_dated(selection, ctx), kind, state)
    if kept is not None and quick is not None and kept.quick == quick:
        v = kept.validators  # nothing changed since it was validated: no aggregate needed
    else:
        v = cache.advance(cache.validators(selection, ctx), kept, datetime.now(UTC))
    headers = {
        "ETag": f'"{v.etag}"',
        "Last-Modified": http_date(v.last_modified),
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    still_right = kept is not None and kept.validators.etag == v.etag
    restamp = still_right and quick is not None and kept is not None and kept.quick != quick
    if not_modified(v, request_headers):
        if restamp:
            cache.restamp_feed(token_id, quick, v, kind)
        return FeedAnswer(304, headers)
    body: bytes | bytearray | None = None
    if still_right and kept is not None:
        body = cache.kept_body(token_id, kept, kind)
    if body is not None and restamp:
        cache.restamp_feed(token_id, quick, v, kind)
    if body is None:
        body = cache.render_feed(selection, ctx)
        cache.keep_feed(token_id, quick, v, body, kind)
    headers["Content-Type"] = FEED_MIMETYPE
    headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return FeedAnswer(200, headers, body)
