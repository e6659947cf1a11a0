"""gunicorn settings for the sidebar, behind nginx (deploy/nginx/sidebar.conf):

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py sidebar.wsgi

Command-line options override these (the tests pass --bind and --workers).

Threaded workers (gthread): a staff member's lookup spends most of its time waiting for WeCom,
so each process serves several requests at once. At most WECOM_MAX_CONCURRENT_CALLS of a
process's threads wait on WeCom at a time (see docs/deploying.md); the others keep serving
page loads and /healthz however slow WeCom is. Slow clients never reach a thread: nginx
buffers whole requests before passing them on.
"""

import os

from gunicorn import glogging

from sidebar import log_filters

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# Processes: two per core; threads per process: more than WECOM_MAX_CONCURRENT_CALLS (6).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A worker that stops answering its master for this long is replaced. Every WeCom call has
# its own timeout (WECOM_TIMEOUT), far below this.
timeout = 30
graceful_timeout = 30
# nginx keeps connections to the app open between requests (deploy/nginx/sidebar.conf,
# `keepalive`), sparing each request a TCP connection and the workers' race to accept it.
# An idle one is closed by nginx after 4 s, before this: were gunicorn to close it first,
# a request nginx was sending on it at that moment would end as a 502.
keepalive = 10
# Request heads at least as large as nginx passes on (large_client_header_buffers 4 8k): a
# head nginx accepted must not be refused here before its body is read, which resets the
# connection while nginx is still sending and turns the answer into a 502.
limit_request_line = 8190
limit_request_fields = 8192
limit_request_field_size = 8190
# nginx logs every request; gunicorn logs only its own problems, to stderr (the journal),
# through the app's filters: one line per kind of problem a minute, secrets redacted, control
# characters escaped (a malformed request line must not flood or forge the log).
accesslog = None


class Logger(glogging.Logger):
    """gunicorn's logger, without the access log nginx keeps: with a logconfig_dict, gunicorn
    would build every request's log entry only for the WARNING level below to drop it."""

    def access(self, resp, req, environ, request_time):
        pass


logger_class = Logger
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": log_filters.FILTERS,
    "formatters": {"generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"}},
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stderr",
            "filters": list(log_filters.FILTERS),
        },
    },
    "root": {"level": "WARNING", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"level": "WARNING", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}
# nginx on this host sets X-Forwarded-Proto; gunicorn trusts it only from loopback.
forwarded_allow_ips = "127.0.0.1,::1"


# Metrics (sidebar/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, each worker writes its counts
# there and /metrics adds them up. The directory starts empty with the master, and a worker's
# files are retired when it exits, so a restart never counts the past twice.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
