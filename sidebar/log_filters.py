"""Logging filter that keeps WeCom secrets out of every log line.

The WeCom API takes the access_token (and OAuth codes) in the query string, so any URL that
reaches a log line (a urllib3 debug line, a requests exception in a traceback) would carry it.
"""

import logging
import re
import traceback

_SECRET_PARAM = re.compile(
    r"(?P<name>access_token|corpsecret|jsapi_ticket|ticket|code)=(?P<value>[^&\s'\"<>]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Replace the value of every secret-bearing query parameter in `text`."""
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}=[redacted]", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_text = record.exc_text.rstrip("\n")
        return True
