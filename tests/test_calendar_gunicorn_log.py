"""Under gunicorn, feed tokens stay out of the access log and the error log."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest

from bench.server import ROOT, Server
from tracker.calendar.services import feed_url, issue_feed
from tracker.core.database import transaction
from tracker.extensions import db

LOGGER_CLASS = "tracker.calendar.logs.GunicornLogger"
#: Every atom a feed path can reach: request line, path, query, referer, raw URI.
FORMAT = '%(r)s %(s)s U=%(U)s q=%(q)s f="%(f)s" raw=%({raw_uri}e)s'


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("logger_args", [["--logger-class", LOGGER_CLASS], []],
                         ids=["redacting logger class", "gunicorn's own logger"])
def test_gunicorn_logs_show_the_feed_path_redacted(
    app, database_url, make, tmp_path, logger_args
):
    anna = make.user()
    with transaction():
        path = urlsplit(feed_url(issue_feed(anna, "personal"))).path
    db.session.remove()
    token = re.fullmatch(r"/calendar/(.+)\.ics", path).group(1)
    encoded = f"%{ord(token[0]):02X}" + token[1:]  # the same link, percent-encoded
    access_log = tmp_path / "access.log"

    server = Server(database_url, workers=1, secret_key=app.config["SECRET_KEY"],
                    log_level="debug",
                    extra_args=[*logger_args,
                                "--access-logfile", str(access_log),
                                "--access-logformat", FORMAT])
    try:
        status, body = _get(server.port, path)  # assembled now: a bytearray, sent as bytes
        assert status == 200 and body.startswith(b"BEGIN:VCALENDAR"), (status, body[:200])
        status, kept = _get(server.port, path)  # read back from what was kept
        assert status == 200 and kept == body
        status, _ = _get(server.port, f"/calendar/{encoded}.ics?x=1",
                         {"Referer": f"https://t.test{path}"})
        assert status == 200
    finally:
        error_log = server.stop()

    log = access_log.read_text()
    assert token not in log and token[1:] not in log, log
    assert token not in error_log and token[1:] not in error_log, error_log
    assert "GET /calendar/<redacted>.ics HTTP/1.1 200 U=/calendar/<redacted>.ics" in log, log
    assert 'f="https://t.test/calendar/<redacted>.ics"' in log, log
    assert "q=x=1" in log and "raw=/calendar/<redacted>.ics?x=1" in log, log
    assert "/calendar/<redacted>.ics" in error_log  # gunicorn's debug line per request
    assert "Traceback" not in error_log, error_log


def test_the_deployment_command_uses_the_redacting_logger():
    readme = (ROOT / "README.md").read_text()
    [command] = [line for line in readme.splitlines() if re.search(r"bin/gunicorn ", line)]
    assert f"--logger-class {LOGGER_CLASS}" in command
