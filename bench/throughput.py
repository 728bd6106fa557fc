"""Throughput of feed 304s and of the home page under gunicorn (2 workers), measured with wrk.

    .venv/bin/python -m bench.throughput                    # SQLite in a temporary folder
    .venv/bin/python -m bench.throughput --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The database is prepared as bench/run.py does (1,000 exchanges, 10,000 tasks; PostgreSQL:
its public schema is dropped and made again). Then `gunicorn --workers 2 wsgi:app` (sync
workers, gunicorn's default and the README's deployment) serves it on a free loopback port,
and wrk loads two requests over loopback, --runs times for --duration seconds each after a
short warm-up:

- the seeded admin's personal feed with a matching If-None-Match (every answer must be 304);
- the home page `/` with a signed-in session cookie (every answer must be 200).

A small wrk script counts the answers by status, so an answer other than the expected one
(a 302 to /login from a lost session, say, which wrk itself counts as success) is an error
too. Sync workers close the connection after each answer, so wrk connects once per request.
With more connections than workers, requests wait in the listen queue: the latencies
include that wait. Prints a Markdown table (req/s, p50 and p99: medians over the runs).

Requests a second depend on what else runs on the machine; the CPU time each answer costs
hardly does. So the table also gives the workers' CPU milliseconds per request (user and
system time from /proc, over the counted runs), and on a PostgreSQL server on this machine
the database's too (its processes serving the benchmark's database): with 2 cores and
nothing else running, 2,000 ms divided by their sum is about the most requests a second.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

WRK = shutil.which("wrk") or "/usr/bin/wrk"
#: Sent on sign-in and by wrk alike: the session is bound to the browser that signed in.
USER_AGENT = "tracker-throughput-bench"

#: Counts wrk's answers by status (per thread, summed in done()); prints "Statuses: 200=N".
STATUS_SCRIPT = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(total) do
    table.insert(parts, code .. "=" .. n)
  end
  table.sort(parts)
  io.write("Statuses: " .. table.concat(parts, " ") .. "\\n")
end
"""

_TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass
class WrkResult:
    """What one wrk run reports."""

    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)

    def errors(self, expected: int | None = None) -> int:
        """Socket errors, plus answers other than `expected` (else non-2xx/3xx answers)."""
        wrong = self.non_2xx_3xx
        if expected is not None and self.statuses:
            wrong = sum(self.statuses.values()) - self.statuses.get(expected, 0)
        return sum(self.socket_errors.values()) + wrong


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise ValueError(f"not a wrk time: {value!r}")
    return float(match.group(1)) * _TIME_UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse the output of `wrk --latency` (with or without the status script)."""

    def find(pattern: str) -> re.Match:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output without {pattern!r}:\n{output}")
        return match

    result = WrkResult(
        requests=int(find(r"^\s*(\d+) requests in ").group(1)),
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)").group(1)),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)").group(1)),
    )
    if match := re.search(r"^\s*Non-2xx or 3xx responses: (\d+)", output, re.MULTILINE):
        result.non_2xx_3xx = int(match.group(1))
    if match := re.search(r"^\s*Socket errors: (.+)$", output, re.MULTILINE):
        result.socket_errors = {
            kind: int(n) for kind, n in re.findall(r"(\w+) (\d+)", match.group(1))
        }
    if match := re.search(r"^Statuses:(.*)$", output, re.MULTILINE):
        result.statuses = {
            int(code): int(n) for code, n in re.findall(r"(\d+)=(\d+)", match.group(1))
        }
    return result


def run_wrk(url: str, headers: dict[str, str], *, duration: float, threads: int = 2,
            connections: int = 8) -> tuple[WrkResult, str]:
    """One wrk run; its parsed result and its raw output."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(STATUS_SCRIPT)
        script.flush()
        command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency",
                   "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        done = subprocess.run(command + [url], capture_output=True, text=True,
                              timeout=duration + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout), done.stdout


# --- one request at a time: sign in, find the ETag, check the answer --------------------


def request(base_url: str, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body,
                     headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _cookies(jar: dict[str, str], headers: http.client.HTTPMessage) -> dict[str, str]:
    for line in headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(line).items():
            jar[name] = morsel.value
    return jar


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def sign_in(base_url: str, email: str, password: str) -> str:
    """Sign in through the login form (with its CSRF token); the Cookie header to send.

    The page after sign-in is fetched once, so the welcome message is shown and gone from
    the session: the cookie returned is the one every later page view keeps.
    """
    status, headers, body = request(base_url, "GET", "/login")
    jar = _cookies({}, headers)
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or not match:
        raise RuntimeError(f"GET /login answered {status} without a CSRF token")
    form = urlencode({"email": email, "password": password, "csrf_token": match.group(1)})
    status, headers, _ = request(
        base_url, "POST", "/login", {"Cookie": _cookie_header(jar),
                                     "Content-Type": "application/x-www-form-urlencoded"},
        form.encode())
    if status != 302:
        raise RuntimeError(f"POST /login answered {status}, not 302: sign-in failed")
    _cookies(jar, headers)
    status, headers, _ = request(base_url, "GET", "/", {"Cookie": _cookie_header(jar)})
    if status != 200:
        raise RuntimeError(f"GET / after sign-in answered {status}")
    return _cookie_header(_cookies(jar, headers))


def feed_etag(base_url: str, path: str) -> str:
    status, headers, _ = request(base_url, "GET", path)
    if status != 200 or not headers.get("ETag"):
        raise RuntimeError(f"the feed answered {status} (ETag {headers.get('ETag')!r})")
    return headers["ETag"]


@dataclass
class Scenario:
    name: str
    path: str
    headers: dict[str, str]
    expected: int


def check(base_url: str, scenario: Scenario) -> None:
    """One request first: the expected status, and no new cookie (nothing changes per view)."""
    status, headers, _ = request(base_url, "GET", scenario.path, scenario.headers)
    if status != scenario.expected:
        raise RuntimeError(f"{scenario.name}: {status}, expected {scenario.expected}")
    if headers.get_all("Set-Cookie"):
        raise RuntimeError(f"{scenario.name}: the answer sets a cookie; wrk would not keep it")


def scenarios(base_url: str, info: dict, feed: str) -> list[Scenario]:
    etag = feed_etag(base_url, feed)
    cookie = sign_in(base_url, info["admin_email"], info["password"])
    return [
        Scenario("personal feed, If-None-Match (304)", feed, {"If-None-Match": etag}, 304),
        Scenario("home page / signed in (200)", "/", {"Cookie": cookie}, 200),
    ]


# --- CPU time per request, from /proc (Linux) ---------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) "
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _CLOCK_TICKS


def database_pids(database: str) -> list[int]:
    """The local PostgreSQL server's processes serving `database` ("postgres: … <db> …")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            pids.append(int(entry.name))
    return pids


@dataclass
class CpuMeter:
    """CPU seconds of the workers (and of the database's server processes, if any)."""

    workers: Callable[[], list[int]]
    database: Callable[[], list[int]] | None = None

    def read(self) -> tuple[float, float | None]:
        db_seconds = cpu_seconds(self.database()) if self.database else None
        return cpu_seconds(self.workers()), db_seconds


def measure(base_url: str, found: list[Scenario], *, duration: float, runs: int,
            warmup: float = 2, threads: int = 2, connections: int = 8,
            progress=None, cpu: CpuMeter | None = None) -> list[dict]:
    """wrk against each scenario: a warm-up run (not counted), then `runs` runs."""
    rows = []
    for scenario in found:
        check(base_url, scenario)
        url = base_url + scenario.path
        headers = {"User-Agent": USER_AGENT, **scenario.headers}
        if warmup:
            run_wrk(url, headers, duration=warmup, threads=threads, connections=connections)
        before = cpu.read() if cpu else None
        results = []
        for i in range(runs):
            result, _ = run_wrk(url, headers, duration=duration, threads=threads,
                                connections=connections)
            results.append(result)
            if progress:
                progress(f"{scenario.name}, run {i + 1}: {result.requests} requests, "
                         f"{result.requests_per_s:.1f}/s, p50 {result.p50_ms:.2f} ms, "
                         f"p99 {result.p99_ms:.2f} ms, statuses {result.statuses}, "
                         f"socket errors {result.socket_errors or 0}")
        requests = sum(r.requests for r in results)
        worker_ms = db_ms = None
        if cpu and before and requests:
            after = cpu.read()
            worker_ms = (after[0] - before[0]) * 1000 / requests
            if after[1] is not None and before[1] is not None:
                db_ms = (after[1] - before[1]) * 1000 / requests
        rows.append({
            "name": scenario.name,
            "requests": requests,
            "rps": statistics.median(r.requests_per_s for r in results),
            "p50": statistics.median(r.p50_ms for r in results),
            "p99": statistics.median(r.p99_ms for r in results),
            "errors": sum(r.errors(scenario.expected) for r in results),
            "worker_cpu_ms": worker_ms,
            "db_cpu_ms": db_ms,
        })
    return rows


def _cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def table(rows: list[dict]) -> str:
    lines = ["| scenario | requests sent (all runs) | req/s | p50 ms | p99 ms | errors "
             "| worker CPU ms/request | database CPU ms/request |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['name']} | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} "
              f"| {r['p99']:.1f} | {r['errors']} | {_cpu(r.get('worker_cpu_ms'))} "
              f"| {_cpu(r.get('db_cpu_ms'))} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from bench.run import SECRET_KEY, bench_admin, bench_app, feed_path, prepare
    from bench.server import Server
    from tracker.extensions import db

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2, help="seconds, not counted")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = parser.parse_args(argv)
    if not Path(WRK).exists():
        parser.error(f"wrk is not installed ({WRK})")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        progress(f"preparing {url.split(':')[0]} …")
        info = prepare(url)
        app = bench_app(url)
        with app.app_context():
            feed = feed_path(bench_admin(info))
            db.session.commit()
            db.engine.dispose()
        server = Server(url, workers=args.workers, secret_key=SECRET_KEY,
                        base_url="https://tracker.bench")
        load_before = os.getloadavg()[0]
        database = urlsplit(url).path.lstrip("/") if url.startswith("postgresql") else ""
        cpu = CpuMeter(server.worker_pids,
                       (lambda: database_pids(database)) if database else None)
        try:
            rows = measure(server.url, scenarios(server.url, info, feed),
                           duration=args.duration, runs=args.runs, warmup=args.warmup,
                           threads=args.threads, connections=args.connections,
                           progress=progress, cpu=cpu)
        finally:
            log = server.stop()
            if log.strip():
                progress(f"gunicorn's error log (its end):\n{log[-4000:]}")
    print(f"\n{info['exchanges']:,} exchanges, {info['tasks']:,} tasks; {url.split(':')[0]}; "
          f"gunicorn --workers {args.workers} (sync); wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration:g}s, {args.runs} runs after a "
          f"{args.warmup:g} s warm-up; req/s, p50 and p99 are medians over the runs; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after\n")
    print(table(rows))


if __name__ == "__main__":
    main()
