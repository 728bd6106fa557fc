"""A live gunicorn server on a free loopback port, for the load tests and the benchmarks."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master with several (sync) workers, serving wsgi:app on a loopback port.

    Ready once it answers an HTTP request. Its stderr (the error log) goes to a temporary
    file, so a chatty server never blocks on a full pipe; `stop()` returns it.
    """

    def __init__(self, database_url: str, workers: int = 3, *,
                 secret_key: str = "load-test-secret", base_url: str = "http://t.test",
                 extra_args: Sequence[str] = (), log_level: str = "warning") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TRACKER_DATABASE_URL": database_url,
               "TRACKER_SECRET_KEY": secret_key, "TRACKER_BASE_URL": base_url}
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
             f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "--timeout", "30",
             "--log-level", log_level, *extra_args, "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._stderr,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.stop()}")

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/login")
            conn.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> str:
        """Stop the server (SIGTERM, then SIGKILL after 15 s); its error log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")
