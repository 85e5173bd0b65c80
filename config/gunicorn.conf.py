"""Gunicorn settings for production.

    gunicorn -c config/gunicorn.conf.py          # serves config.wsgi:application

Every value can be changed by environment variable (below) or on the command line. Run it
behind a reverse proxy (nginx, Caddy) that terminates TLS, serves /media/ and sets
X-Forwarded-Proto; static files are served by whitenoise from the app itself.

    GUNICORN_BIND     address to listen on; default 127.0.0.1:8000, or 0.0.0.0:$PORT when
                      PORT is set (platforms that assign a port)
    GUNICORN_WORKERS  worker processes; default CPU count + 1
    GUNICORN_THREADS  threads per worker (gthread); default 4
    GUNICORN_TIMEOUT  seconds before a silent worker is killed and restarted; default 60
    GUNICORN_LOG_LEVEL  debug, info, warning, error; default info
    FORWARDED_ALLOW_IPS proxies whose X-Forwarded-* headers are trusted; default 127.0.0.1
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "config.wsgi:application"

if os.environ.get("GUNICORN_BIND"):
    bind = [addr.strip() for addr in os.environ["GUNICORN_BIND"].split(",") if addr.strip()]
elif os.environ.get("PORT"):
    bind = [f"0.0.0.0:{os.environ['PORT']}"]
else:
    bind = ["127.0.0.1:8000"]

# Threads share one process's memory and suit Django's mostly I/O-bound requests. Each
# thread can hold a database connection (CONN_MAX_AGE): workers x threads connections.
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)

timeout = _int("GUNICORN_TIMEOUT", 60)  # the monthly Excel export can take a while
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = 200

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Heartbeat files in memory: a disk-backed /tmp can stall workers under container overlays.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
capture_output = True
proc_name = "gongjian"


def _mask_phone_numbers(log) -> None:
    """No mobile number in the access or error log (`?q=139…` searches, failed logins)."""
    from core.logfilters import MaskPhoneNumbers

    for logger in (log.access_log, log.error_log):
        if not any(isinstance(f, MaskPhoneNumbers) for f in logger.filters):
            logger.addFilter(MaskPhoneNumbers())


def on_starting(server):
    _mask_phone_numbers(server.log)


def post_worker_init(worker):
    _mask_phone_numbers(worker.log)
