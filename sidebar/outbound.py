"""Calls to other services (WeCom, Juzi): pooled sessions with no automatic retries (each
client decides what is worth retrying) and our own User-Agent, and the one reading of an
answer that must be a JSON object."""

from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter

from sidebar.log_filters import redact

USER_AGENT = "sidebar/0.1 (WeCom chat-toolbar app)"


def pooled_session(*, pool_maxsize: int = 32) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def json_object(
    call: Callable[[], requests.Response],
    *,
    path: str,
    timeout: float,
    transport_error: type[Exception],
    timeout_error: type[Exception],
) -> dict:
    """`call()`'s answer as a JSON object. Failures raise the client's own `transport_error`
    (or `timeout_error`), built as (message, path=, status_code=), naming the path only:
    requests' messages contain the URL, which may carry a token or code, so they are
    redacted and raised `from None`."""
    try:
        response = call()
    except requests.Timeout:
        raise timeout_error(f"no answer within {timeout:g} s", path=path) from None
    except requests.RequestException as exc:
        raise transport_error(redact(f"{type(exc).__name__}: {exc}"), path=path) from None
    if response.status_code != 200:
        raise transport_error(
            f"HTTP {response.status_code}", path=path, status_code=response.status_code
        )
    try:
        data = response.json()
    except ValueError:
        raise transport_error("the answer is not JSON", path=path) from None
    if not isinstance(data, dict):
        raise transport_error("the answer is not a JSON object", path=path)
    return data
