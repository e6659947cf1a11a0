"""What a monitoring system scrapes at /metrics (Prometheus' text format, prometheus_client):
lookups and sends by outcome as the audit logs record them, WeCom calls by API with their
latency and errcodes (uploads among them), the call slots in use and the calls they refused,
change events, reminders.

Under gunicorn each worker process keeps its own counts; with PROMETHEUS_MULTIPROC_DIR set (the
systemd units set it, deploy/gunicorn.conf.py empties it at start and retires a dead worker's
files) /metrics adds up every process's. Each gunicorn service has its own directory: the
events service answers /metrics on its own port. The endpoint answers only on the loopback
interface (a scraper on the host) or with SIDEBAR_METRICS_TOKEN as a bearer token; nginx does
not pass it on (docs/deploying.md, "Monitoring").
"""

import os

# Every process of a service writes its counts into its directory, its management commands
# too; the first to start makes it. One that cannot counts for itself alone (never a crash).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    try:
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    except OSError:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]

# prometheus_client reads the environment above as it creates each metric below.
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LOOKUPS = Counter(
    "sidebar_lookups",
    "Customer and group lookups, one per audit row, by entry and outcome",
    ["entry", "outcome", "answered_from"],
)
UNRECORDED_LOOKUPS = Counter(
    "sidebar_lookups_unrecorded",
    "Lookups not shown because their audit row could not be written",
)
SENDS = Counter(
    "sidebar_send_outcomes",
    "Outcomes recorded in the send log (prepared, refused, then sent, cancelled, failed, retried)",
    ["kind", "outcome"],
)
WECOM_CALLS = Histogram(
    "sidebar_wecom_call_seconds",
    "WeCom API calls by path, from request to answer",
    ["api"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
WECOM_ERRORS = Counter(
    "sidebar_wecom_errors",
    "WeCom answers with a non-zero errcode, or no answer (errcode timeout, unreachable), by path",
    ["api", "errcode"],
)
WECOM_IN_FLIGHT = Gauge(
    "sidebar_wecom_calls_in_flight",
    "WeCom calls under way, by their slots (calls; uploads, which have slots of their own)",
    ["slots"],
    multiprocess_mode="livesum",
)
WECOM_REFUSED = Counter(
    "sidebar_wecom_calls_refused",
    "WeCom calls refused unsent: every slot taken (busy) or WeCom answering slowly (slow)",
    ["slots", "reason"],
)
EVENTS = Counter("sidebar_change_events", "WeCom change events by what became of them", ["outcome"])
REMINDERS = Counter("sidebar_reminders_sent", "Follow-up reminders sent as WeCom app messages")


def exposition() -> tuple[bytes, str]:
    """The metrics of every process (or of this one, without a multiprocess directory)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
