"""The WSGI application as gunicorn calls it: a request that declares a charset and carries
more parameters than Django parses is a 400 in words, not a 500 raised before any middleware
(Django's request constructor parsed the query string when it set the charset)."""

import io

import pytest

from sidebar.wsgi import application

pytestmark = pytest.mark.django_db

TOO_MANY = "&".join("f" for _ in range(1200))


def call(*, query: str, content_type: str, path="/no-such-page") -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    answered = {}

    def start_response(status, headers, exc_info=None):
        answered["status"] = status

    body = b"".join(application(environ, start_response))
    return answered["status"], body


@pytest.mark.parametrize(
    "content_type",
    ["text/plain; charset=utf-8", "application/x-www-form-urlencoded; charset=UTF-8", ""],
)
def test_too_many_fields_with_a_charset_is_a_400(content_type):
    status, body = call(query=TOO_MANY, content_type=content_type)
    assert status.startswith("400"), status
    assert body.decode() == "无法读取此请求。"


def test_a_charset_still_decodes_what_it_names():
    status, _body = call(query="a=1", content_type="text/plain; charset=utf-8")
    assert status.startswith("404"), status  # read, routed, and not found
    status, _body = call(query="a=1", content_type="text/plain; charset=gbk")
    assert status.startswith("415"), status
