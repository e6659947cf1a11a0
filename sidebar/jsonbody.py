"""Reading a small JSON object from a request body, with the 4xx that says what was wrong."""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

# The JSON endpoints take small bodies: a report, one URL to sign, a send's result.
MAX_JSON_BYTES = 8 * 1024


class BadJSON(Exception):
    def __init__(self, status: int, message):
        self.response = JsonResponse({"error": str(message)}, status=status)


def json_object(request) -> dict:
    """The request's body as a JSON object; raises BadJSON with the 4xx to answer. (A charset
    other than UTF-8 never gets here: RejectUnreadableRequestsMiddleware answers it.)"""
    if request.content_type != "application/json":
        raise BadJSON(415, _("Send the request as JSON."))
    try:
        body = request.body
    except RequestDataTooBig:
        body = None
    if body is None or len(body) > MAX_JSON_BYTES:
        raise BadJSON(413, _("The request is too large."))
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadJSON(400, _("The request is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BadJSON(400, _("The request is not valid JSON."))
    return data
