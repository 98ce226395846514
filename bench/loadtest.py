"""Load figures: the app served by gunicorn with production settings, driven by wrk.

    make loadtest            (or: DATABASE_URL=postgres://... python -m bench.loadtest)

On the benchmark catalogue (seeded on first use, 5,000 providers, about 20,000 sites) this starts,
each on 127.0.0.1 and stopped at the end by its PID:

- a Redis server of its own on a free port (the broker, and the cache when the settings use it);
- a Celery worker, so that a started run is picked up as in production;
- gunicorn with production settings (DEBUG off) and two sync workers by default.

Then it drives each endpoint with wrk (Debian's package) for a bounded time, in three rounds of
every case in turn (`--rounds`), and prints each case's median round: requests per second and the
50th and 99th percentile latencies, each beside `/healthz` measured in the same way as a ratio:

- `/healthz`, the floor: no database, no template;
- the directory with three filters, the same query again and again (served from the cache);
- the directory with three filters, a different combination on every request (each built anew);
- the profile of the provider with the most sites;
- the providers API with two filters;
- the brief form's live preview (a signed-in member's POST, as htmx sends it);
- starting a run through the API: the first request queues a run, and the next ones, while it
  is in progress, are answered with it (as a second click on Run match is); the runs are
  deleted afterwards.

Any response other than 2xx or 3xx is counted and reported: a figure is only worth quoting when
every response was a correct one.
"""

import argparse
import contextlib
import dataclasses
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.setup import seeded_catalogue  # sets Django up first

ROOT = Path(__file__).resolve().parent.parent
WRK = shutil.which("wrk")
# What the figures are compared with in docs/ and DESIGN.md: the directory's targets.
DIRECTORY_REPEATED_TARGET = 300
DIRECTORY_DISTINCT_TARGET = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A child process, in its own process group, ended with its children when the block ends."""
    with log.open("wb") as output:
        child = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield child
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


@dataclass
class Figure:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad_responses: int


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _latency_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT_MS[unit]


def _parse_wrk(name: str, output: str) -> Figure:
    def after(label: str) -> str:
        match = re.search(rf"^\s*{re.escape(label)}\s+(\S+)", output, re.MULTILINE)
        if match is None:
            raise SystemExit(f"wrk printed no {label!r} for {name}:\n{output}")
        return match.group(1)

    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Figure(
        name=name,
        requests_per_second=float(after("Requests/sec:")),
        p50_ms=_latency_ms(after("50%")),
        p99_ms=_latency_ms(after("99%")),
        requests=requests,
        bad_responses=(int(bad.group(1)) if bad else 0)
        + (sum(int(n) for n in errors.groups()) if errors else 0),
    )


# One Lua script serves every case: a fixed method, body and headers, and either one path or a
# list of paths taken in turn (thread i starts at its own offset, so threads never repeat each
# other's paths within a run).
LUA = """
local paths = {PATHS}
local counter = 0
local offset = 0
local threads = {THREADS}
local n = 0
function setup(thread)
  thread:set("offset", n)
  n = n + 1
end
function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
end
wrk.method = "{METHOD}"
wrk.body = {BODY}
{HEADERS}
function request()
  local index = (offset + counter * threads) % #paths + 1
  counter = counter + 1
  return wrk.format(nil, paths[index])
end
"""


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


@dataclass
class Case:
    """One endpoint as wrk drives it, and what its answer must be for the figure to count."""

    name: str
    paths: list[str]
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    contains: str = ""
    duration: int | None = None
    connections: int | None = None


def _wrk(case: Case, base: str, args: argparse.Namespace) -> Figure:
    paths, method, body, headers = case.paths, case.method, case.body, case.headers
    duration, connections, name = case.duration, case.connections, case.name
    script = LUA.replace("{PATHS}", "{" + ", ".join(_lua_string(p) for p in paths) + "}")
    script = script.replace("{THREADS}", str(args.threads)).replace("{METHOD}", method)
    script = script.replace("{BODY}", _lua_string(body) if body else "nil")
    script = script.replace(
        "{HEADERS}",
        "\n".join(
            f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items()
        ),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        output = subprocess.run(
            [
                WRK,
                f"-t{args.threads}",
                f"-c{connections or args.connections}",
                f"-d{duration or args.duration}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                lua.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(lua.name).unlink()
    return _parse_wrk(name, output)


def _median(figures: list[Figure]) -> Figure:
    """The median round by requests per second (the lower middle of an even number), with the
    bad responses of every round."""
    ranked = sorted(figures, key=lambda figure: figure.requests_per_second)
    middle = ranked[(len(ranked) - 1) // 2]
    bad = sum(figure.bad_responses for figure in figures)
    return dataclasses.replace(middle, bad_responses=bad)


def _read(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def _answer(base: str, case: "Case") -> tuple[int, str]:
    """One request of a case, before it is timed: its status and the start of its body."""
    request = urllib.request.Request(
        base + case.paths[0],
        data=case.body.encode() if case.body else None,
        headers=case.headers,
        method=case.method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(2000).decode(errors="replace")


def _signed_in_member() -> tuple[str, int, str]:
    """A member of a loadtest organisation with one brief: (session cookie, brief id, form body)."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from bench.run import _brief
    from matching.choices import Role
    from matching.forms import BriefForm
    from matching.models import Membership

    brief = _brief()
    user, _ = get_user_model().objects.get_or_create(
        username="loadtest", defaults={"email": "loadtest@bench.invalid"}
    )
    user.set_password(secrets.token_urlsafe(16))
    user.save()
    Membership.objects.update_or_create(
        user=user, defaults={"organisation": brief.organisation, "role": Role.MEMBER}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    form = BriefForm(instance=brief)
    data: list[tuple[str, str]] = []
    for bound_field in form:
        value = bound_field.value()
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        choices = getattr(bound_field.field, "choices", None)
        if choices is not None and isinstance(value, list | tuple):
            # The benchmark brief's criterion-level must-have is not a choice of today's form.
            allowed = {str(choice) for choice, _ in choices}
            values = [v for v in values if str(v) in allowed]
        data.extend((bound_field.html_name, str(v)) for v in values if v is not None)
    return session.session_key or "", brief.pk, urlencode(data)


# The capability filter of the distinct case's queries, one kind a round: no round asks for a
# query an earlier one has had answered (and cached).
ROUND_TERM_KINDS = ("modality", "dosage_form", "service", "technology")


def _distinct_directory_paths(kind: str = "modality") -> list[str]:
    """Directory URLs with three filters (a capability of `kind`, a region, a certificate), each
    combination once."""
    from partners.choices import CertificationKind, Region
    from partners.models import Term

    terms = list(Term.objects.filter(kind=kind).order_by("slug").values_list("slug", flat=True))
    return [
        "/providers/?" + urlencode({kind: term, "region": r, "certification": c})
        for c in CertificationKind.values
        for r in Region.values
        for term in terms
    ]


def _top_profile_path() -> str:
    from django.db.models import Count

    from partners.models import Provider

    provider = Provider.objects.annotate(n=Count("sites")).order_by("-n", "slug").first()
    if provider is None:
        raise SystemExit("The catalogue is empty")
    return f"/providers/{provider.slug}/"


def _delete_loadtest_runs(brief_id: int) -> int:
    from matching.models import Run

    runs = Run.objects.filter(brief_id=brief_id)
    count = runs.count()
    runs.delete()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        choices=range(1, len(ROUND_TERM_KINDS) + 1),
        help="times each case is driven, in turn; the median round is shown",
    )
    args = parser.parse_args()
    if WRK is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian's package)")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")

    from django.core.management import call_command

    seeded_catalogue(args.providers, 42)
    from partners.models import Site

    sites = Site.objects.count()
    call_command("collectstatic", "--noinput", verbosity=0)
    session_key, brief_id, preview_body = _signed_in_member()
    _delete_loadtest_runs(brief_id)
    round_paths = [_distinct_directory_paths(kind) for kind in ROUND_TERM_KINDS[: args.rounds]]
    distinct_paths = round_paths[0]
    profile_path = _top_profile_path()

    redis_port, web_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "CELERY_QUEUE": "loadtest",
        # The figures are the app's, not its guards': quotas and rate limits are out of the way.
        "MATCHING_MAX_CONCURRENT_RUNS": "100000",
        "MATCHING_MAX_RUNS_PER_DAY": "100000",
        "API_RATE_ANONYMOUS": "1000000/second",
        "API_RATE_USER": "1000000/second",
        "API_RATE_RUN_START": "1000000/second",
        "LOG_LEVEL": "WARNING",
    }
    logs = Path(tempfile.mkdtemp(prefix="cdmo-loadtest-"))
    csrf = secrets.token_hex(16)  # an unmasked 32-character secret is a valid token
    cookies = f"sessionid={session_key}; csrftoken={csrf}"
    signed_in = {"Cookie": cookies, "X-CSRFToken": csrf, "Referer": base + "/"}

    redis_command = [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1"]
    redis_command += ["--save", "", "--appendonly", "no"]
    celery = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "loadtest"]
    celery += ["-c", "1", "--without-gossip", "--without-mingle", "-l", "WARNING"]
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(args.web_workers)]
    gunicorn += ["-b", f"127.0.0.1:{web_port}", "--timeout", "60"]
    with (
        _process(redis_command, env, logs / "redis.log"),
        _process(celery, env, logs / "worker.log"),
        _process(gunicorn, env, logs / "gunicorn.log"),
    ):
        _wait_for(base + "/healthz", 60)
        # Each web worker builds its in-process indexes (the directory's facets and cards, the
        # vocabulary, the matching index) on its first requests after a start or a catalogue
        # change, as after a deploy; they are built before anything is timed, by several
        # requests at once so that every worker gets some. The directory is warmed with pages
        # of the unfiltered list, none of which the distinct case asks for.
        warm_paths = ["/healthz", profile_path, "/api/providers/"]
        warm_paths += [f"/providers/?page={n}" for n in range(2, 2 + 4 * args.web_workers)]
        with ThreadPoolExecutor(max_workers=2 * args.web_workers) as pool:
            list(pool.map(_read, [base + path for path in warm_paths]))

        repeated = "/providers/?modality=mab&region=europe&certification=eu-gmp"
        form_headers = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
        cases = [
            Case("/healthz", ["/healthz"], expect=200),
            Case("directory, 3 filters, repeated", [repeated], expect=200, contains="result"),
            Case("directory, 3 filters, distinct", distinct_paths, expect=200, contains="result"),
            Case("profile (most sites)", [profile_path], expect=200, contains="<h1"),
            Case(
                "providers API, 2 filters",
                ["/api/providers/?country=DE&kind=cdmo"],
                expect=200,
                contains='"results"',
            ),
            Case(
                "brief preview (POST)",
                ["/briefs/preview/"],
                method="POST",
                body=preview_body,
                headers={**signed_in, **form_headers},
                expect=200,
                contains="eligible",
            ),
            Case(
                "run start (API POST)",
                [f"/api/briefs/{brief_id}/runs/"],
                method="POST",
                body='{"method": "weighted"}',
                headers={**signed_in, "Content-Type": "application/json"},
                expect=202,
                contains='"status"',
                duration=min(args.duration, 5),
                connections=2,
            ),
        ]
        for case in cases:
            # Checked, several times at once (warming every worker) but for the run start,
            # whose first request queues a run.
            times = 1 if case.expect == 202 else 2 * args.web_workers
            with ThreadPoolExecutor(max_workers=times) as pool:
                answers = list(pool.map(lambda _, case=case: _answer(base, case), range(times)))
            status, text = next(
                (answer for answer in answers if answer[0] != case.expect), answers[0]
            )
            if status != case.expect or case.contains not in text:
                raise SystemExit(
                    f"{case.name}: answered {status} (expected {case.expect} with "
                    f"{case.contains!r}):\n{text[:600]}\nLogs: {logs}"
                )
        # Round after round of every case, so that a slow spell of a shared machine falls on
        # each case alike; each figure is its case's median round by requests per second.
        rounds = []
        for paths in round_paths:
            cases[2] = dataclasses.replace(cases[2], paths=paths)
            rounds.append([_wrk(case, base, args) for case in cases])
        figures = [_median(list(of_case)) for of_case in zip(*rounds, strict=True)]
    created = _delete_loadtest_runs(brief_id)

    floor = figures[0]
    print(
        f"\nLoad test: {sites:,} sites, gunicorn with {args.web_workers} sync workers, "
        f"wrk -t{args.threads} -c{args.connections} for {args.duration} s an endpoint "
        f"(run start: 2 connections, {min(args.duration, 5)} s), on {os.cpu_count()} cores."
    )
    print(
        f"Median of {args.rounds} rounds; the distinct case asks each round for queries none "
        f"asked before ({', '.join(f'{len(p):,}' for p in round_paths)} available)."
    )
    header = (
        f"{'endpoint':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs /healthz':>12} {'bad':>5}"
    )
    print(header)
    print("-" * len(header))
    for figure in figures:
        ratio = figure.requests_per_second / floor.requests_per_second
        print(
            f"{figure.name:34} {figure.requests_per_second:8.1f} {figure.p50_ms:8.1f} "
            f"{figure.p99_ms:8.1f} {ratio:11.3f}x {figure.bad_responses:5d}"
        )
    distinct = figures[2]
    for paths, of_round in zip(round_paths, rounds, strict=True):
        if of_round[2].requests > len(paths):
            print(
                f"Note: a distinct round sent {of_round[2].requests:,} requests, so some repeated."
            )
    print(f"Runs queued by the run-start case, deleted afterwards: {created:,}")
    print(
        f"Targets: directory repeated ≥ {DIRECTORY_REPEATED_TARGET}/s "
        f"({figures[1].requests_per_second:.0f}), distinct ≥ {DIRECTORY_DISTINCT_TARGET}/s "
        f"({distinct.requests_per_second:.0f}). Logs: {logs}"
    )
    bad = [f.name for f in figures if f.bad_responses]
    if bad:
        raise SystemExit(f"Responses other than 2xx/3xx (see {logs}): {', '.join(bad)}")


if __name__ == "__main__":
    main()
