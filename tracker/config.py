"""Configuration from the environment, as the outside contract names it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(RuntimeError):
    """A setting is present but unusable; the app refuses to start rather than guess."""


def _secret_key(instance_path: Path) -> str:
    """Generate the signing key once and keep it, readable by the owner only."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TRACKER_TIMEZONE={name!r} is not an IANA time zone") from exc
    return name


def from_environment(instance_path: Path, environ: dict[str, str] | None = None) -> dict:
    """Settings read from TRACKER_* variables, with the contract's defaults."""
    env = os.environ if environ is None else environ
    database_url = env.get("TRACKER_DATABASE_URL") or (
        f"sqlite:///{instance_path / 'tracker.sqlite3'}"
    )
    secret = env.get("TRACKER_SECRET_KEY") or None
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secret,  # filled lazily from instance/ when not given
        "TRACKER_TIMEZONE": validate_timezone(env.get("TRACKER_TIMEZONE") or "Europe/Berlin"),
        "TRACKER_BASE_URL": (env.get("TRACKER_BASE_URL") or "").rstrip("/") or None,
        "TRACKER_SMTP_URL": env.get("TRACKER_SMTP_URL") or None,
        "TRACKER_MAIL_FROM": env.get("TRACKER_MAIL_FROM") or None,
        #: How many proxies in front set X-Forwarded-For/-Proto/-Host (0: trust none).
        "TRACKER_PROXY_FIX": int(env.get("TRACKER_PROXY_FIX") or 0),
        #: Where sign-in throttling counts; redis://… to share it between servers.
        "TRACKER_RATELIMIT_STORAGE_URL": env.get("TRACKER_RATELIMIT_STORAGE_URL") or None,
    }


def ensure_secret_key(config: dict, instance_path: Path) -> None:
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(instance_path)
