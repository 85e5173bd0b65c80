"""`make bench`: the pages over HTTP against Django's floor, in one interleaved run.

    .venv/bin/python bench/run.py                 # S and L, 3 rounds x 5 s, c=1 and c=8
    .venv/bin/python bench/run.py --quick         # S only, 1 round x 2 s, nothing written
    .venv/bin/python bench/run.py --rounds 5 --duration 8 --rebuild

Builds S (the demo) and L (the demo + seed_bench) in PostgreSQL, or reuses them when they
were built from the same code today (a fingerprint table in each database); runs
`migrate` on a reused one. Serves each with production settings (DEBUG=0, whitenoise and
the manifest storage, a Redis cache) under gunicorn (config/gunicorn.conf.py, 2 gthread
workers x 4 threads), with BENCH_VIEWS=1 for the reference views of bench/views.py. Then
wrk (Debian's `wrk`, one thread) requests every URL in turn, for every concurrency, for
`--rounds` rounds (each round in the opposite order to the one before), and reports the
median req/s of each against the floor of the same server; the sign-ups are logged-in
POSTs with CSRF spread over 100 activities, checked after the run (no error, no
over-booking, one sign-up per request). Finally bench/summary.py runs on the largest size,
and bench/subdistrict_summary.py on SUB (the subdistrict of issue 13: the demo +
`seed_bench --communities 12`, 120,000 residents, 1,000,000 sign-ups; built after the
HTTP scenarios, reused the same day; `--no-subdistrict` skips it).
A full run writes the table into bench/RESULTS.md (between the `bench:latest` markers).

Everything is configurable by flag or environment: BENCH_PG (server URL without database),
BENCH_DB_PREFIX, BENCH_PORT (first of the ports used), BENCH_CACHE_URL (Redis database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / ".out"
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable
GUNICORN = str(Path(PY).parent / "gunicorn")
RESULTS = BENCH / "RESULTS.md"
MARK_BEGIN = "<!-- bench:latest:begin -->"
MARK_END = "<!-- bench:latest:end -->"

#: seed_bench's arguments for L (the issue's district).
L_SEED = [
    "--residents",
    "100000",
    "--activities",
    "10000",
    "--signups",
    "1000000",
    "--months",
    "24",
]
#: seed_bench's arguments for SUB, the subdistrict of issue 13 (12 communities x 10,000
#: residents, 1,000,000 sign-ups): only the subdistrict summary is measured on it, in-process.
SUB_SEED = [
    "--communities",
    "12",
    "--residents",
    "120000",
    "--activities",
    "12000",
    "--signups",
    "1000000",
    "--months",
    "24",
]
#: What the data of each size is built from: a change to any of these rebuilds it.
SOURCES = ["demo/community.py", "demo/management/commands/load_demo.py"]
L_SOURCES = ["demo/management/commands/seed_bench.py"]
SECRET_KEY = "bench-only-not-a-secret-7bQ2xK9mLp4vR8sT1wZ3bN7cH0jD5gYu-Aq8eWz3Vt"
FORWARDED = {"X-Forwarded-Proto": "https"}  # as nginx says after terminating TLS


# --- targets ------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    label: str
    size: str
    path: str = ""
    who: str = "anonymous"  # anonymous, resident, secretary
    kind: str = "page"  # floor, page, insert, insert_in (logged in), signups
    min_ratio: float | None = None  # to the floor of its server


def scenarios(sizes: list[str], signup_size: str, state: dict) -> list[Scenario]:
    big = sizes[-1]
    out: list[Scenario] = []
    for size in sizes:
        st = state[size]
        out += [
            Scenario(
                f"floor_{size}",
                f"floor (one-line view) at {size}",
                size,
                "/bench/floor",
                kind="floor",
            ),
            Scenario(f"pk_{size}", f"primary-key lookup at {size}", size, st["pk_path"]),
            Scenario(
                f"insert_{size}",
                f"insert (POST, CSRF) at {size}",
                size,
                "/bench/insert",
                kind="insert",
            ),
            Scenario(
                f"list_{size}", f"`/activities/` at {size}", size, "/activities/", min_ratio=0.25
            ),
            Scenario(f"home_{size}", f"`/` at {size}", size, "/", min_ratio=0.25),
            Scenario(
                f"detail_{size}",
                f"activity page, resident, at {size}",
                size,
                st["detail_path"],
                who="resident",
                min_ratio=0.1,
            ),
            Scenario(
                f"me_{size}",
                f"`/me/`, resident, at {size}",
                size,
                "/me/",
                who="resident",
                min_ratio=0.1,
            ),
        ]
        if st.get("secretary_session"):
            out.append(
                Scenario(
                    f"summary_{size}",
                    f"summary page, secretary, at {size}",
                    size,
                    st["summary_path"],
                    who="secretary",
                )
            )
    out += [
        Scenario(
            f"past_{big}", f"`/activities/?when=past` at {big}", big, "/activities/?when=past"
        ),
        Scenario(
            f"page50_{big}",
            f"`/activities/?when=past&page=50` at {big}",
            big,
            "/activities/?when=past&page=50",
        ),
        Scenario(
            f"insert_in_{signup_size}",
            f"insert, logged in (POST, CSRF, session) at {signup_size}",
            signup_size,
            "/bench/insert-logged-in",
            who="resident",
            kind="insert_in",
        ),
        Scenario(
            f"signups_{signup_size}",
            f"sign-ups (POST, 100 activities) at {signup_size}",
            signup_size,
            "/activities/",
            who="resident",
            kind="signups",
        ),
    ]
    return out


# --- helpers ------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, text=True, **kw)


def psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", url, "-XAtqc", sql], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


@dataclass
class Config:
    pg: str
    prefix: str
    port: int
    cache_url: str
    sizes: list[str]
    rounds: int
    duration: float
    concurrency: list[int]
    rebuild: bool
    reuse: bool
    write: bool
    summary: bool
    subdistrict: bool
    reused: dict = field(default_factory=dict)  # size: built from this very code?
    logs: dict = field(default_factory=dict)  # size: AccessLog

    def db(self, size: str) -> str:
        return f"{self.prefix}_{size.lower()}"

    def db_url(self, size: str) -> str:
        return f"{self.pg.rstrip('/')}/{self.db(size)}"

    def port_of(self, size: str) -> int:
        return self.port + ["S", "L"].index(size)

    def server_env(self, size: str) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.db_url(size),
            DEBUG="0",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CACHE_URL=f"{self.cache_url}?key_prefix=bench_{size.lower()}",
            BENCH_VIEWS="1",
            GUNICORN_BIND=f"127.0.0.1:{self.port_of(size)}",
            GUNICORN_WORKERS=os.environ.get("BENCH_WORKERS", "2"),
            GUNICORN_THREADS=os.environ.get("BENCH_THREADS", "4"),
            # No recycling in the middle of a measurement (production: 2000 requests).
            GUNICORN_MAX_REQUESTS="0",
            LOG_LEVEL="WARNING",
        )
        return env


# --- building S and L ---------------------------------------------------------------------


def seed_args(size: str) -> list[str]:
    """seed_bench's arguments for `size` (none for S, the demo alone)."""
    return {"L": L_SEED, "SUB": SUB_SEED}.get(size, [])


def fingerprint(size: str) -> str:
    digest = hashlib.sha256(size.encode())
    seed = seed_args(size)
    for name in SOURCES + (L_SOURCES if seed else []):
        digest.update((ROOT / name).read_bytes())
    if seed:
        digest.update(" ".join(seed).encode())
    # The demo and seed_bench place activities around today (the community's): rebuilt
    # once a day.
    digest.update(dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat().encode())
    return digest.hexdigest()[:16]


def build(cfg: Config, size: str) -> None:
    url, db = cfg.db_url(size), cfg.db(size)
    env = dict(os.environ, DATABASE_URL=url)
    want = fingerprint(size)
    have = psql(url, "SELECT value FROM bench_fingerprint")
    if (have == want or (have and cfg.reuse)) and not cfg.rebuild:
        why = "built today from the same code" if have == want else "--reuse"
        log(f"{size}: reusing {db} ({why}); migrate")
        run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
        run(["psql", url, "-XAtqc", "ANALYZE"])  # tables a migration added or filled
        cfg.reused[size] = have == want
        return
    log(f"{size}: building {db} ({'stale' if have else 'new'}); L takes a few minutes")
    started = time.monotonic()
    host = re.sub(r"/+$", "", cfg.pg)
    run(["psql", host + "/postgres", "-XAtqc", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'])
    run(["psql", host + "/postgres", "-XAtqc", f'CREATE DATABASE "{db}"'])
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    run([PY, "manage.py", "load_demo", "--force"], env=env, stdout=subprocess.DEVNULL)
    if seed_args(size):
        run([PY, "manage.py", "seed_bench", *seed_args(size)], env=env)
    run(["psql", url, "-XAtqc", "VACUUM ANALYZE"])
    stamp(url, want)
    log(f"{size}: built in {time.monotonic() - started:.0f} s")


def stamp(url: str, value: str) -> None:
    run(
        [
            "psql",
            url,
            "-XAtqc",
            "CREATE TABLE IF NOT EXISTS bench_fingerprint (value text NOT NULL); "
            f"DELETE FROM bench_fingerprint; INSERT INTO bench_fingerprint VALUES ('{value}')",
        ]
    )


# --- serving -------------------------------------------------------------------------------


def http(port: int, path: str, *, method="GET", headers=None, data=None) -> tuple[int, str]:
    """One request without following redirects: (status, Location or body start)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=data,
        headers={**FORWARDED, **(headers or {})},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read(300).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location") or error.read(300).decode()


def start_server(cfg: Config, size: str) -> subprocess.Popen:
    port = cfg.port_of(size)
    logfile = open(OUT / f"gunicorn-{size}.log", "w")  # noqa: SIM115 - closed with the server
    cfg.logs[size] = AccessLog(Path(logfile.name))
    server = subprocess.Popen(
        [GUNICORN, "-c", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=cfg.server_env(size),
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    for _ in range(120):
        time.sleep(0.5)
        if server.poll() is not None:
            sys.exit(f"gunicorn for {size} exited; see {logfile.name}")
        try:
            if http(port, "/healthz")[0] == 200:
                log(f"{size}: gunicorn pid {server.pid} on 127.0.0.1:{port}")
                return server
        except OSError:
            continue
    server.terminate()
    sys.exit(f"gunicorn for {size} did not answer /healthz; see {logfile.name}")


def stop(servers: dict) -> None:
    for server in servers.values():
        if server.poll() is None:
            server.terminate()
    for server in servers.values():
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


# --- measuring ------------------------------------------------------------------------------


def cookies(state: dict, who: str) -> str:
    if who == "anonymous":
        return ""
    session = state["resident_session"] if who == "resident" else state["secretary_session"]
    return f"{state['session_cookie']}={session}"


#: The insert views' scenarios, and the file of POSTs each one sends.
INSERTS = {"insert": "insert", "insert_in": "insert-in"}


def insert_cookies(state: dict, who: str) -> str:
    """The cookies of an insert POST: the CSRF cookie, and the resident's session."""
    csrf = f"{state['csrf_cookie']}={state['csrf_token']}"
    return csrf if who == "anonymous" else f"{csrf}; {cookies(state, who)}"


def check_scenario(cfg: Config, sc: Scenario, state: dict) -> None:
    """Fail before measuring when a URL does not answer as expected."""
    port = cfg.port_of(sc.size)
    if sc.kind == "signups":
        return  # checked after the run, by the database
    headers = {}
    data = None
    method = "GET"
    if sc.kind in INSERTS:
        token = state["csrf_token"]
        method, data = "POST", f"csrfmiddlewaretoken={token}".encode()
        headers = {
            "Cookie": insert_cookies(state, sc.who),
            "X-CSRFToken": token,
            "Origin": f"https://127.0.0.1:{port}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
    elif sc.who != "anonymous":
        headers = {"Cookie": cookies(state, sc.who)}
    status, body = http(port, sc.path, method=method, headers=headers, data=data)
    if status != 200:
        sys.exit(f"{sc.label}: {sc.path} answered {status} {body[:200]!r}")


ACCESS_LINE = re.compile(r'"(?:GET|POST|HEAD) [^"]*" (\d{3}) ')
#: Longest wait, with no answer at all, for the requests still in the server when wrk stops.
DRAIN_TIMEOUT = 120


class AccessLog:
    """The statuses of the requests a server has answered so far, read from its access log
    as it grows (gunicorn writes the line once the response is done, even when the client
    has gone)."""

    def __init__(self, path: Path):
        self.path, self.offset, self.rest, self.statuses = path, 0, b"", []

    def read(self) -> list[str]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = self.rest + f.read()
            self.offset = f.tell()
        *lines, self.rest = data.split(b"\n")
        for line in lines:
            match = ACCESS_LINE.search(line.decode("utf-8", "replace"))
            if match:
                self.statuses.append(match.group(1))
        return self.statuses


def wrk(cfg: Config, sc: Scenario, state: dict, c: int, duration: float, offset: int = 0) -> dict:
    """One wrk run, then wait until the server has answered every request wrk sent: the
    rate is requests answered / (wrk's time + that wait), so that a page slower than the
    window is measured (not 0) and its requests in flight never slow the next URL down."""
    port = cfg.port_of(sc.size)
    cmd = [
        "wrk",
        "-t1",
        f"-c{c}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "60s",
        "-s",
        str(BENCH / "wrk.lua"),
    ]
    for name, value in FORWARDED.items():
        cmd += ["-H", f"{name}: {value}"]
    args: list[str] = []
    if sc.kind in INSERTS:
        args = [
            str(OUT / f"{INSERTS[sc.kind]}-{sc.size}.tsv"),
            "0",
            f"127.0.0.1:{port}",
            f"https://127.0.0.1:{port}",
        ]
    elif sc.kind == "signups":
        args = [
            str(OUT / f"signups-{sc.size}.tsv"),
            str(offset),
            f"127.0.0.1:{port}",
            f"https://127.0.0.1:{port}",
        ]
    elif sc.who != "anonymous":
        cmd += ["-H", f"Cookie: {cookies(state, sc.who)}"]
    cmd += [f"http://127.0.0.1:{port}{sc.path}"]
    if args:
        cmd += ["--", *args]
    access = cfg.logs[sc.size]
    answered = len(access.read())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stopped = time.monotonic()
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        sys.exit(f"wrk failed for {sc.label}: {done.stdout}\n{done.stderr}")
    result = json.loads(line[4:])
    # wrk calls request() once more than it sends, to check the script (on thread 0's
    # state, before the run: script_verify_request).
    result["sent"] -= 1
    seen, last = answered, stopped
    while True:
        now = len(access.read())
        if now != seen:
            seen, last = now, time.monotonic()
        if now >= answered + result["sent"]:
            break
        if time.monotonic() - last > DRAIN_TIMEOUT:  # nothing answered for that long
            break
        time.sleep(0.05)
    statuses = access.statuses[answered:]
    result["drain_s"] = last - stopped  # until the last answer, not the quiet wait after it
    seconds = result["duration_us"] / 1e6 + result["drain_s"]
    result["rps"] = len(statuses) / seconds
    result["cpu"] = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / seconds
    expected = "302" if sc.kind == "signups" else "200"
    result["answered"] = {code: statuses.count(code) for code in set(statuses)}
    # What each error was: another status (by code), never answered, wrk's socket errors.
    result["bad_detail"] = {
        **{f"HTTP {code}": n for code, n in result["answered"].items() if code != expected},
        "never answered": max(0, result["sent"] - len(statuses)),
        "connect": result["connect"],
        "timeout": result["timeout"],
    }
    result["bad"] = sum(result["bad_detail"].values())
    return result


def measure(cfg: Config, scs: list[Scenario], state: dict) -> dict:
    results: dict = {(sc.key, c): [] for sc in scs for c in cfg.concurrency}
    offset = 0
    log("warming up")
    for sc in scs:
        if sc.kind != "signups":
            wrk(cfg, sc, state[sc.size], 1, 1)
    for r in range(cfg.rounds):
        order = scs if r % 2 == 0 else list(reversed(scs))
        for c in cfg.concurrency:
            for sc in order:
                res = wrk(cfg, sc, state[sc.size], c, cfg.duration, offset)
                if sc.kind == "signups":
                    offset += res["sent"] + 1
                results[(sc.key, c)].append(res)
                log(
                    f"round {r + 1}/{cfg.rounds} c={c} {sc.label}: {res['rps']:.1f} req/s"
                    + (f"  ({res['bad']} bad: {res['answered']})" if res["bad"] else "")
                )
    results["signup_offset"] = offset
    return results


# --- report ---------------------------------------------------------------------------------


def median_rps(results: dict, key: str, c: int) -> float | None:
    runs = results.get((key, c))
    return statistics.median(r["rps"] for r in runs) if runs else None


def fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "–"
    return f"{x:.{digits}f}" if x < 10 else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def report(cfg: Config, scs: list[Scenario], results: dict, checks: dict) -> tuple[str, bool]:
    cs = cfg.concurrency
    lines = [
        "| scenario | " + " | ".join(f"c={c} req/s | vs floor" for c in cs) + " | target | met |",
        "|---|" + "---:|---:|" * len(cs) + "---|---|",
    ]
    verdicts: list[tuple[str, bool | None]] = []
    floors = {sc.size: sc.key for sc in scs if sc.kind == "floor"}
    inserts = {sc.size: sc.key for sc in scs if sc.kind == "insert"}
    for sc in scs:
        base_key = inserts[sc.size] if sc.kind == "signups" else floors[sc.size]
        cells, ratios = [], []
        for c in cs:
            rps, base = median_rps(results, sc.key, c), median_rps(results, base_key, c)
            ratio = rps / base if rps is not None and base else None
            ratios.append(ratio)
            cells += [fmt(rps, 1), fmt(ratio)]
        target, met = "", None
        if sc.min_ratio is not None:
            target = f"≥ {sc.min_ratio} of floor"
            met = all(r is not None and r >= sc.min_ratio for r in ratios)
        elif sc.kind == "signups":
            target = "≥ 0.5 of insert, no error, no over-booking"
            met = all(r is not None and r >= 0.5 for r in ratios) and checks["ok"]
            cells = [x if i % 2 == 0 else f"{x} (of insert)" for i, x in enumerate(cells)]
        elif sc.key.startswith(("past_", "page50_")):
            target = "≥ 1/1.5 of upcoming page 1"
            up = f"list_{sc.size}"
            met = all(
                (median_rps(results, sc.key, c) or 0) * 1.5 >= (median_rps(results, up, c) or 0)
                for c in cs
            )
        if met is not None:
            verdicts.append((sc.label, met))
        lines.append(
            f"| {sc.label} | "
            + " | ".join(cells)
            + f" | {target} | {'' if met is None else 'yes' if met else '**no**'} |"
        )
    if "S" in cfg.sizes and "L" in cfg.sizes:
        lines += [
            "",
            "| page | " + " | ".join(f"L/S c={c}" for c in cs) + " | target | met |",
            "|---|" + "---:|" * len(cs) + "---|---|",
        ]
        for page in ("list", "home", "detail", "me", "summary", "pk"):
            ratios = [
                (median_rps(results, f"{page}_L", c) or 0)
                / (median_rps(results, f"{page}_S", c) or float("inf"))
                for c in cs
            ]
            if not any(ratios):
                continue
            met = all(r >= 0.8 for r in ratios)
            verdicts.append((f"L/S {page}", met))
            lines.append(
                f"| {page} | "
                + " | ".join(fmt(r) for r in ratios)
                + f" | ≥ 0.8 | {'yes' if met else '**no**'} |"
            )
    lines += signups_against_logged_in_insert(scs, results, cs)
    ok = all(m for _, m in verdicts)
    return "\n".join(lines), ok


def signups_against_logged_in_insert(scs: list[Scenario], results: dict, cs: list[int]) -> list:
    """For reading the sign-up rate (not a target of issue 12): the sign-ups against the
    same insert made by a logged-in resident, whose session and user every sign-up reads."""
    pairs = [
        (sc.key, f"insert_in_{sc.size}")
        for sc in scs
        if sc.kind == "signups" and any(o.key == f"insert_in_{sc.size}" for o in scs)
    ]
    out = []
    for signups, insert_in in pairs:
        ratios = []
        for c in cs:
            rps, base = median_rps(results, signups, c), median_rps(results, insert_in, c)
            ratios.append(f"c={c} {fmt(rps / base if rps is not None and base else None)}")
        out += [
            "",
            f"Sign-ups against the logged-in insert (for reading, no target): {', '.join(ratios)}.",
        ]
    return out


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({model or platform.processor()}), Linux {platform.release()}"


def write_results(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else "# HTTP benchmark results\n\n"
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    if MARK_BEGIN in old and MARK_END in old:
        head, rest = old.split(MARK_BEGIN, 1)
        new = head + block + rest.split(MARK_END, 1)[1]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(new)


# --- main ----------------------------------------------------------------------------------


def parse(argv=None) -> Config:
    p = argparse.ArgumentParser(description="Gongjian's HTTP benchmark (see bench/README.md).")
    p.add_argument(
        "--quick", action="store_true", help="S only, 1 round x 2 s, bench/RESULTS.md left alone"
    )
    p.add_argument("--sizes", default=None, help="S,L (default) or S")
    p.add_argument("--rounds", type=int, default=None, help="default 3 (quick: 1)")
    p.add_argument("--duration", type=int, default=None, help="seconds per URL, default 5")
    p.add_argument("--concurrency", default="1,8")
    p.add_argument("--rebuild", action="store_true", help="rebuild S and L even if current")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="keep S and L if they exist, even if built from other code (migrate only)",
    )
    p.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    p.add_argument("--no-summary", action="store_true", help="skip bench/summary.py")
    p.add_argument(
        "--no-subdistrict",
        action="store_true",
        help="skip building SUB and bench/subdistrict_summary.py on it",
    )
    a = p.parse_args(argv)
    sizes = (a.sizes or ("S" if a.quick else "S,L")).upper().split(",")
    return Config(
        pg=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
        prefix=os.environ.get("BENCH_DB_PREFIX", "gongjian_bench"),
        port=int(os.environ.get("BENCH_PORT", "8131")),
        cache_url=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7"),
        sizes=[s for s in ("S", "L") if s in sizes],
        rounds=a.rounds or (1 if a.quick else 3),
        duration=a.duration or (2 if a.quick else 5),
        concurrency=[int(c) for c in a.concurrency.split(",")],
        rebuild=a.rebuild,
        reuse=a.reuse,
        write=not (a.no_write or a.quick),
        summary=not (a.no_summary or a.quick),
        subdistrict=not (a.no_subdistrict or a.quick),
    )


def main(argv=None) -> int:
    cfg = parse(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    OUT.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    started = time.monotonic()
    for size in cfg.sizes:
        build(cfg, size)
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    dirs = [ROOT / "static", *ROOT.glob("*/static")]
    sources = [f for d in dirs for f in d.rglob("*") if f.is_file()]
    if not manifest.exists() or max(f.stat().st_mtime for f in sources) > manifest.stat().st_mtime:
        log("collectstatic (manifest storage)")
        run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env=cfg.server_env("S"))
    state = {}
    signup_size = cfg.sizes[-1]
    for size in cfg.sizes:
        env = cfg.server_env(size)
        run(
            [
                PY,
                "-m",
                "bench.prepare",
                "setup",
                "--out",
                str(OUT / f"state-{size}.json"),
                "--signups-file",
                str(OUT / f"signups-{size}.tsv"),
            ],
            env=env,
        )
        state[size] = st = json.loads((OUT / f"state-{size}.json").read_text())
        (OUT / f"insert-{size}.tsv").write_text(
            f"/bench/insert\t{insert_cookies(st, 'anonymous')}\t{st['csrf_token']}\n"
        )
        (OUT / f"insert-in-{size}.tsv").write_text(
            f"/bench/insert-logged-in\t{insert_cookies(st, 'resident')}\t{st['csrf_token']}\n"
        )
    servers = {}
    try:
        for size in cfg.sizes:
            servers[size] = start_server(cfg, size)
        scs = scenarios(cfg.sizes, signup_size, state)
        for sc in scs:
            check_scenario(cfg, sc, state[sc.size])
        results = measure(cfg, scs, state)
    finally:
        stop(servers)
    env = cfg.server_env(signup_size)
    checked = json.loads(
        run(
            [PY, "-m", "bench.prepare", "check", "--state", str(OUT / f"state-{signup_size}.json")],
            env=env,
            capture_output=True,
        ).stdout
    )
    ok_statuses = sum(
        r["answered"].get("302", 0)
        for c in cfg.concurrency
        for r in results[(f"signups_{signup_size}", c)]
    )
    bad = sum(r["bad"] for c in cfg.concurrency for r in results[(f"signups_{signup_size}", c)])
    checked["answered_302"] = ok_statuses
    checked["errors"] = bad
    detail: dict = {}
    for c in cfg.concurrency:
        for r in results[(f"signups_{signup_size}", c)]:
            for what, n in r["bad_detail"].items():
                detail[what] = detail.get(what, 0) + n
    checked["error_detail"] = ", ".join(f"{what}: {n}" for what, n in detail.items() if n)
    checked["ok"] = (
        bad == 0
        and not checked["overbooked"]
        and not checked["duplicates"]
        and checked["signups"] == ok_statuses  # one sign-up per request answered
        and results["signup_offset"] <= state[signup_size]["signup_requests"]
    )
    table, all_met = report(cfg, scs, results, checked)
    gen_cpu = {
        c: statistics.mean(r["cpu"] for sc in scs for r in results[(sc.key, c)])
        for c in cfg.concurrency
    }
    pg_version = psql(cfg.db_url(cfg.sizes[0]), "SHOW server_version")
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load_after = os.getloadavg()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            f"Run of {now} on commit `{commit[:100]}`.",
            f"Machine: {machine()}; PostgreSQL {pg_version}; gunicorn "
            f"{cfg.server_env('S')['GUNICORN_WORKERS']} gthread workers × "
            f"{cfg.server_env('S')['GUNICORN_THREADS']} threads per size, DEBUG=0, Redis cache.",
            *[
                f"{size} was built by other code than this commit's and kept (`--reuse`), "
                "after `migrate`."
                for size, same in cfg.reused.items()
                if not same
            ],
            f"{cfg.rounds} rounds × {cfg.duration:g} s per URL and concurrency, interleaved; "
            "median of the rounds. Load generator: wrk, one thread; its CPU: "
            + ", ".join(f"{gen_cpu[c] * 100:.0f} % of a core at c={c}" for c in cfg.concurrency)
            + f". Load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
            "(the machine is shared with other helpers' test runs: compare ratios within one "
            "run, never times across runs).",
            "",
            table,
            "",
            f"Sign-ups after the run: {checked['signups']} made ({checked['confirmed']} "
            f"confirmed, capacity {state[signup_size]['capacity']} on each of 100 activities) for "
            f"{checked['answered_302']} answered 302; {checked['errors']} errors"
            f"{' (' + checked['error_detail'] + ')' if checked['error_detail'] else ''}; "
            f"{len(checked['overbooked'])} activities over capacity; {checked['duplicates']} "
            f"duplicate sign-ups: {'ok' if checked['ok'] else '**NOT OK**'}.",
            f"All targets met: {'yes' if all_met else 'no'}. Took {time.monotonic() - started:.0f} s.",
        ]
    )
    print("\n" + text + "\n", flush=True)
    if cfg.summary:
        size = cfg.sizes[-1]
        log(f"bench/summary.py on {size}")
        done = subprocess.run(
            [PY, "bench/summary.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=dict(os.environ, DATABASE_URL=cfg.db_url(size)),
        )
        print(done.stdout, done.stderr, sep="\n")
        text += f"\n\n`bench/summary.py` at {size} (same run):\n\n```\n{done.stdout.strip()}\n```"
    if cfg.subdistrict:
        text += subdistrict_section(cfg)
    if cfg.write:
        write_results(text)
        log(f"written to {RESULTS.relative_to(ROOT)}")
    run([PY, "-m", "bench.prepare", "cleanup"], env=env, stdout=subprocess.DEVNULL)
    return 0 if checked["ok"] else 1


def subdistrict_section(cfg: Config) -> str:
    """Build SUB (or reuse it) after the HTTP scenarios, so that its seeding never overlaps
    a measurement, and run bench/subdistrict_summary.py on it (issue 13: under 1 s)."""
    build(cfg, "SUB")
    log("bench/subdistrict_summary.py on SUB")
    done = subprocess.run(
        [PY, "bench/subdistrict_summary.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, DATABASE_URL=cfg.db_url("SUB")),
    )
    print(done.stdout, done.stderr, sep="\n")
    seed = " ".join(SUB_SEED)
    return (
        f"\n\n`bench/subdistrict_summary.py` at SUB (the demo + `seed_bench {seed}`, "
        f"same run):\n\n```\n{done.stdout.strip()}\n```"
    )


if __name__ == "__main__":
    sys.exit(main())
