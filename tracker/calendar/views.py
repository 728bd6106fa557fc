"""Feed URLs, one-item downloads, subscription pages and invitation import."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import http_date, parse_date

from tracker.calendar import feeds
from tracker.calendar.forms import ImportSaveForm, ImportUploadForm, RevokeForm, SubscriptionForm
from tracker.calendar.imports import InvitationError, parse_invitation, pick
from tracker.calendar.logs import REQUEST_LOGGERS, install_filter
from tracker.calendar.models import FeedToken, token_hash
from tracker.calendar.services import issue_feed, revoke_feed
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.core.errors import DomainError, InvalidField
from tracker.core.model import utcnow
from tracker.core.permissions import can_edit
from tracker.exchanges.models import Exchange
from tracker.extensions import csrf, db
from tracker.tasks.models import Task
from tracker.web.helpers import safe_next

bp = Blueprint("calendar", __name__)
log = logging.getLogger(__name__)

FEED_MIMETYPE = "text/calendar; charset=utf-8"
#: Record a feed's last use at most this often (a write per poll would be wasteful).
TOUCH_EVERY = timedelta(hours=1)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


# --- context ------------------------------------------------------------------------------


def base_url() -> str:
    return current_app.config.get("TRACKER_BASE_URL") or request.url_root.rstrip("/")


def feed_context(token: FeedToken | None = None, person=None) -> feeds.FeedContext:
    person = person or (token.person if token else None)
    options = feeds.FeedOptions()
    name = description = ""
    if token is not None:
        options = feeds.FeedOptions(
            vtodo=token.vtodo, keep_done=token.keep_done, overdue_today=token.overdue_today
        )
        name = token.name or default_name(token)
        description = _("Follow-ups and exchanges from the follow-up tracker")
    return feeds.FeedContext(
        base_url=base_url(),
        tz_name=current_app.config["TRACKER_TIMEZONE"],
        locale=(person.locale if person is not None and person.locale else "de"),
        today=timeutil.today(),
        options=options,
        name=name,
        description=description,
    )


def default_name(token: FeedToken) -> str:
    if token.kind == "personal":
        return _("Follow-ups: %(name)s", name=token.person.name)
    if token.kind == "team":
        return _("Follow-ups: team")
    if token.kind == "exchange" and token.exchange is not None:
        return _("Follow-ups: %(title)s", title=token.exchange.title)
    return _("Follow-ups: selected tasks")


def selection_for(token: FeedToken, ctx: feeds.FeedContext) -> feeds.Selection:
    options = ctx.options
    if token.kind == "personal":
        return feeds.personal_selection(token.person_id, options)
    if token.kind == "team":
        return feeds.team_selection(options)
    if token.kind == "exchange":
        return feeds.exchange_selection(token.exchange_id, options)
    return feeds.view_selection(dict(parse_qsl(token.query)), options, ctx.today)


def find_token(raw: str) -> FeedToken | None:
    """The live token `raw` names, or None; compared in constant time."""
    if not _TOKEN_SHAPE.fullmatch(raw):
        return None
    digest = token_hash(raw)
    token = db.session.scalar(
        select(FeedToken)
        .options(joinedload(FeedToken.person))
        .where(FeedToken.token_hash == digest)
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.person.is_active:
        return None
    if token.kind == "exchange" and (token.exchange is None or not token.exchange.is_live):
        return None
    return token


def _touch(token: FeedToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    token_id = token.id
    try:
        db.session.commit()  # end the read first (see feeds._keep)
        db.session.execute(
            update(FeedToken).where(FeedToken.id == token_id).values(last_used_at=now)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("could not record a feed's last use", exc_info=True)


# --- the feed -----------------------------------------------------------------------------


def _not_found() -> Response:
    response = Response(_("No such calendar feed.") + "\n", 404, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def not_modified(v: feeds.Validators) -> bool:
    """304 only when the client's copy is this one: If-None-Match wins over the date.

    A date is trusted only if it is neither in the future nor older than the last change,
    and the last change is over a second ago (HTTP dates have whole seconds, so two
    changes within one second would otherwise look the same).
    """
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        ours = f'"{v.etag}"'
        return any(t in ("*", ours, f"W/{ours}") for t in tags)
    since = parse_date(request.headers.get("If-Modified-Since"))
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if since > now or now - v.last_modified < timedelta(seconds=1):
        return False
    return since >= v.last_modified


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    """A subscribed feed; 404 for unknown or revoked tokens and, never 5xx, if it fails."""
    try:
        return _serve_feed(token)
    except Exception:
        db.session.rollback()
        log.exception("calendar feed failed")  # the URL (and its token) is not logged
        return _not_found()


def _serve_feed(raw: str) -> Response:
    token = find_token(raw)
    if token is None:
        return _not_found()
    token_id = token.id
    ctx = feed_context(token)
    try:
        selection = selection_for(token, ctx)
    except InvalidField:
        return _not_found()
    _touch(token)
    dated = selection.by_date or ctx.options.overdue_today
    quick, kept = feeds.quick_state(token_id, ctx, dated)
    if kept is not None and quick is not None and kept.quick == quick:
        v = kept.validators  # nothing changed since it was validated: no aggregate needed
    else:
        v = feeds.validators(selection, ctx)
    headers = {
        "ETag": f'"{v.etag}"',
        "Last-Modified": http_date(v.last_modified),
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    still_right = kept is not None and kept.validators.etag == v.etag
    restamp = still_right and quick is not None and kept.quick != quick
    if not_modified(v):
        if restamp:
            feeds.restamp_feed(token_id, quick, v)
        return Response(status=304, headers=headers)
    body = feeds.kept_body(token_id, kept) if still_right else None
    if body is not None and restamp:
        feeds.restamp_feed(token_id, quick, v)
    if body is None:
        body = feeds.render_feed(selection, ctx)
        feeds.keep_feed(token_id, quick, v, body)
    if isinstance(body, bytes):
        response = Response(body, 200, headers=headers, mimetype=FEED_MIMETYPE)
    else:
        # A feed just assembled is a bytearray, and WSGI servers take bytes only (gunicorn
        # refuses anything else): hand it over in bytes pieces rather than copying it whole.
        response = Response(_in_pieces(body), 200, headers=headers, mimetype=FEED_MIMETYPE)
        response.headers["Content-Length"] = str(len(body))
    response.headers["Content-Type"] = FEED_MIMETYPE
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return response


def _in_pieces(body: bytearray, size: int = 1 << 16):
    view = memoryview(body)
    try:
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
    finally:
        view.release()


# --- one item -----------------------------------------------------------------------------


def _download(body: bytes, filename: str) -> Response:
    response = Response(body, 200)
    response.headers["Content-Type"] = FEED_MIMETYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/exchanges/<int:exchange_id>.ics")
@login_required
def exchange_ics(exchange_id: int):
    """The exchange as one event, to add to a calendar."""
    exchange = db.session.get(Exchange, exchange_id)
    if exchange is None or not exchange.is_live:
        abort(404)
    body = feeds.single_exchange(exchange, feed_context(person=current_user))
    return _download(body, f"exchange-{exchange.id}.ics")


@bp.route("/tasks/<int:task_id>.ics")
@login_required
def task_ics(task_id: int):
    """The task as one all-day (or timed) event, to add to a calendar."""
    task = db.session.get(Task, task_id)
    if task is None or not task.is_live:
        abort(404)
    body = feeds.single_task(task, feed_context(person=current_user))
    return _download(body, f"task-{task.id}.ics")


# --- subscriptions ------------------------------------------------------------------------


def feed_links(token: FeedToken) -> dict | None:
    """https and webcal:// links and a QR code for a token, or None if it can't be shown."""
    raw = token.token(current_app.config["SECRET_KEY"])
    if raw is None:
        return None
    https = f"{base_url()}{url_for('calendar.feed', token=raw)}"
    if https.startswith("http://") and not current_app.debug:
        https = "https://" + https.removeprefix("http://")
    webcal = "webcal://" + https.split("://", 1)[1]
    svg = segno.make(https, error="m").svg_inline(scale=3, title=_("QR code of the feed link"))
    return {"https": https, "webcal": webcal, "qr": Markup(svg)}


def describe(token: FeedToken) -> str:
    kinds = {
        "personal": _("My follow-ups and exchanges"),
        "team": _("All exchanges and open follow-ups"),
        "exchange": _("One exchange and its follow-ups"),
        "view": _("A task list filter"),
    }
    text = kinds[token.kind]
    if token.kind == "exchange" and token.exchange is not None:
        text = f"{text}: {token.exchange.title}"
    if token.kind == "view" and token.query:
        text = f"{text}: {token.query}"
    return text


def my_subscriptions() -> list[dict]:
    """The signed-in user's live subscriptions, with links (for the page and the partial)."""
    if not getattr(current_user, "is_authenticated", False):
        return []
    g.shows_feed_tokens = True
    tokens = db.session.scalars(
        select(FeedToken)
        .where(FeedToken.person_id == current_user.id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.created_at, FeedToken.id)
    )
    return [
        {"token": t, "label": t.name or default_name(t), "what": describe(t),
         "links": feed_links(t)}
        for t in tokens
    ]


@bp.app_context_processor
def _calendar_helpers() -> dict:
    return {"calendar_subscriptions": my_subscriptions}


@bp.after_app_request
def _no_referrer(response: Response) -> Response:
    """A page that shows feed links must not leak them to the sites it links to."""
    if g.get("shows_feed_tokens"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _validate_view_query(raw: str) -> str:
    from tracker.tasks.queries import FILTER_PARAMS, filter_tasks

    raw = raw.strip().lstrip("?")
    params = {k: v for k, v in parse_qsl(raw) if k in FILTER_PARAMS and v.strip()}
    filter_tasks(select(Task.id), params)  # raises InvalidField on a bad value
    return urlencode(sorted(params.items()))


@bp.route("/calendar/subscriptions", methods=["GET", "POST"])
@login_required
def subscriptions():
    """List my feed subscriptions and make a new one."""
    form = SubscriptionForm(request.form if request.method == "POST" else request.args)
    error = None
    if request.method == "POST" and form.validate_on_submit():
        fields = {
            "kind": form.kind.data,
            "name": (form.name.data or "").strip(),
            "vtodo": form.vtodo.data,
            "keep_done": form.keep_done.data,
            "overdue_today": form.overdue_today.data,
        }
        try:
            if form.kind.data == "exchange":
                exchange = db.session.get(Exchange, form.exchange_id.data or 0)
                if exchange is None or not exchange.is_live:
                    raise InvalidField("exchange_id", "no_such_exchange")
                fields["exchange_id"] = exchange.id
            if form.kind.data == "view":
                fields["query"] = _validate_view_query(form.query.data or "")
            with transaction():
                token = issue_feed(current_user, fields.pop("kind"), **fields)
            return redirect(url_for("calendar.subscriptions", _anchor=f"feed-{token.id}"), 303)
        except InvalidField as exc:
            error = exc.sentence()
    elif request.method == "POST":
        error = _("Please check the form.")
    status = 400 if error else 200
    return (
        render_template(
            "calendar/subscriptions.html",
            form=form,
            error=error,
            calendar_items=my_subscriptions(),
        ),
        status,
    )


@bp.route("/calendar/subscriptions/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    """Revoke one of my feed links; it answers 404 from now on."""
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    token = db.session.get(FeedToken, token_id)
    if token is None or token.person_id != current_user.id:
        abort(404)
    with transaction():
        revoke_feed(token)
    return redirect(safe_next(request.form.get("next"), url_for("calendar.subscriptions")), 303)


# --- import -------------------------------------------------------------------------------


def _require_editor() -> None:
    if not can_edit(current_user):
        abort(403)


@bp.route("/calendar/import", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, after the size limit is set
@login_required
def import_invitation():
    """Upload an invitation (.ics) and preview the exchange it would make."""
    _require_editor()
    # Refuse a huge upload while reading it, not after; the limit has room for the form.
    request.max_content_length = _limit() + 64 * 1024
    try:
        form = ImportUploadForm()
    except RequestEntityTooLarge:
        message = _("The file is too large (at most %(kb)d KB).", kb=_limit() // 1024)
        form = ImportUploadForm(formdata=None)
        return render_template("calendar/import.html", form=form, error=message), 413
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("calendar/import.html", form=form,
                                   error=_("Please choose a file.")), 400
        data = form.file.data.stream.read(_limit() + 1)
        try:
            candidates = parse_invitation(data)
        except InvitationError as exc:
            return render_template("calendar/import.html", form=form, error=str(exc)), 400
        save = ImportSaveForm(formdata=None, ics=base64.b64encode(data).decode())
        return render_template(
            "calendar/import_preview.html", candidates=candidates, form=save,
            existing={c.uid: c.existing() for c in candidates}, zone=timeutil.team_zone(),
        )
    return render_template("calendar/import.html", form=form, error=None)


def _limit() -> int:
    from tracker.calendar import imports

    return imports.MAX_IMPORT_BYTES


@bp.route("/calendar/import/save", methods=["POST"])
@csrf.exempt  # the form checks its own CSRF token, after the size limit is set
@login_required
def import_save():
    """Create the exchange (or update the one an earlier import of it made)."""
    from tracker.exchanges.services import create_exchange, restore_exchange, update_exchange

    _require_editor()
    # The previewed file comes back base64-encoded in a form field.
    request.max_form_memory_size = _limit() * 2 + 64 * 1024
    request.max_content_length = _limit() * 2 + 64 * 1024
    upload = ImportUploadForm(formdata=None)
    try:
        form = ImportSaveForm()
    except RequestEntityTooLarge:
        return render_template("calendar/import.html", form=upload,
                               error=_("Please upload the file again.")), 413
    if not form.validate_on_submit():
        return render_template("calendar/import.html", form=upload,
                               error=_("The form expired; please upload the file again.")), 400
    try:
        data = base64.b64decode(form.ics.data, validate=True)
        candidates = parse_invitation(data)
    except (binascii.Error, ValueError) as exc:
        message = str(exc)
        if not isinstance(exc, InvitationError):
            message = _("Please upload the file again.")
        return render_template("calendar/import.html", form=upload, error=message), 400
    candidate = pick(candidates, form.uid.data)
    if candidate is None:
        return render_template(
            "calendar/import_preview.html", candidates=candidates, form=form,
            existing={c.uid: c.existing() for c in candidates}, zone=timeutil.team_zone(),
            error=_("Please pick one of the events."),
        ), 400
    try:
        with transaction():
            exchange = candidate.existing()
            if exchange is None:
                # The one importing was invited: they take part (and see it in their feed).
                exchange = create_exchange(
                    current_user, participant_ids=[current_user.id], **candidate.fields()
                )
            else:
                if not exchange.is_live:
                    restore_exchange(exchange, current_user)
                fields = candidate.fields()
                if not candidate.cancelled:
                    fields.pop("status", None)
                update_exchange(exchange, current_user, fields)
    except DomainError as exc:
        message = getattr(exc, "message", None) or str(exc)
        return render_template(
            "calendar/import_preview.html", candidates=candidates, form=form,
            existing={c.uid: c.existing() for c in candidates}, zone=timeutil.team_zone(),
            error=_("The event can't be saved: %(why)s", why=message),
        ), 400
    return redirect(f"/exchanges/{exchange.id}", 303)


# --- logs ---------------------------------------------------------------------------------


@bp.record_once
def _redact_access_logs(_state) -> None:
    for name in REQUEST_LOGGERS:
        install_filter(logging.getLogger(name))
