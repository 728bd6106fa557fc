"""Series: the list, a series with its meetings (the next one first), create, edit with
what a change will touch, delete and restore, a meeting added by hand, the .ics download."""

from __future__ import annotations

from dataclasses import replace as with_changes
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from tracker.calendar.context import feed_context
from tracker.calendar.items import series_calendar
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.timeutil import from_local_checked
from tracker.extensions import db
from tracker.series import queries, rules, services
from tracker.series.forms import MeetingForm, SeriesForm
from tracker.series.models import Series
from tracker.web.choices import optional_int
from tracker.web.helpers import editor_required, show_on_form

bp = Blueprint("series", __name__)

#: How many coming dates the form's preview shows.
PREVIEW = 6


@bp.before_app_request
def _keep_meetings_ahead() -> None:
    """Once a day, the first request makes the coming meetings of every series with a rule.

    The day is remembered in the process, so other requests cost nothing; the database row
    (`SeriesUpkeep`) keeps several workers from doing it more than once each.
    """
    today = timeutil.today()
    if current_app.extensions.get("series_upkeep_on") == today or request.endpoint in (
        "static", "health.healthz", None,
    ):
        return
    try:
        if services.upkeep_due(today):
            with transaction():
                services.keep_all_ahead(today)
        current_app.extensions["series_upkeep_on"] = today
    except SQLAlchemyError:  # another worker at the same moment, or no schema yet
        db.session.rollback()
        current_app.logger.warning("series upkeep skipped this time", exc_info=True)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every series page needs a signed-in user."""


def get_series(series_id: int) -> Series:
    series = queries.series_for_page(series_id)
    if series is None:
        abort(404)
    return series


@bp.get("/series")
def index() -> ResponseReturnValue:
    """Every series with its rule in words and its next meeting."""
    all_series = queries.live_series()
    return render_template("series/index.html", all_series=all_series,
                           next_meetings=queries.next_meetings([s.id for s in all_series]),
                           describe=rules.describe, start_day=queries.start_day)


@bp.get("/series/<id:series_id>")
def show(series_id: int) -> ResponseReturnValue:
    """A series: its next meeting first, then the coming and the past ones with status."""
    series = get_series(series_id)
    form = MeetingForm(formdata=None, data={"title": series.title, "location": series.location})
    return _render_show(series, form)


def _render_show(series: Series, form: MeetingForm, code: int = 200) -> ResponseReturnValue:
    coming, past = queries.meetings_of(series)
    return render_template(
        "series/show.html", series=series, coming=coming, past=past,
        next_meeting=next((m for m in coming if m.status != "cancelled"), None),
        rule_words=rules.describe(series.rrule, queries.start_day(series)), form=form,
    ), code


def _preview(form: SeriesForm) -> tuple[str, list]:
    """The rule in words and its next dates, as the form's choices stand."""
    first = form.first_day()
    if first is None:
        return "", []
    rrule = rules.build_rrule(form.rule_choice(), first.date())
    if form.all_day.data or rrule is None:
        start: datetime | object = first.date()
    else:
        try:
            start = from_local_checked("starts_at", first.date(), first.time())[0]
        except InvalidField:
            return rules.describe(rrule, first.date()), []
    if rrule is None:
        return rules.describe(None, first.date()), [start]
    today = timeutil.today()
    try:
        dates = services.dates_of_rule(rrule, start, max(today, first.date()),  # type: ignore[arg-type]
                                       today + timedelta(days=3650), PREVIEW)[:PREVIEW]
    except Exception:  # noqa: BLE001  (the form shows its own message on saving)
        dates = []
    return rules.describe(rrule, first.date()), dates


@bp.get("/series/preview")
def preview() -> ResponseReturnValue:
    """The rule in words and its next dates for the form's choices (the form's script asks
    as the choices change; nothing is saved)."""
    form = SeriesForm(formdata=request.args, meta={"csrf": False})
    words, dates = _preview(form)
    return render_template("series/_preview.html", words=words, dates=dates)


@bp.route("/series/new", methods=["GET", "POST"])
@editor_required
def create() -> ResponseReturnValue:
    """A new series from plain choices (no RRULE typed), with a preview of its dates."""
    form = SeriesForm()
    form.set_choices()
    if request.method == "GET":
        form.participant_ids.data = [current_user.id]
    preview_only = "preview" in request.form
    if form.validate_on_submit() and not preview_only:
        try:
            with transaction():
                series = services.create_series(current_user, **form.values())
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        else:
            flash(_("Series created with its meetings."), "success")
            return redirect(url_for("series.show", series_id=series.id))
    words, dates = _preview(form) if request.method == "POST" else ("", [])
    code = 400 if form.errors or form.form_errors else 200
    return render_template("series/form.html", form=form, series=None, words=words,
                           dates=dates, plan=None, followers=[], kept=[]), code


@bp.route("/series/<id:series_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(series_id: int) -> ResponseReturnValue:
    """Change a series; the form says which coming meetings the change touches."""
    series = get_series(series_id)
    form = SeriesForm()
    form.set_choices()
    if request.method == "GET":
        form.fill(series)
    coming = services.coming_meetings(series)
    followers = [m for m in coming if services.follows_series(m)]
    kept = [m for m in coming if not services.follows_series(m)]
    plan = None
    conflict = False
    if form.validate_on_submit():
        try:
            values = form.values(series)
            if "preview" in request.form:
                plan = services.plan_change(series, services.validated_values(series, values))
            else:
                with transaction():
                    services.update_series(series, current_user, values,
                                           expected_version=optional_int(form.version.data))
        except InvalidField as exc:
            db.session.rollback()
            show_on_form(form, exc, form.ALIASES)
        except StaleVersion:
            db.session.expire_all()
            series = get_series(series_id)
            form.version.data = str(series.version)
            conflict = True
        else:
            if plan is None:
                flash(_("Series saved."), "success")
                return redirect(url_for("series.show", series_id=series.id))
    words, dates = _preview(form)
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("series/form.html", form=form, series=series, words=words,
                           dates=dates, plan=plan, followers=followers, kept=kept,
                           conflict=conflict), code


@bp.post("/series/<id:series_id>/meetings")
@editor_required
def add_meeting(series_id: int) -> ResponseReturnValue:
    """Add a meeting when it is set (title, time, place)."""
    series = get_series(series_id)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            assert form.starts_at.data is not None
            start, _overlap = from_local_checked("starts_at", form.starts_at.data.date(),
                                                 form.starts_at.data.time())
            with transaction():
                meeting = services.add_meeting(
                    series, current_user, title=form.title.data, location=form.location.data,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=series.duration_minutes or 120),
                )
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            flash(_("Meeting added."), "success")
            return redirect(url_for("exchanges.show", exchange_id=meeting.id))
    return _render_show(series, form, 400)


@bp.route("/series/<id:series_id>/delete", methods=["GET", "POST"])
@editor_required
def delete(series_id: int) -> ResponseReturnValue:
    """Ask first; then delete the series with its coming meetings (past ones stay)."""
    series = get_series(series_id)
    if request.method == "GET":
        return render_template("series/confirm_delete.html", series=series,
                               coming=services.coming_meetings(series))
    with transaction():
        services.delete_series(series, current_user)
    flash(_("Series deleted: %(title)s", title=series.title), "success")
    return redirect(url_for("series.index"))


@bp.post("/series/<id:series_id>/restore")
@editor_required
def restore(series_id: int) -> ResponseReturnValue:
    """Bring a deleted series back with the meetings deleted with it."""
    series = db.session.get(Series, series_id)
    if series is None:
        abort(404)
    with transaction():
        services.restore_series(series, current_user)
    flash(_("Series restored."), "success")
    return redirect(url_for("series.show", series_id=series.id))


@bp.get("/series/<id:series_id>.ics")
def download(series_id: int) -> ResponseReturnValue:
    """The series' meetings as one calendar file, each at its own time."""
    series = get_series(series_id)
    meetings = queries.all_meetings(series)
    ctx = with_changes(feed_context(person=current_user), name=series.title)
    response = Response(series_calendar(meetings, ctx))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="series-{series.id}.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
