"""The operator's commands (`flask --app wsgi …`): users, demo data, export and import."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from tracker.core.database import transaction
from tracker.core.errors import InvalidField
from tracker.core.progress import terminal_progress as _progress

P = ParamSpec("P")
R = TypeVar("R")

users_cli = AppGroup("users", help="Manage the people who can sign in.")
notify_cli = AppGroup("notify", help="Reminders by email: digests and the outbox.")
series_cli = AppGroup("series", help="Series of meetings.")
calendar_cli = AppGroup("calendar", help="Calendar feeds.")


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _schema_needed(command: Callable[P, R]) -> Callable[P, R]:
    """A command run before `db upgrade` says so, instead of printing a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            if "no such table" in str(exc) or "does not exist" in str(exc):
                _fail("the database has no schema yet: run 'flask --app wsgi db upgrade' first")
            _fail(f"the database refused: {exc.orig}")

    return wrapper


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in address (also where mail goes).")
@click.option("--name", required=True, help="Full name as the team knows it.")
@click.option("--role", required=True, type=click.Choice(["admin", "editor", "viewer"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--locale", type=click.Choice(["de", "en"]), default=None)
@_schema_needed
def create_user_command(
    email: str, name: str, role: str, password_stdin: bool, locale: str | None
) -> None:
    """Create a user (or give an existing person a login)."""
    from tracker.accounts.services import create_person, give_login, user_by_email

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction():
            existing = user_by_email(email)
            if existing is not None and existing.is_user:
                _fail(f"a user with the email {email} exists already")
            if existing is not None:
                person = give_login(existing, None, role, password)
            else:
                person = create_person(
                    None, password=password, email=email, name=name, role=role, locale=locale
                )
    except InvalidField as exc:
        _fail(f"{exc.field}: {exc.message}")
    click.echo(f"Created {person.role} {person.name} <{person.email}> (id {person.id}).")


@users_cli.command("api-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, to recognise it later.")
@_schema_needed
def api_token_command(email: str, name: str) -> None:
    """Print a new personal API token for the user with EMAIL."""
    from tracker.accounts.services import issue_api_token, user_by_email

    person = user_by_email(email)
    if person is None or not person.is_user:
        _fail(f"there is no user with the email {email}")
    try:
        with transaction():
            _token, plain = issue_api_token(person, name or "command line")
    except InvalidField as exc:
        _fail(f"{exc.field}: {exc.message}")
    click.echo(plain)


@click.command("demo")
@click.option("--force", is_flag=True, help="Load even though the database holds data.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if there is data.")
@with_appcontext
@_schema_needed
def demo_command(force: bool, if_empty: bool) -> None:
    """Load the demo data: the Rostock exchanges and what was agreed at them."""
    from tracker.accounts.services import user_by_email
    from tracker.transfer.demo import DEMO_LOGIN, DEMO_PASSWORD, database_is_empty, load_demo

    if not database_is_empty():
        if if_empty:
            click.echo("The database holds data already; demo data not loaded.")
            if user_by_email(DEMO_LOGIN) is not None:
                click.echo(f"Demo login: {DEMO_LOGIN} / {DEMO_PASSWORD}")
            return
        if not force:
            _fail("the database is not empty; use --force to load the demo data anyway")
    from tracker.notify.services import mail_suppressed

    with transaction(), mail_suppressed(), _progress("Loading") as progress:
        summary = load_demo(progress)
    click.echo(
        f"Loaded {summary['exchanges']} exchanges, {summary['tasks']} tasks, "
        f"{summary['organisations']} organisations, {summary['people']} people."
    )
    # `flask run` serves on 127.0.0.1:5000 unless TRACKER_BASE_URL names the real address.
    url = (current_app.config.get("TRACKER_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    click.echo(f"Open {url}/ (after `flask --app wsgi run`) and sign in as {summary['login']} "
               f"with the password {DEMO_PASSWORD}")


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
@_schema_needed
def export_command(file: Path) -> None:
    """Write the whole database to FILE as JSON ('-' for standard output)."""
    from tracker.transfer.dump import export_database

    out = sys.stdout if str(file) == "-" else None
    try:
        with _progress("Exporting") as progress:
            counts = export_database(out or file, progress=progress)
    except OSError as exc:
        _fail(f"cannot write {file}: {exc.strerror or exc} (a file there before is unchanged)")
    click.echo(f"Exported {sum(counts.values())} rows to {file}.", err=out is not None)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@_schema_needed
def import_command(file: Path) -> None:
    """Restore an export FILE into an empty database."""
    from tracker.transfer.dump import ImportRefused, import_database

    try:
        with _progress("Importing") as progress:
            counts = import_database(file, progress=progress)
    except ImportRefused as exc:
        _fail(str(exc))
    click.echo(f"Imported {sum(counts.values())} rows from {file}.")
    _warm_feeds()


def _log_to_stderr() -> None:
    """Cron and systemd keep what a command logs (failed mail, mail logged instead of sent)."""
    import logging

    logger = logging.getLogger("tracker.notify")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def _report_delivery(counts: dict[str, int]) -> None:
    if counts.get("pending", 0) < 0:
        _fail("the outbox could not be read or TRACKER_SMTP_URL is unusable (see the log)")
    click.echo(
        f"Sent {counts['sent']} mail(s); {counts['failed']} failed and stay queued; "
        f"{max(counts.get('pending', 0), 0)} waiting in the outbox."
    )


@notify_cli.command("digests")
@click.option("--no-send", is_flag=True, help="Only queue the digests; 'notify send' sends them.")
@_schema_needed
def notify_digests_command(no_send: bool) -> None:
    """Queue and send the digests due today (daily; weekly on Mondays). Safe to run again."""
    from tracker.core.model import utcnow
    from tracker.notify.services import deliver_outbox, purge_sent, send_due_digests

    _log_to_stderr()
    now = utcnow()
    with _progress("Preparing") as progress:
        counts = send_due_digests(now, progress)
    purge_sent(now)
    click.echo(
        f"Digests: {counts['queued']} queued, {counts['nothing_due']} with nothing to report, "
        f"{counts['already_sent']} already sent in this period."
    )
    if not no_send:
        with _progress("Sending") as progress:
            counts = deliver_outbox(progress=progress)
        _report_delivery(counts)


@notify_cli.command("send")
@_schema_needed
def notify_send_command() -> None:
    """Send the queued mail that is due (new, or due for a retry)."""
    from tracker.notify.services import deliver_outbox

    _log_to_stderr()
    with _progress("Sending") as progress:
        counts = deliver_outbox(progress=progress)
    _report_delivery(counts)


@series_cli.command("extend")
@_schema_needed
def series_extend_command() -> None:
    """Make the coming meetings of every series with a rule (the app also does it daily)."""
    from tracker.series.services import keep_all_ahead

    with transaction():
        made = keep_all_ahead()
    click.echo(f"Made {made} meeting(s) ahead of time.")


@calendar_cli.command("warm")
@_schema_needed
def calendar_warm_command() -> None:
    """Build every feed's missing items now (after a restore), not on the first fetch."""
    _warm_feeds()


def _warm_feeds() -> None:
    """Build the feeds' items, with a progress bar on a terminal (quiet in cron and pipes)."""
    import time

    from tracker.calendar.warm import warm_all

    started = time.monotonic()
    with _progress("Building") as progress:
        feeds, built = warm_all(
            (lambda done, total, _built: progress("calendar feeds", done, total))
            if progress else None
        )
    if feeds and not current_app.config.get("TRACKER_BASE_URL"):
        click.echo("TRACKER_BASE_URL is not set: the items were built for http://localhost, "
                   "and feeds fetched at another address build their own.", err=True)
    click.echo(f"Built {built:,} calendar items for {feeds} feed(s) "
               f"in {time.monotonic() - started:.1f} s.")


def register_commands(app: Flask) -> None:
    """The one list of the operator's commands."""
    for command in (users_cli, notify_cli, series_cli, demo_command, export_command,
                    import_command):
        app.cli.add_command(command)
    app.cli.add_command(calendar_cli)
