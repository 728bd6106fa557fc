"""The trash page and its Restore buttons (also the "Undo" after a delete)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core.database import transaction
from tracker.core.errors import InvalidField
from tracker.trash import queries, services
from tracker.web.helpers import editor_required, safe_next

bp = Blueprint("trash", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """The trash needs a signed-in user (and an editor, per view)."""


@bp.get("/trash")
@editor_required
def index() -> ResponseReturnValue:
    """What was deleted, newest first, who deleted it, and a Restore button for each."""
    return render_template("trash/index.html", items=queries.trash_items())


def record_url(kind: str, record: Any) -> str:
    """Where a restored record is seen: its page (an outcome's is its exchange's)."""
    if kind == "series":
        return url_for("series.show", series_id=record.id)
    if kind == "exchanges":
        return url_for("exchanges.show", exchange_id=record.id)
    if kind == "outcomes":
        return url_for("exchanges.show", exchange_id=record.exchange_id,
                       _anchor=f"outcome-{record.id}")
    return url_for("tasks.show", task_id=record.id)


@bp.post("/trash/<kind>/<id:record_id>/restore")
@editor_required
def restore(kind: str, record_id: int) -> ResponseReturnValue:
    """Bring a record back with what was deleted together with it; then show it."""
    record = queries.deleted_record(kind, record_id)
    if record is None:
        abort(404)
    try:
        with transaction():
            services.restore(kind, record, current_user)
    except InvalidField as exc:
        flash(exc.sentence(), "error")
        return redirect(url_for("trash.index"))
    item = queries.TrashItem(kind, record, record.updated_at)
    flash(_("Restored: %(title)s", title=item.title), "success")
    return redirect(safe_next(request.form.get("next"), record_url(kind, record)))
