"""Logging filters for the console handler (settings.LOGGING).

- RateLimitFilter: one line per kind of message per interval. A bad request repeated ten
  thousand times, or every request during a Redis outage, must not flood the log; the next line
  of a kind says how many like it were left out, and a traceback is shown once.
- RedactSecretsFilter: WeCom takes the access_token (and OAuth codes) in the query string, so
  any URL that reaches a log line (a urllib3 debug line, a requests exception in a traceback)
  would carry it. It also escapes control characters in the message, so request data (a path,
  a host, an id) can never forge a log line.
"""

import logging
import re
import threading
import time
import traceback

_SECRET_PARAM = re.compile(
    r"(?<![A-Za-z0-9_])"  # a whole parameter name: errcode= and status_code= are not code=
    r"(?P<name>access_token|corpsecret|jsapi_ticket|user_ticket|ticket|code)"
    r"=(?P<value>[^&\s'\"<>]+)",
    re.IGNORECASE,
)
# Line breaks of every kind, other C0/C1 controls, and the bidirectional overrides that can
# make one line read as another.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

LOG_INTERVAL_SECONDS = 60.0
MAX_KINDS = 1000

# The filters every handler of ours gets, in logging.config.dictConfig's terms (Django's
# LOGGING in settings.py and gunicorn's logconfig_dict in deploy/gunicorn.conf.py).
FILTERS = {
    "rate_limit": {"()": "sidebar.log_filters.RateLimitFilter"},
    "redact_secrets": {"()": "sidebar.log_filters.RedactSecretsFilter"},
}


def redact(text: str) -> str:
    """Replace the value of every secret-bearing query parameter in `text`."""
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}=[redacted]", text)


def escape_unprintable(text: str) -> str:
    r"""`text` on one line: a newline becomes \n, U+2028 becomes \u2028, and so on."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = escape_unprintable(redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_text = record.exc_text.rstrip("\n")
        return True


def _template(record: logging.LogRecord) -> str:
    """What makes two records the same kind: the format string when there are arguments; for a
    message formatted beforehand (gunicorn's "Invalid request from ip=…: …", Django's
    "Invalid HTTP_HOST header: …"), its text before the first ': ', digits masked."""
    if record.args:
        return str(record.msg)[:200]
    return _DIGITS.sub("#", str(record.msg).split(": ", 1)[0])[:200]


_DIGITS = re.compile(r"\d+")


class RateLimitFilter(logging.Filter):
    """Let the first record of each kind (logger, level, message template, exception type)
    through per interval; count the rest and report the count on the next one let through.
    A kind's traceback is logged once; later intervals get its last line only."""

    def __init__(self, name: str = "", interval: float = LOG_INTERVAL_SECONDS):
        super().__init__(name)
        self.interval = interval
        self._lock = threading.Lock()
        self._kinds: dict[tuple, list] = {}  # kind -> [window start, suppressed count]

    def filter(self, record: logging.LogRecord) -> bool:
        exc_type = record.exc_info[0].__name__ if record.exc_info else ""
        kind = (record.name, record.levelno, _template(record), exc_type)
        now = time.monotonic()
        with self._lock:
            state = self._kinds.get(kind)
            if state is not None and now - state[0] < self.interval:
                state[1] += 1
                return False
            suppressed = state[1] if state else 0
            if len(self._kinds) >= MAX_KINDS:
                self._forget_old(now)
            self._kinds[kind] = [now, 0]
        message = record.getMessage()
        if state is not None and record.exc_info:
            # The traceback of this kind was logged the first time; now its last line will do.
            error = record.exc_info[1]
            message = f"{message} ({exc_type}: {error})"
            record.exc_info = record.exc_text = None
        if suppressed:
            message = f"{message} [{suppressed} more like this not logged]"
        record.msg, record.args = message, None
        return True

    def _forget_old(self, now: float) -> None:
        for kind, (started, suppressed) in list(self._kinds.items()):
            if now - started >= self.interval and not suppressed:
                del self._kinds[kind]
        if len(self._kinds) >= MAX_KINDS:  # every kind is busy: start counting afresh
            self._kinds.clear()
