"""Configuration from the environment: the TRACKER_* variables and their defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.core.files import PRIVATE, atomic_write


class ConfigError(RuntimeError):
    """A setting is present but unusable; the app refuses to start rather than guess."""


def _secret_key(instance_path: Path) -> str:
    """Generate the signing key once and keep it, readable by the owner only."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        # Complete or absent, never replaced: of two first starts at once, one key wins.
        with atomic_write(key_file, exclusive=True, mode=PRIVATE) as f:
            f.write(key)
    except FileExistsError:
        return key_file.read_text().strip()
    return key


def validate_timezone(name: str) -> str:
    """Refuse a zone name the system does not know: every date on every page depends on it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TRACKER_TIMEZONE={name!r} is not an IANA time zone") from exc
    return name


#: Every variable the app reads from the environment, with its default: the one list, which
#: the README's configuration table repeats (a test holds them together). None means unset;
#: what then happens is said beside it.
ENVIRONMENT: dict[str, Any] = {
    "TRACKER_DATABASE_URL": None,  # SQLite under instance/ (see from_environment)
    "TRACKER_SECRET_KEY": None,  # generated once into instance/secret_key
    "TRACKER_TIMEZONE": "Europe/Berlin",
    "TRACKER_BASE_URL": None,  # taken from the request (core.urls.base_url)
    "TRACKER_SMTP_URL": None,  # mail is written to the log
    "TRACKER_SMTP_TIMEOUT": 30,  # seconds to wait for the mail server
    "TRACKER_MAIL_FROM": None,  # tracker@<host of the base URL>
    #: How many proxies in front set X-Forwarded-For/-Proto/-Host (0: trust none).
    "TRACKER_PROXY_FIX": 0,
    #: Where sign-in throttling counts; redis://… to share it between servers.
    "TRACKER_RATELIMIT_STORAGE_URL": None,  # in memory
    #: Further host names the app answers to (comma-separated), besides the loopback names
    #: and TRACKER_BASE_URL's host; any other Host header gets 400.
    "TRACKER_TRUSTED_HOSTS": None,  # none further
    #: A session unused this long ends (signed out); and any session this old.
    "TRACKER_SESSION_IDLE_HOURS": 12,
    "TRACKER_SESSION_MAX_DAYS": 30,
}

#: Host names the app always answers to: a health check or a proxy on the same machine.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

#: Flask's and the extensions' settings as the tracker wants them, before any override.
APP_DEFAULTS: dict[str, Any] = {
    #: The largest request a page accepts (the API and the invitation import set their own):
    #: room for the longest exchange minutes, refused before a bigger upload is read.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "RATELIMIT_HEADERS_ENABLED": True,
}


def _number(env: Mapping[str, str], name: str) -> int:
    value = env.get(name) or ENVIRONMENT[name]
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a whole number") from exc


def from_environment(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict:
    """The app's defaults, with the TRACKER_* variables that are set put in their place."""
    env = os.environ if environ is None else environ

    def text(name: str) -> str | None:
        return env.get(name) or ENVIRONMENT[name]

    return {
        **APP_DEFAULTS,
        **{name: text(name) for name in ENVIRONMENT},
        "SQLALCHEMY_DATABASE_URI": (
            text("TRACKER_DATABASE_URL") or f"sqlite:///{instance_path / 'tracker.sqlite3'}"
        ),
        "SECRET_KEY": text("TRACKER_SECRET_KEY"),  # filled lazily from instance/ when unset
        "TRACKER_TIMEZONE": validate_timezone(text("TRACKER_TIMEZONE") or ""),
        "TRACKER_BASE_URL": (text("TRACKER_BASE_URL") or "").rstrip("/") or None,
        "TRACKER_SMTP_TIMEOUT": _number(env, "TRACKER_SMTP_TIMEOUT"),
        "TRACKER_PROXY_FIX": _number(env, "TRACKER_PROXY_FIX"),
        "TRACKER_SESSION_IDLE_HOURS": _number(env, "TRACKER_SESSION_IDLE_HOURS"),
        "TRACKER_SESSION_MAX_DAYS": _number(env, "TRACKER_SESSION_MAX_DAYS"),
    }


def trusted_hosts(base_url: str | None, configured: str | list[str] | None) -> list[str]:
    """The Host names the app answers to: the loopback names, TRACKER_BASE_URL's host and
    TRACKER_TRUSTED_HOSTS. Without TRACKER_BASE_URL, links in mail and `/api/v1/me` are built
    from the request's host, so an attacker's `Host: evil.example` must not be answered.

    Flask ignores the port when it compares (`localhost:5000` matches `localhost`). IPv6
    addresses are not matched by werkzeug's comparison; put a name in front instead.
    """
    names = [*LOOPBACK_HOSTS]
    if base_url and (host := urlsplit(base_url).hostname):
        names.append(host)
    extra = configured.split(",") if isinstance(configured, str) else (configured or [])
    names += [name.strip().lower() for name in extra if name.strip()]
    return list(dict.fromkeys(names))


def ensure_secret_key(config: dict, instance_path: Path) -> None:
    """Without TRACKER_SECRET_KEY, sign with the key kept in instance/ (made on first start)."""
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(instance_path)
