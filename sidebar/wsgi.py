"""The WSGI application gunicorn serves (and runserver, through WSGI_APPLICATION)."""

import os

import django
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest


class Request(WSGIRequest):
    """Django's request, except that declaring a charset parses nothing.

    Django's constructor sets the encoding from the Content-Type's `charset`, and its setter
    asks `hasattr(self, "GET")`, which parses the query string on the spot: more parameters
    than DATA_UPLOAD_MAX_NUMBER_FIELDS (with any `charset=`) then raised TooManyFieldsSent
    inside the constructor, before any middleware, and gunicorn answered a bare 500. Here the
    setter only drops what was parsed already; parsing waits for
    RejectUnreadableRequestsMiddleware, which answers such a request with a 400 in words.
    """

    def _set_encoding(self, value):
        self._encoding = value
        self.__dict__.pop("GET", None)  # parsed with the old charset: parse again when asked
        if hasattr(self, "_post"):
            del self._post

    encoding = property(HttpRequest.encoding.fget, _set_encoding)


class Handler(WSGIHandler):
    request_class = Request


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sidebar.settings")
django.setup(set_prefix=False)
application = Handler()
