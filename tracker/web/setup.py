"""Wire the pages into the app: error pages and template helpers (headers: core.security)."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any

from flask import (
    Flask,
    g,
    has_request_context,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_translations
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tracker.core import permissions, timeutil
from tracker.core.database import database_failed, database_fault, mark_database_fault
from tracker.core.errors import Forbidden, NotFound
from tracker.web import helpers


class ButtonForm(FlaskForm):
    """An empty form: gives POST-only buttons (check off, revoke) their CSRF token."""


class PageButtons:
    """`button_form` in templates: the empty form's CSRF field, rendered once per page.

    A page of a hundred tasks has a hundred check-off buttons; the field is the same in
    each (one token per request), and rendering it through WTForms cost a fifth of the
    home page. Nothing is made for a page without a button.
    """

    @cached_property
    def csrf_token(self) -> Markup:
        return csrf_field()


def csrf_field() -> Markup:
    """The hidden CSRF field of this request's forms (nothing when CSRF is off)."""
    field = getattr(ButtonForm(formdata=None), "csrf_token", None)
    return Markup(field()) if field is not None else Markup("")


def page_gettext() -> dict[str, Any]:
    """`_()`/`gettext` and `ngettext` for one page, bound to its translations.

    Flask-Babel's own look the translations up again on every call (about 15 µs: the
    request's locale, its domain, a cache key), and a list of a hundred tasks calls them a
    few hundred times. These behave as Jinja's "newstyle" ones that Flask-Babel installs
    (escaped, then %-formatted); they are made when a template is rendered, so a mail
    rendered under `force_locale` gets that language's.
    """
    translations = get_translations()
    #: Texts without variables as a page shows them ("Check off" on each of 100 rows).
    plain: dict[tuple[str, bool], str] = {}

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        autoescape = context.eval_ctx.autoescape
        if not variables and (string, autoescape) in plain:
            return plain[string, autoescape]
        text = translations.ugettext(string)
        if autoescape:
            text = Markup(text)
        text = text % variables
        if not variables:
            plain[string, autoescape] = text
        return text

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int,
                 **variables: Any) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


#: Built in place of a record id to learn an endpoint's URL around it (a valid id).
_ID_MARK = 1_987_654_321


class PageUrls:
    """`url_for` in templates, quicker for a list's many links to records by id.

    A hundred rows ask for the same endpoint with a hundred ids, and Flask and Werkzeug
    take about ten microseconds to build each. A call with one integer value (and maybe
    text values) builds the endpoint's URL once per page around a marker id in its place,
    then puts each id there; anything else is url_for itself.
    """

    def __init__(self) -> None:
        self._around: dict[tuple[Any, ...], list[str]] = {}

    def __call__(self, endpoint: str, **values: Any) -> str:
        ids = [k for k, v in values.items() if type(v) is int and not k.startswith("_")]
        if len(ids) == 1 and 0 < values[ids[0]] <= _ID_MARK:
            name = ids[0]
            others = tuple((k, v) for k, v in values.items() if k != name)
            if all(isinstance(v, str) and not k.startswith("_") for k, v in others):
                key = (endpoint, name, others)
                around = self._around.get(key)
                if around is None:
                    marked = url_for(endpoint, **{**values, name: _ID_MARK})
                    around = self._around[key] = marked.split(str(_ID_MARK))
                if len(around) == 2:
                    return f"{around[0]}{values[name]}{around[1]}"
        return url_for(endpoint, **values)


@pass_context
def _can(context: Context, action: str, target: object = None) -> bool:
    """Templates ask `can('edit')`, `can('check_off', task)`: the rules of core.permissions,
    for the user Flask-Login put in the page's context (not looked up again each time)."""
    user = context.get("current_user")
    return permissions.can(user if user is not None else current_user, action, target)


def _page_undo() -> dict | None:
    """The check-off to offer undoing, taken from the session once per request: a page
    may render several templates (home renders its task list on its own)."""
    if "page_undo" not in g:
        g.page_undo = session.pop("undo", None) if current_user.is_authenticated else None
    return g.page_undo


def _page_locale(context: Context) -> str | None:
    """The page's language as `_globals` found it (None without: the filter asks then).
    Flask-Babel takes microseconds to say, and a list asks for each row's title and dates."""
    locale = context.get("current_locale")
    return locale if isinstance(locale, str) else None


@pass_context
def _date(context: Context, value: date | None, style: str = "medium") -> str:
    return helpers.fmt_date(value, style, _page_locale(context))


@pass_context
def _relative_due(context: Context, due: date | None, today: date | None = None) -> str:
    return helpers.relative_due(due, today, _page_locale(context))


@pass_context
def _tr(context: Context, record: Any, field: str) -> str:
    return helpers.localized(record, field, _page_locale(context))


def init_web(app: Flask) -> None:
    """Template filters and globals, and error pages in the page's language (JSON for the API)."""
    app.jinja_env.filters.update(
        date=_date,
        datetime=helpers.fmt_datetime,
        time=helpers.fmt_time,
        relative_due=_relative_due,
        exchange_when=helpers.exchange_when,
        date_or_time=helpers.date_or_time,
        field_label=helpers.field_label,
        tr=_tr,
    )

    @app.context_processor
    def _globals() -> dict[str, Any]:
        if not has_request_context():  # mail rendered by a command
            return {"today": timeutil.today()}
        if database_failed():  # the database fault page asks nothing of the database
            return {"current_locale": str(get_locale())}
        return {
            "labels": helpers.labels(),
            "button_form": PageButtons(),
            "current_locale": str(get_locale()),
            "undo": _page_undo(),
            "today": timeutil.today(),
            "can": _can,
            "url_for": PageUrls(),
            **page_gettext(),
        }

    def _page(template: str, status: int, **context: Any) -> ResponseReturnValue:
        if request.accept_mimetypes.best == "application/json":
            return {"status": status}, status
        return render_template(template, status=status, **context), status

    @app.errorhandler(403)
    @app.errorhandler(Forbidden)
    def _forbidden(_exc: Exception) -> ResponseReturnValue:
        return _page("errors/403.html", 403)

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def _not_found(_exc: Exception) -> ResponseReturnValue:
        return _page("errors/404.html", 404)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: Exception) -> ResponseReturnValue:
        return _page("errors/400.html", 400)

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> ResponseReturnValue:
        limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"] or 0
        return _page("errors/413.html", 413, limit_mb=max(1, limit // (1024 * 1024)))

    @app.errorhandler(500)
    def _server_error(_exc: Exception) -> ResponseReturnValue:
        return _page("errors/500.html", 500)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_fault(exc: Exception) -> ResponseReturnValue:
        # The database is gone, busy, read-only or full: the app's own 503 page, made
        # without a query (no current user, no navigation), so it cannot fail the same way.
        fault = database_fault(exc)
        if fault is None:
            raise exc  # a bug, not a fault: the 500 page, logged as any other
        mark_database_fault(fault)
        app.logger.error("database %s on %s %s: %s", fault, request.method, request.path, exc)
        response = make_response(_page("errors/503.html", 503, fault=fault))
        if fault in ("unavailable", "busy"):
            response.headers["Retry-After"] = "30" if fault == "unavailable" else "2"
        return response
