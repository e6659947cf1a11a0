"""What can go wrong asking Juzi. Every error names the endpoint path, never the URL (the URL
carries the single-use code)."""


class JuziError(Exception):
    """Base class: anything that went wrong while asking Juzi."""

    errcode: int | None = None

    def __init__(self, message: str, *, path: str):
        self.path = path
        super().__init__(f"{message} [{path}]")


class JuziTransportError(JuziError):
    """No readable Juzi answer: network, HTTP status, not JSON, or not the documented shape."""

    def __init__(self, message: str, *, path: str, status_code: int | None = None):
        self.status_code = status_code
        super().__init__(message, path=path)


class JuziTimeout(JuziTransportError):
    """Juzi did not answer within JUZI_TIMEOUT."""


class JuziAPIError(JuziError):
    """Juzi answered with a non-zero errcode."""

    def __init__(self, *, errcode: int, errmsg: str, path: str):
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"Juzi error {errcode}: {errmsg}", path=path)


class JuziCodeUnusable(JuziAPIError):
    """-1 invalid, -2 expired, -4 not found: the sign-in code cannot be used (Juzi codes are
    single-use and live five minutes). Signing in again gets a fresh one."""


class JuziUnknownError(JuziAPIError):
    """-5: Juzi's own unknown error."""


_ERRCODE_CLASSES: dict[int, type[JuziAPIError]] = {
    -1: JuziCodeUnusable,
    -2: JuziCodeUnusable,
    -4: JuziCodeUnusable,
    -5: JuziUnknownError,
}


def api_error(*, errcode: int, errmsg: str, path: str) -> JuziAPIError:
    return _ERRCODE_CLASSES.get(errcode, JuziAPIError)(errcode=errcode, errmsg=errmsg, path=path)
