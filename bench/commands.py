"""Time the long commands at the size of a national network: export, import, demo, digests.

    .venv/bin/python -m bench.commands                     # SQLite files in a temporary folder
    .venv/bin/python -m bench.commands --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Each command runs as an operator runs it (`flask --app wsgi …` in a subprocess, not on a
terminal); each figure is the median of --runs runs, with the largest peak resident memory
(RSS) of the command's process; its CPU seconds (user + system, the command's process
only) say more than the wall clock on a busy machine. `export` reads the prepared
database (`bench/data.py`); `import` restores that file into a fresh, migrated database;
`demo` loads into a fresh one; `notify digests` mails --digest-users people with a login
and a daily digest, through an SMTP server on loopback in this process. On PostgreSQL
the one database named is dropped and recreated for each fresh start. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text, update

from bench.data import PASSWORD, seed_large
from bench.run import bench_app, fresh_database
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("export", "import", "demo", "digests")


@dataclass
class Result:
    """One command's runs: wall-clock seconds, the process's CPU seconds, peak RSS (MiB)."""

    name: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    output: str = ""


def prepare(url: str, n_exchanges: int, n_tasks: int) -> dict:
    """A fresh database filled by `bench.data.seed_large`, statistics gathered."""
    fresh_database(url)
    app = bench_app(url)
    with app.app_context():
        info = seed_large(n_exchanges, n_tasks)
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    return info


def make_digest_users(url: str, n_users: int) -> None:
    """People 1..n_users with a login and a daily digest (more people made if needed, with
    their share of the tasks)."""
    from tracker.accounts.services import hash_password
    from tracker.models import Person, Task

    app = bench_app(url)
    with app.app_context():
        have = db.session.scalar(select(func.max(Person.id))) or 0
        password = hash_password(PASSWORD)
        if have < n_users:
            now = datetime.now(UTC)
            stamp = {"created_at": now, "updated_at": now, "version": 1}
            db.session.execute(insert(Person), [
                {"id": i, "name": f"Person {i}", "email": f"person{i}@bench.example",
                 "active": True, "session_epoch": 0, "reminder_minutes": 900, **stamp}
                for i in range(have + 1, n_users + 1)
            ])
            # The new people own their share of the tasks, as the seeded ones do.
            db.session.execute(
                update(Task).where(Task.id % n_users + 1 > have)
                .values(owner_id=Task.id % n_users + 1)
            )
        db.session.execute(
            update(Person).where(Person.id <= n_users, Person.role.is_(None))
            .values(role="viewer", password_hash=password)
        )
        db.session.execute(
            update(Person).where(Person.id <= n_users)
            .values(digest="daily", active=True)
        )
        db.session.execute(update(Person).where(Person.id > n_users).values(digest="never"))
        db.session.commit()
        db.engine.dispose()


def forget_digests(url: str) -> None:
    """Today's digests count as not sent yet, so each run queues and sends them all."""
    from tracker.notify.models import DigestRun, OutboxMessage

    app = bench_app(url)
    with app.app_context():
        db.session.execute(delete(DigestRun))
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        db.engine.dispose()


class Sink:
    """An SMTP server on loopback that counts what it receives."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received += 1
        return "250 OK"


def flask(url: str, *args: str, smtp_url: str | None = None
          ) -> tuple[float, float, float, str]:
    """Run `flask --app wsgi ARGS` against `url`: seconds, CPU seconds, peak RSS in MiB,
    its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DATABASE_URL=url, TRACKER_SECRET_KEY="bench",
               TRACKER_BASE_URL="https://tracker.bench")
    if smtp_url:
        env["TRACKER_SMTP_URL"] = smtp_url
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                                cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
        # wait4 (not proc.wait) gives the child's own resource usage: ru_maxrss in KiB.
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}):\n{output}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def measure(url: str, workdir: Path, runs: int, n_exchanges: int, n_tasks: int,
            digest_users: int, which: tuple[str, ...] = COMMANDS) -> list[Result]:
    """Prepare the data set at `url`, then time each command in `which` `runs` times."""
    results = {name: Result(name) for name in which}
    prepare(url, n_exchanges, n_tasks)
    dump = workdir / "export.json"
    if "export" in which or "import" in which:
        for _ in range(runs if "export" in which else 1):
            measured = flask(url, "export", str(dump))
            if "export" in results:
                _record(results["export"], *measured)
    if "digests" in which:
        from aiosmtpd.controller import Controller

        make_digest_users(url, digest_users)
        sink = Sink()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = Controller(sink, hostname="127.0.0.1", port=port)
        server.start()
        try:
            smtp = f"smtp://127.0.0.1:{port}"
            for _ in range(runs):
                forget_digests(url)
                sink.received = 0
                *measured, output = flask(url, "notify", "digests", smtp_url=smtp)
                _record(results["digests"], *measured,
                        f"{output.strip()} (server received {sink.received})")
        finally:
            server.stop()
    postgres = url.startswith("postgresql")
    if "import" in which:
        target = url if postgres else f"sqlite:///{workdir / 'import.sqlite3'}"
        for _ in range(runs):
            fresh_database(target)
            _record(results["import"], *flask(target, "import", str(dump)))
    if "demo" in which:
        target = url if postgres else f"sqlite:///{workdir / 'demo.sqlite3'}"
        for _ in range(runs):
            fresh_database(target)
            _record(results["demo"], *flask(target, "demo"))
    return [results[name] for name in which]


def _record(result: Result, seconds: float, cpu: float, peak: float, output: str) -> None:
    result.seconds.append(seconds)
    result.cpu.append(cpu)
    result.peak_mib.append(peak)
    # What the command reports (demo's first line; the digests' two lines).
    lines = [line for line in output.splitlines() if line.strip()]
    result.output = " ".join(lines[:2] if result.name == "digests" else lines[:1])


LABELS = {
    "export": "flask export FILE",
    "import": "flask import FILE (fresh database)",
    "demo": "flask demo (fresh database)",
    "digests": "flask notify digests",
}


def table(results: list[Result]) -> str:
    lines = ["| command | median s | CPU s | peak RSS MiB | what it reported |",
             "| --- | ---: | ---: | ---: | --- |"]
    for r in results:
        lines.append(f"| {LABELS[r.name]} | {statistics.median(r.seconds):.1f} | "
                     f"{statistics.median(r.cpu):.1f} | {max(r.peak_mib):.0f} | {r.output} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exchanges", type=int, default=5000)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--digest-users", type=int, default=300)
    parser.add_argument("--only", choices=COMMANDS, action="append",
                        help="time only this command (repeatable)")
    args = parser.parse_args()
    which = tuple(args.only) if args.only else COMMANDS
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        results = measure(url, Path(tmp), args.runs, args.exchanges, args.tasks,
                          args.digest_users, which)
    print(f"\n{args.exchanges} exchanges, {args.tasks} tasks, digests for "
          f"{args.digest_users} users; {url.split(':')[0]}; median of {args.runs} runs\n")
    print(table(results))


if __name__ == "__main__":
    main()
