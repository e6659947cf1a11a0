"""Middleware: requests the app cannot read are refused first; every HTML response gets
its headers.

RejectUnreadableRequestsMiddleware (first in MIDDLEWARE): a request in a charset other than
UTF-8, malformed multipart, too many fields or too large a body would otherwise surface deep
inside Django, at the CSRF check or, worse, again inside the error handlers (which re-run the
CSRF check on the same body), and end as a 500 with a page of tracebacks. Parsing once up front
turns each into a plain 400, 413 or 415 that says what was wrong. A body the app answered
without reading (a GET that carried one, a form refused as too large) is read off the socket
before the response goes out: a worker that closes a socket with unread data resets it, and the
proxy, still sending, reports the reset as a 502 instead of the app's answer.

ResponseHeadersMiddleware, for HTML:

- `Cache-Control: no-store`: the WeCom desktop client caches HTML hard, which would replay
  stale signatures and another session's page. The one exception is HTML shared by every
  staff member that carries an ETag and says so (`response.revalidated`, the reply library):
  the browser keeps it and asks again with the ETag every time.
- A Content-Security-Policy for our own pages (the admin keeps Django's defaults): scripts,
  styles and requests from this origin only; images also from WeCom's avatar hosts.
"""

import codecs

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The most of an unread body the app reads and drops (nginx lets at most 64 MB through, to
# admin forms); past it the connection is left to close.
DRAIN_LIMIT = 64 * 1024 * 1024


class RejectUnreadableRequestsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _unreadable(request)
        if problem is not None:
            status, message = problem
            response = HttpResponse(
                message, status=status, content_type="text/plain; charset=utf-8"
            )
        else:
            response = self.get_response(request)
        _drain(request)
        return response


def _drain(request) -> None:
    """Read and drop what is left of the request body on the socket: all of it when nothing
    read it, the rest when a parser stopped part way (a malformed or oversized form)."""
    stream = getattr(request, "_stream", None)
    if not isinstance(stream, LimitedStream):
        return  # the body was read into memory (request.body), or this is not WSGI
    left = DRAIN_LIMIT
    try:
        while left > 0:
            chunk = stream.read(min(left, 64 * 1024))
            if not chunk:
                break
            left -= len(chunk)
    except OSError:
        pass  # the client went away: nothing left to protect


def _unreadable(request) -> tuple[int, str] | None:
    """(status, message) when the request's query or form body cannot be read, else None."""
    charset = request.content_params.get("charset")
    # Django decodes the query string and form bodies with the declared charset; the app
    # speaks UTF-8 only (ASCII is a subset of it), and browsers send nothing else.
    if charset is not None and not _is_utf8(charset):
        return 415, _("Requests must be sent in UTF-8.")
    try:
        request.GET  # noqa: B018 (parsed here, once, so the error is ours to report)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            request.POST  # noqa: B018
    except RequestDataTooBig:
        return 413, _("The request is too large.")
    except (
        BadRequest,
        SuspiciousOperation,
        MultiPartParserError,
        UnicodeError,
        ValueError,
        OSError,  # the client went away mid-body (UnreadablePostError)
    ):
        return 400, _("The request could not be read.")
    return None


def _is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name in ("utf-8", "ascii")
    except LookupError:
        return False


def content_security_policy(*, script_origins=(), frame_ancestors=()) -> str:
    """Our pages' policy; a hosted sidebar's page adds its host's script origin (scripts and
    requests) and the origins that may frame it (sidebar.hosts.juzi.framing)."""
    scripts = " ".join(["'self'", *script_origins])
    ancestors = " ".join(["'self'", *frame_ancestors])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' https: http: data:",
            f"connect-src {scripts}",
            f"frame-ancestors {ancestors}",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


class ResponseHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            if not getattr(response, "revalidated", False):
                response["Cache-Control"] = "no-store"
            match = getattr(request, "resolver_match", None)
            if match is not None and match.app_name in ("sidebar", "emulator"):
                response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
