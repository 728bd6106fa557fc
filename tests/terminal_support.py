"""Run a command as an operator does at a terminal: `flask --app wsgi …` in a subprocess
whose standard error is a pseudo-terminal (where the progress bars go), or is not one."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    stdout: str
    stderr: str


def flask_command(database_url: str, *args: str, terminal: bool, **env: str) -> Run:
    """`flask --app wsgi ARGS` against the test database; it must succeed."""
    environ = {**os.environ, "TRACKER_DATABASE_URL": database_url, "TRACKER_SECRET_KEY": "x",
               "TRACKER_BASE_URL": "https://tracker.test", **env}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, env=environ, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return Run(done.stdout, done.stderr)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, cwd=ROOT, env=environ, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the command has ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.stdout is not None
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0, shown.decode(errors="replace")
    return Run(stdout, shown.decode(errors="replace"))
