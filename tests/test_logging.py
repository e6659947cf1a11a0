"""The log filters: no secrets, no forged lines, one line per kind of failure per interval."""

import io
import logging
import sys

import pytest
from django.db import DatabaseError

from sidebar import append_only, services
from sidebar.log_filters import RateLimitFilter, RedactSecretsFilter, escape_unprintable, redact


@pytest.fixture
def log():
    """A handler with the filters settings.LOGGING gives the console, on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RateLimitFilter(interval=3600))
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_redaction_spares_parameters_that_only_end_like_secret_ones():
    assert redact("errcode=40029 code=abc status_code=502") == (
        "errcode=40029 code=[redacted] status_code=502"
    )
    assert redact("user_ticket=T&x=1") == "user_ticket=[redacted]&x=1"


def test_escaping_keeps_a_message_on_one_line():
    assert escape_unprintable("a\nb\r\x00\u2028\u202e中文") == "a\\nb\\r\\x00\\u2028\\u202e中文"


def test_request_data_cannot_forge_a_log_line(log):
    logging.getLogger("sidebar.test").warning("lookup of %s", "wmA\n2026-01-01 ERROR forged")
    assert log.getvalue().count("\n") == 1
    assert "wmA\\n2026-01-01 ERROR forged" in log.getvalue()


@pytest.mark.django_db
def test_an_unsaved_audit_row_is_logged_on_one_line(log, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(append_only, "insert", fail)
    viewer = services.Viewer(userid="zhangsan")
    with pytest.raises(services.AuditUnavailable):  # and nothing is shown
        services.reject_invalid_lookup(viewer=viewer, entry="x", target_id="a\nFORGED")
    text = log.getvalue()
    first_line = text.splitlines()[0]
    assert "target=a\\nFORGED" in first_line
    assert not any(line.startswith("FORGED") for line in text.splitlines())


def test_one_line_per_kind_per_interval():
    limiter = RateLimitFilter(interval=60)
    records = [
        logging.LogRecord("django.request", logging.WARNING, "x", 1, "Bad Request: %s", (p,), None)
        for p in ("/a", "/b", "/c")
    ]
    assert [limiter.filter(r) for r in records] == [True, False, False]
    other = logging.LogRecord(
        "django.request", logging.WARNING, "x", 1, "Not Found: %s", ("/",), None
    )
    assert limiter.filter(other)

    later = RateLimitFilter(interval=0)  # every record starts a new interval
    assert later.filter(records[0]) and later.filter(records[1])
    limiter.interval = 0
    assert limiter.filter(records[2])
    assert records[2].getMessage() == "Bad Request: /c [2 more like this not logged]"


def test_a_flood_of_tracebacks_is_one_traceback(log):
    logger = logging.getLogger("django_redis.cache")
    for _ in range(1000):
        try:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        except ConnectionError:
            logger.exception("Exception ignored")
    assert log.getvalue().count("Traceback") == 1
    assert len(log.getvalue()) < 2000


def test_messages_formatted_beforehand_are_one_kind_by_their_lead():
    limiter = RateLimitFilter(interval=60)

    def record(text):
        return logging.LogRecord("gunicorn.error", logging.WARNING, "x", 1, text, None, None)

    assert limiter.filter(record("Invalid request from ip=127.0.0.1: Invalid HTTP method: 'get'"))
    assert not limiter.filter(record("Invalid request from ip=10.0.0.2: Request Line is too large"))
    assert limiter.filter(record("Invalid HTTP_HOST header: 'evil.example'. You may need to add"))
    assert not limiter.filter(record("Invalid HTTP_HOST header: '[::1'. The domain name"))


def test_a_kind_shows_its_traceback_once_then_its_last_line():
    limiter = RateLimitFilter(interval=0)
    records = []
    for attempt in range(2):
        try:
            raise ConnectionError(f"refused {attempt}")
        except ConnectionError:
            error = sys.exc_info()
        records.append(
            logging.LogRecord("x", logging.ERROR, "x", 1, "Exception ignored", (), error)
        )
    assert limiter.filter(records[0]) and records[0].exc_info is not None
    assert limiter.filter(records[1]) and records[1].exc_info is None
    assert records[1].getMessage() == "Exception ignored (ConnectionError: refused 1)"
