"""Our error tree for talking to WeCom.

Every error carries the endpoint *path* (never the full URL: it holds the access_token).
`ConfigurationError` subclasses ImproperlyConfigured and stands outside the tree, so no
`except WeComError` swallows a deployment mistake.
"""

from django.core.exceptions import ImproperlyConfigured


class ConfigurationError(ImproperlyConfigured):
    """Required WeCom settings are missing or malformed."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__("Missing or invalid settings: " + ", ".join(missing))


class WeComError(Exception):
    """Base class: anything that went wrong while asking WeCom."""

    errcode: int | None = None

    def __init__(self, message: str, *, path: str):
        self.path = path
        super().__init__(f"{message} [{path}]")


class WeComTransportError(WeComError):
    """The request did not produce a readable WeCom answer (network, HTTP status, not JSON)."""

    def __init__(self, message: str, *, path: str, status_code: int | None = None):
        self.status_code = status_code
        super().__init__(message, path=path)


class WeComTimeout(WeComTransportError):
    """WeCom did not answer within WECOM_TIMEOUT."""


class WeComAPIError(WeComError):
    """WeCom answered with a non-zero errcode (inside an HTTP 200, as it does)."""

    def __init__(self, *, errcode: int, errmsg: str, path: str, status_code: int = 200):
        self.errcode = errcode
        self.errmsg = errmsg
        self.status_code = status_code
        super().__init__(f"WeCom error {errcode}: {errmsg}", path=path)


class WeComTokenInvalid(WeComAPIError):
    """40014 / 42001 / 41001: the access_token was rejected; fetch a new one."""


class WeComCredentialsRejected(WeComAPIError):
    """40001 / 40091 / 40013: the corp id or secret is wrong. Never retried in a loop."""


class WeComRateLimited(WeComAPIError):
    """45009 / 45033: frequency or concurrency limit."""


class WeComCodeInvalid(WeComAPIError):
    """40029 / 42003 / 42022: the OAuth code is wrong, expired or already used."""


class WeComBusy(WeComAPIError):
    """-1: system busy; worth a short, bounded retry."""


class WeComOverloaded(WeComError):
    """Not sent: this process already has as many WeCom calls in flight as it allows
    (WECOM_MAX_CONCURRENT_CALLS) and none finished within a short wait. Said then, unsent, so
    a slow WeCom cannot hold every thread."""


class WeComWritesBusy(WeComError):
    """Not sent: as many customer edits as WeCom takes at once are in flight for this corp
    (or this customer is being edited), and none finished within a short wait
    (sidebar.wecom.write_slots)."""


_ERRCODE_CLASSES: dict[int, type[WeComAPIError]] = {
    -1: WeComBusy,
    40001: WeComCredentialsRejected,
    40013: WeComCredentialsRejected,
    40091: WeComCredentialsRejected,
    40014: WeComTokenInvalid,
    41001: WeComTokenInvalid,
    42001: WeComTokenInvalid,
    45009: WeComRateLimited,
    45033: WeComRateLimited,
    40029: WeComCodeInvalid,
    42003: WeComCodeInvalid,
    42022: WeComCodeInvalid,
}


# Answers to a credential fetch that say "asking again soon will not help": a wrong secret or
# corp id, an untrusted server IP, the rate limit. They are remembered for WECOM_ERROR_COOLDOWN
# (repeated bad-secret calls get the server's IP blocked for an hour). Anything else, such as
# a token that expired mid-fetch (42001), is an ordinary error the next request may retry.
COOLDOWN_ERRCODES = frozenset({40001, 40013, 40091, 45009, 60020})


def api_error(*, errcode: int, errmsg: str, path: str, status_code: int = 200) -> WeComAPIError:
    """Build the most specific error class for a WeCom errcode."""
    cls = _ERRCODE_CLASSES.get(errcode, WeComAPIError)
    return cls(errcode=errcode, errmsg=errmsg, path=path, status_code=status_code)


def remembered(exc: WeComError) -> dict:
    """`exc` as plain data a cache keeps (a refusal remembered for a cooldown): what
    `recalled` builds the same error from."""
    return {
        "errcode": exc.errcode,
        "errmsg": getattr(exc, "errmsg", ""),
        "path": exc.path,
        "timeout": isinstance(exc, WeComTimeout),
        "message": str(exc).rsplit(" [", 1)[0],
        "status_code": getattr(exc, "status_code", None),
    }


def recalled(record: dict) -> WeComError:
    """The error `remembered` kept: a WeCom errcode as its most specific class, else the
    transport failure it was."""
    if record.get("errcode") is not None:
        return api_error(errcode=record["errcode"], errmsg=record["errmsg"], path=record["path"])
    kind = WeComTimeout if record.get("timeout") else WeComTransportError
    return kind(record["message"], path=record["path"], status_code=record.get("status_code"))
