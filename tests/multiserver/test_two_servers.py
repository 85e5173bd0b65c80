"""Two app servers (gunicorn, production settings) on two ports over one PostgreSQL primary,
one streaming replica (made by scripts/replica-setup) and one Redis: 200 sign-ups for 30
seats sent alternately to both confirm exactly 30; a login on one is valid on the other; a
lockout on one holds on the other; stopping the replica in the middle loses no request.

The primary is a throwaway PostgreSQL cluster of its own (initdb of the installed server,
not the cluster in DATABASE_URL): a base backup of a shared cluster copies everyone's data,
and a hot standby does not open for reads while another session on its primary holds a long
transaction with many savepoints, so a test on a shared primary would hang on what others
run (scripts/replica-setup itself is for the real primary).

Runs in CI's PostgreSQL pass (`.ci/run` starts Redis, and runs as root, which running
PostgreSQL as the postgres user needs); skipped, saying why, where any of that is missing.
Everything it starts is stopped and removed afterwards, even when it fails.

Ports and stores: MULTISERVER_PORTS (8151,8152), MULTISERVER_PRIMARY_PORT (5434),
MULTISERVER_REPLICA_PORT (5433), MULTISERVER_REDIS_URL (redis://127.0.0.1:6379/11, flushed
before and after).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from activities.models import SignUp

pytestmark = pytest.mark.multiserver

ROOT = Path(__file__).resolve().parents[2]
SEATS = 30
SIGN_UPS = 200
PORTS = [int(p) for p in os.environ.get("MULTISERVER_PORTS", "8151,8152").split(",")]
PRIMARY_PORT = int(os.environ.get("MULTISERVER_PRIMARY_PORT", "5434"))
REPLICA_PORT = int(os.environ.get("MULTISERVER_REPLICA_PORT", "5433"))
REDIS_URL = os.environ.get("MULTISERVER_REDIS_URL", "redis://127.0.0.1:6379/11")
REPLICA_SCRIPT = ROOT / "scripts" / "replica-setup"
GUNICORN = Path(sys.executable).with_name("gunicorn")
ATTACKER = {"X-Real-IP": "203.0.113.7"}  # behind the trusted proxy (127.0.0.1)


# --- preconditions ---------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (Debian keeps them off PATH)."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: int(d.parent.name),
    )
    return found[-1] if found else None


def _why_not() -> str | None:
    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        return "runs in the PostgreSQL pass: DATABASE_URL=postgres://… (as CI's second pass)"
    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_basebackup").exists():
        return "needs the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)"
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        return "needs root or the postgres user (PostgreSQL runs as postgres)"
    if not GUNICORN.exists():
        return f"needs gunicorn in {GUNICORN.parent}"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001 - any failure means "no Redis here"
        return f"needs Redis at {REDIS_URL} ({error})"
    return None


def _as_postgres(*args) -> list[str]:
    return list(args) if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *args]


# --- the cluster: databases, replica, Redis, two servers ----------------------------------------


def _with_db(url: urllib.parse.SplitResult, name: str, port: int | None = None) -> str:
    netloc = url.netloc
    if port is not None:
        netloc = (
            f"{netloc.rsplit('@', 1)[0]}@{url.hostname}:{port}"
            if "@" in netloc
            else f"{url.hostname}:{port}"
        )
    return urllib.parse.urlunsplit((url.scheme, netloc, f"/{name}", "", ""))


def _admin_sql(url: urllib.parse.SplitResult, sql: str, *, port: int | None = None, db="postgres"):
    import psycopg2

    connection = psycopg2.connect(
        host=url.hostname,
        port=port or url.port or 5432,
        user=urllib.parse.unquote(url.username or "postgres"),
        password=urllib.parse.unquote(url.password or "") or None,
        dbname=db,
        connect_timeout=5,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def _own_primary(cleanup: contextlib.ExitStack, home: Path) -> urllib.parse.SplitResult:
    """A throwaway PostgreSQL cluster on PRIMARY_PORT, removed by `cleanup`."""
    bin_dir = _postgres_bin()
    data = home / "data"
    pg_ctl = str(bin_dir / "pg_ctl")
    if (data / "postmaster.pid").exists():  # left over by a run that was killed
        subprocess.run(
            _as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop"), check=False
        )
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    cleanup.callback(shutil.rmtree, home, ignore_errors=True)
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    quiet = {"capture_output": True, "text": True, "check": True, "timeout": 120}
    subprocess.run(
        _as_postgres(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ),
        **quiet,
    )
    options = (
        f"-p {PRIMARY_PORT} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data} "
        "-c fsync=off -c max_connections=100"
    )
    subprocess.run(
        _as_postgres(
            pg_ctl, "-D", str(data), "-l", str(home / "primary.log"), "-o", options, "-w", "start"
        ),
        **quiet,
    )
    cleanup.callback(
        subprocess.run,
        _as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"),
        capture_output=True,
        check=False,
    )
    return urllib.parse.urlsplit(f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/postgres")


def _run(args, env, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _replica(action: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPLICA_SCRIPT), action],
        env={
            **os.environ,
            "PRIMARY_PORT": str(PRIMARY_PORT),
            "REPLICA_PORT": str(REPLICA_PORT),
            "REPLICA_HOME": f"/var/tmp/gongjian-test-replica-{REPLICA_PORT}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path):
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    import redis

    name = "gongjian"
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC", "GUNICORN_", "PORT"))
    }
    base_env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CACHE_URL=REDIS_URL,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    store = redis.Redis.from_url(REDIS_URL)
    with contextlib.ExitStack() as cleanup:
        store.flushdb()
        cleanup.callback(store.flushdb)
        primary = _own_primary(cleanup, Path(f"/var/tmp/gongjian-test-primary-{PRIMARY_PORT}"))
        _admin_sql(primary, f'CREATE DATABASE "{name}"')
        base_env["DATABASE_URL"] = _with_db(primary, name)
        python = sys.executable
        _run([python, "manage.py", "migrate", "--noinput", "-v0"], base_env)
        seed = json.loads(
            _run([python, "-m", "tests.multiserver.seed", str(SIGN_UPS)], base_env).stdout
        )
        if not (ROOT / "staticfiles" / "staticfiles.json").exists():
            _run([python, "manage.py", "collectstatic", "--noinput", "-v0"], base_env)

        _replica("down")  # a replica left over by a run that was killed
        cleanup.callback(_replica, "down")
        made = _replica("up", REPLICA_WAIT="60")
        assert made.returncode == 0, f"scripts/replica-setup up:\n{made.stdout}\n{made.stderr}"

        logs = []
        for port in PORTS:
            log = tmp_path / f"gunicorn-{port}.log"
            logs.append(log)
            env = {
                **base_env,
                "DATABASE_REPLICA_URL": _with_db(primary, name, port=REPLICA_PORT),
                # Plain HTTP here; production sits behind TLS.
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                "AXES_FAILURE_LIMIT": "3",
                "REPLICA_CHECK_SECONDS": "1",
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": "2",
                "GUNICORN_THREADS": "4",
            }
            with log.open("w") as out:
                server = subprocess.Popen(
                    [str(GUNICORN), "-c", "config/gunicorn.conf.py", "--no-control-socket"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            cleanup.callback(_stop, server)
        for port, log in zip(PORTS, logs, strict=True):
            _wait_healthy(port, log)
        yield {
            "primary": primary,
            "name": name,
            "seed": seed,
            "logs": logs,
        }


def _wait_healthy(port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if _http(port, "/healthz")[0] == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"server on {port} did not answer /healthz:\n{log.read_text()[-3000:]}")


# --- HTTP -------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _http(port, path, *, data=None, cookies=None, headers=None):
    """(status, cookies set, body) of one request; redirects are not followed."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=urllib.parse.urlencode(data).encode() if data is not None else None,
        headers={**(headers or {})},
    )
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        response = _OPENER.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        jar = SimpleCookie()
        for value in response.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return response.status, {k: m.value for k, m in jar.items()}, response.read()


def _post(port, path, data, *, cookies=None, headers=None):
    csrf = secrets.token_hex(16)  # a CSRF secret of our own, in the cookie and the form
    return _http(
        port,
        path,
        data={**data, "csrfmiddlewaretoken": csrf},
        cookies={**(cookies or {}), "csrftoken": csrf},
        headers=headers,
    )


def _tails(cluster) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in cluster["logs"])


# --- the test -----------------------------------------------------------------------------------


def test_two_servers_share_logins_lockouts_and_seats_and_survive_the_replica_stopping(cluster):
    a, b = PORTS
    seed = cluster["seed"]

    # A login on one server is valid on the other (sessions: database + shared cache).
    status, cookies, _ = _post(a, "/accounts/login/", seed["login"])
    assert status == 302, _tails(cluster)
    status, _, _ = _http(b, "/me/", cookies={"sessionid": cookies["sessionid"]})
    assert status == 200, f"/me/ on the other server answered {status} (302: not logged in)"

    # A lockout on one holds on the other (django-axes' records in the primary database).
    wrong = {**seed["attacked"], "password": "not-the-password"}
    statuses = [_post(port, "/accounts/login/", wrong, headers=ATTACKER)[0] for port in (a, b, a)]
    assert statuses == [200, 200, 429]
    assert _post(b, "/accounts/login/", seed["attacked"], headers=ATTACKER)[0] == 429

    # Anonymous lists are read from the replica while it is healthy.
    assert all(_http(port, "/activities/")[0] == 200 for port in PORTS for _ in range(5))
    served = _admin_sql(
        cluster["primary"],
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
        "AND datname = current_database() AND query LIKE '%activities_activity%'",
        port=REPLICA_PORT,
        db=cluster["name"],
    )[0][0]
    assert served > 0, "no list query reached the replica"

    # 200 sign-ups for 30 seats, alternately on both servers, with anonymous readers; the
    # replica is stopped when a third of the sign-ups are done.
    activity = seed["activity"]
    sign_up = f"/activities/{activity}/sign-up/"

    def signing_up(n):
        port = PORTS[n % 2]
        return "sign-up", _post(port, sign_up, {}, cookies={"sessionid": seed["sessions"][n]})[0]

    def reading(n):
        return "read", _http(PORTS[n % 2], "/activities/" if n % 3 else "/")[0]

    results = []
    stopped = None
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(signing_up, n) for n in range(SIGN_UPS)]
        futures += [pool.submit(reading, n) for n in range(SIGN_UPS)]
        for future in concurrent.futures.as_completed(futures):
            results.append(future.result())
            if stopped is None and sum(kind == "sign-up" for kind, _ in results) >= SIGN_UPS // 3:
                stopped = _replica("stop")
    elapsed = time.monotonic() - started
    print(f"{2 * SIGN_UPS} requests ({SIGN_UPS} sign-ups) in {elapsed:.1f} s")  # for the docs
    assert stopped is not None and stopped.returncode == 0, stopped and stopped.stderr
    # … and after it stopped, on both servers.
    results += [reading(n) for n in range(20)]

    sign_up_statuses = [status for kind, status in results if kind == "sign-up"]
    read_statuses = [status for kind, status in results if kind == "read"]
    assert sign_up_statuses == [302] * SIGN_UPS, _tails(cluster)
    assert read_statuses == [200] * (SIGN_UPS + 20), _tails(cluster)

    counts = dict(
        _admin_sql(
            cluster["primary"],
            f"SELECT status, count(*) FROM activities_signup WHERE activity_id = {int(activity)} "
            "GROUP BY status",
            db=cluster["name"],
        )
    )
    assert counts == {
        SignUp.Status.CONFIRMED.value: SEATS,
        SignUp.Status.WAITLISTED.value: SIGN_UPS - SEATS,
    }
