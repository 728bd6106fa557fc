"""The calendar's pages and feed URLs: HTTP in, HTTP out; the work is done elsewhere.

Feeds are served by `serve.serve_feed`, items built in `items`, subscriptions shown by
`subscriptions`, invitations read and saved by `imports`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.calendar import imports
from tracker.calendar.context import feed_context
from tracker.calendar.forms import ImportSaveForm, ImportUploadForm, RevokeForm, SubscriptionForm
from tracker.calendar.imports import InvitationError, parse_invitation, pick, save_invitation
from tracker.calendar.items import single_exchange, single_task
from tracker.calendar.logs import REQUEST_LOGGERS, install_filter
from tracker.calendar.models import FeedToken
from tracker.calendar.selection import clean_view_query
from tracker.calendar.serve import FEED_MIMETYPE, serve_feed
from tracker.calendar.services import issue_feed, revoke_feed
from tracker.calendar.subscriptions import subscriptions_of
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.core.errors import DomainError, InvalidField
from tracker.core.permissions import can_edit
from tracker.exchanges.models import Exchange
from tracker.extensions import csrf, db
from tracker.tasks.models import Task
from tracker.web.helpers import safe_next

bp = Blueprint("calendar", __name__)


# --- the feed -----------------------------------------------------------------------------


@bp.route("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """A subscribed feed; 404 for unknown or revoked tokens and, never 5xx, if it fails."""
    answer = serve_feed(token, request.headers)
    body = answer.body
    if isinstance(body, bytearray):
        # A feed just assembled is a bytearray, and WSGI servers take bytes only (gunicorn
        # refuses anything else): hand it over in bytes pieces rather than copying it whole.
        response = Response(_in_pieces(body), answer.status, headers=answer.headers)
        response.headers["Content-Length"] = str(len(body))
        return response
    return Response(body or None, answer.status, headers=answer.headers)


def _in_pieces(body: bytearray, size: int = 1 << 16) -> Iterator[bytes]:
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


@bp.route("/exchanges/<id:exchange_id>.ics")
@login_required
def exchange_ics(exchange_id: int) -> Response:
    """The exchange as one event, to add to a calendar."""
    exchange = db.session.get(Exchange, exchange_id)
    if exchange is None or not exchange.is_live:
        abort(404)
    body = single_exchange(exchange, feed_context(person=current_user))
    return _download(body, f"exchange-{exchange.id}.ics")


@bp.route("/tasks/<id:task_id>.ics")
@login_required
def task_ics(task_id: int) -> Response:
    """The task as one all-day (or timed) event, to add to a calendar."""
    task = db.session.get(Task, task_id)
    if task is None or not task.is_live:
        abort(404)
    body = single_task(task, feed_context(person=current_user))
    return _download(body, f"task-{task.id}.ics")


# --- subscriptions ------------------------------------------------------------------------


def my_subscriptions() -> list[dict[str, Any]]:
    """The signed-in user's live subscriptions, with links (for the page and the partial)."""
    if not getattr(current_user, "is_authenticated", False):
        return []
    g.shows_feed_tokens = True
    return subscriptions_of(current_user)


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


@bp.route("/calendar/subscriptions", methods=["GET", "POST"])
@login_required
def subscriptions() -> ResponseReturnValue:
    """List my feed subscriptions and make a new one."""
    form = SubscriptionForm(request.form if request.method == "POST" else request.args)
    form.set_choices()
    if request.method == "GET":
        form.show_query(form.query.data or "")
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
                fields["query"] = clean_view_query(form.view_query())
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


@bp.route("/calendar/subscriptions/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
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
def import_invitation() -> ResponseReturnValue:
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
    return imports.MAX_IMPORT_BYTES


@bp.route("/calendar/import/save", methods=["POST"])
@csrf.exempt  # the form checks its own CSRF token, after the size limit is set
@login_required
def import_save() -> ResponseReturnValue:
    """Create the exchange (or update the one an earlier import of it made)."""
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
        data = base64.b64decode(form.ics.data or "", validate=True)
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
    newer = candidate.outdated_by()
    try:
        with transaction():
            exchange = save_invitation(candidate, current_user)
    except (DomainError, InvitationError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        return render_template(
            "calendar/import_preview.html", candidates=candidates, form=form,
            existing={c.uid: c.existing() for c in candidates}, zone=timeutil.team_zone(),
            error=_("The event can't be saved: %(why)s", why=message),
        ), 400
    if newer is not None:
        flash(_("A newer version of this invitation was imported before; it was kept."), "info")
    return redirect(url_for("exchanges.show", exchange_id=exchange.id), 303)


# --- logs ---------------------------------------------------------------------------------


@bp.record_once
def _redact_access_logs(_state: Any) -> None:
    for name in REQUEST_LOGGERS:
        install_filter(logging.getLogger(name))
