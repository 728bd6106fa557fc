"""Feed links are secrets: logs show /calendar/<redacted>.ics, never the token.

Partner links too: every path under /partner/ (the page, its forms, its feed) is logged as
/partner/<redacted>.

Every path under /calendar/ that is not one of its known pages counts as a feed link
(`/calendar//<token>.ics`, `/calendar/<token>`, `/calendar/<token>.ICS` too).

One rule (`redact_feed_tokens`), applied where request lines are logged:

- Flask's development server (werkzeug's logger): `RedactFeedTokens`, a logging filter the
  calendar blueprint installs;
- gunicorn: the same filter on its access and error loggers, installed when a worker
  loads the app, so plain `gunicorn wsgi:app` is covered; and `GunicornLogger`, its logger
  class, which redacts every access-log atom before any filter or handler sees it:

      gunicorn --logger-class tracker.calendar.logs.GunicornLogger … wsgi:app
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

#: A path under /calendar/ as it may appear in a log line, raw (percent-encoded) or decoded,
#: in any case and with any number of slashes: everything up to the end of the path.
CALENDAR_PATH = re.compile(r"/calendar(?:/|%2f)+([^\s?#\"]*)", re.IGNORECASE)
#: The pages under /calendar/ whose paths hold no secret; every other path there is
#: redacted, so a feed token typed or linked in any variant (`//`, no `.ics`, `.ICS`) is not
#: written down either.
KNOWN_PAGES = re.compile(r"(?:subscriptions(?:/[0-9]+/revoke)?|import(?:/save)?)/?")
REDACTED = "/calendar/<redacted>.ics"
#: A path under /partner/ (a partner link's page, its forms and feed): all of it is secret.
PARTNER_PATH = re.compile(r"/partner(?:/|%2f)+[^\s?#\"]*", re.IGNORECASE)
PARTNER_REDACTED = "/partner/<redacted>"


def _redact(match: re.Match[str]) -> str:
    rest = match.group(1)
    if match.group(0).startswith("/calendar/") and KNOWN_PAGES.fullmatch(rest):
        return match.group(0)
    return REDACTED if rest.lower().endswith(".ics") else "/calendar/<redacted>"


def redact_feed_tokens(text: str) -> str:
    """`text` with every path under /calendar/ but the known pages redacted: the one
    redaction rule for all logs."""
    return PARTNER_PATH.sub(PARTNER_REDACTED, CALENDAR_PATH.sub(_redact, text))


class RedactFeedTokens(logging.Filter):
    """Redacts the message and its arguments, positional or named (gunicorn's access
    line is a format over a mapping of atoms), of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place and let it through: the line is logged, the token not."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_feed_tokens(a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.args, dict):  # changed in place: gunicorn's dict subclass
            for key, value in record.args.items():  # answers "-" for absent atoms
                if isinstance(value, str):
                    record.args[key] = redact_feed_tokens(value)
        if isinstance(record.msg, str):
            record.msg = redact_feed_tokens(record.msg)
        return True


def install_filter(logger: logging.Logger) -> None:
    """Redact `logger`'s records; installing twice adds no second filter."""
    if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
        logger.addFilter(RedactFeedTokens())


#: Where servers log request lines: the development server, gunicorn's access and error log.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class GunicornLogger(Logger):
    """gunicorn's logger, with feed tokens redacted from the access and the error log.

    Access lines are written from `atoms()`, whatever `--access-log-format` picks; the
    error log ("Error handling request /calendar/….ics", a debug line per request) goes
    through the same filter as werkzeug's log.
    """

    def setup(self, cfg: Any) -> None:
        """gunicorn's set-up, then the redacting filter on its error log."""
        super().setup(cfg)
        install_filter(self.error_log)

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        """gunicorn's access-log atoms, each redacted, whatever the log format picks."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact_feed_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
