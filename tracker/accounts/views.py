"""Signing in and out, and the user's own account page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from tracker.accounts import services
from tracker.accounts.auth import session_lifetime, start_session
from tracker.accounts.forms import AccountForm, LoginForm, PasswordForm, TokenForm
from tracker.accounts.models import ApiToken
from tracker.core.database import transaction
from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.security import limiter
from tracker.extensions import db
from tracker.organisations.models import LOCALES
from tracker.web.helpers import safe_next, show_on_form
from tracker.web.setup import ButtonForm

bp = Blueprint("accounts", __name__)


def _email_tried() -> str:
    """Throttle per account too, so spreading guesses over addresses does not help."""
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


def _own_account() -> str:
    """A signed-in user's password check counts against the same account as signing in."""
    return "login:" + (current_user.email or "").lower() if current_user.is_authenticated else ""


def _password_refused(_response: Response) -> bool:
    """Only wrong passwords count: signing in many times a day is no attack."""
    return bool(g.get("password_refused"))


#: The sign-in limits, per address and per account, shared by every form that checks a
#: password: guesses on the account page count with those on the sign-in page.
PER_ADDRESS = "20 per minute"
PER_ACCOUNT = "10 per 10 minutes"


def _refused() -> None:
    g.password_refused = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(PER_ADDRESS, scope="password-per-address", methods=["POST"],
                      deduct_when=_password_refused)
@limiter.shared_limit(PER_ACCOUNT, scope="password-per-account", key_func=_email_tried,
                      methods=["POST"], deduct_when=_password_refused)
def login() -> ResponseReturnValue:
    """Sign in with email and password; go on to `next` if it is a local path."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        person = services.authenticate(form.email.data, form.password.data)
        if person is not None:
            session.clear()
            login_user(person)
            start_session(session)
            flash(_("Signed in. Welcome, %(name)s.", name=person.name), "success")
            return redirect(safe_next(form.next.data))
        _refused()
        form.form_errors.append(_("Email or password is wrong, or the account is deactivated."))
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


@bp.errorhandler(429)
def too_many_attempts(_exc: HTTPException) -> ResponseReturnValue:
    """Too many sign-in attempts: the same page, a clear message, and 429."""
    if request.endpoint == "accounts.change_password":
        password_form = PasswordForm(formdata=None)
        password_form.form_errors.append(
            _("Too many wrong passwords. Please wait a few minutes.")
        )
        return _render_account(password_form=password_form, code=429)
    form = LoginForm()
    form.form_errors.append(_("Too many sign-in attempts. Please wait a few minutes."))
    return render_template("accounts/login.html", form=form), 429


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """Sign out (POST); a GET shows the button, so a link cannot sign anyone out."""
    form = ButtonForm()
    if request.method == "POST" and form.validate_on_submit():
        with transaction():
            services.end_session(session.get("sid"), session_lifetime())
        logout_user()
        session.clear()
        flash(_("Signed out."), "success")
        return redirect(url_for("accounts.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("accounts/logout.html")


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the language: saved on the account when signed in, else for this session."""
    locale = request.form.get("locale")
    if locale not in LOCALES or not ButtonForm().validate_on_submit():
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated and current_user.locale != locale:
        with transaction():
            services.update_person(current_user, current_user, {"locale": locale})
    return redirect(safe_next(request.form.get("next")))


def _tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.person_id == current_user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def _render_account(
    form: AccountForm | None = None,
    password_form: PasswordForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str | None = None,
    code: int = 200,
) -> ResponseReturnValue:
    if form is None:
        form = AccountForm(obj=current_user)
        form.set_choices()
        form.locale.data = current_user.locale or ""
        form.version.data = str(current_user.version)
    return render_template(
        "accounts/account.html",
        form=form,
        password_form=password_form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None, prefix="token"),
        tokens=_tokens(),
        new_token=new_token,
    ), code


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    """The user's own settings, API tokens and calendar links."""
    return _render_account()


@bp.post("/account")
@login_required
def save_account() -> ResponseReturnValue:
    """People keep their own name, language and mail settings; an admin is not needed."""
    form = AccountForm()
    form.set_choices()
    if form.validate_on_submit():
        changes = {
            "name": form.name.data,
            "locale": form.locale.data or None,
            "digest": form.digest.data,
            "assignment_notes": form.assignment_notes.data,
            "reminder_minutes": form.reminder_minutes.data,
        }
        try:
            with transaction():
                services.update_person(
                    current_user, current_user, changes,
                    expected_version=int(form.version.data or 0) or None,
                )
        except InvalidField as exc:
            show_on_form(form, exc)
        except StaleVersion:
            form.form_errors.append(_("Your account was changed by someone else meanwhile. "
                                      "Please check and save again."))
            form.version.data = str(current_user.version)
        else:
            session.pop("locale", None)
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(form=form, code=400)


@bp.post("/account/password")
@limiter.shared_limit(PER_ADDRESS, scope="password-per-address", deduct_when=_password_refused)
@limiter.shared_limit(PER_ACCOUNT, scope="password-per-account", key_func=_own_account,
                      deduct_when=_password_refused)
@login_required
def change_password() -> ResponseReturnValue:
    """The current password is asked again, so an unattended session cannot take over."""
    form = PasswordForm()
    if form.validate_on_submit():
        if services.authenticate(current_user.email or "", form.current.data) is None:
            _refused()
            form.current.errors = [_("This is not your current password.")]
        else:
            try:
                with transaction():
                    services.set_password(current_user, current_user, form.new.data or "")
            except InvalidField as exc:
                show_on_form(form, exc, {"password": "new"})
            else:
                # The session id carries the new epoch.
                login_user(current_user._get_current_object())
                flash(_("Your password is changed; other sessions are signed out."), "success")
                return redirect(url_for("accounts.account"))
    return _render_account(password_form=form, code=400)


@bp.post("/account/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    """Issue a personal API token and show it once."""
    form = TokenForm(prefix="token")
    if form.validate_on_submit():
        try:
            with transaction():
                _token, plain = services.issue_api_token(current_user, form.name.data or "")
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            flash(_("New API token created. Copy it now: it is shown only once."), "success")
            return _render_account(new_token=plain)
    return _render_account(token_form=form, code=400)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    """People end their own tokens (a leaked one at once); only their own."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.person_id != current_user.id:
        abort(404)
    with transaction():
        services.revoke_api_token(token)
    flash(_("The API token is revoked."), "success")
    return redirect(url_for("accounts.account"))
