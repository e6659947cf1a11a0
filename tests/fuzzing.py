"""A request fuzzer for a running deployment: raw HTTP/1.1 requests, written byte by byte so
they can be as malformed as an attacker likes, over every endpoint.

Each request mixes a method, a path (real endpoints, with bad percent-encoding, NUL, overlong
or unknown parts), a content type and charset, a body (forms, JSON, multipart broken in every
way, random bytes, bodies larger than the app accepts), cookies (a signed-in staff member's or
admin's, forged, non-ASCII) and Host headers. Used by tests/test_topology.py and
bench/fuzz.py; reproducible from its seed.
"""

import contextlib
import json
import random
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

PATHS = [
    "/sidebar/",
    "/sidebar/oauth/callback/",
    "/sidebar/signin/",
    "/sidebar/lookup/contact/",
    "/sidebar/lookup/group/",
    "/sidebar/lookup/kf/",
    "/sidebar/lookup/chain-contact/",
    "/sidebar/lookup/chain-chat/",
    "/sidebar/lookup/nope/",
    "/sidebar/home/",
    "/sidebar/reports/",
    "/sidebar/signatures/",
    "/sidebar/record/contact/wmChenXiaoMing0001/",
    "/sidebar/record/contact/wmChenXiaoMing0001/remark/",
    "/sidebar/record/contact/wmChenXiaoMing0001/tags/",
    "/sidebar/record/contact/wmChenXiaoMing0001/notes/",
    "/sidebar/record/contact/wmChenXiaoMing0001/notes/1/",
    "/sidebar/record/contact/wmChenXiaoMing0001/notes/1/delete/",
    "/sidebar/record/contact/wmChenXiaoMing0001/stage/",
    "/sidebar/record/contact/wmChenXiaoMing0001/timeline/",
    "/sidebar/record/group/wrSalesGroup00001/notes/",
    "/sidebar/record/kf/%zz/",
    "/healthz",
    "/admin/",
    "/admin/login/",
    "/admin/sidebar/lookup/",
    "/admin/sidebar/lookup/1/change/",
    "/admin/sidebar/clientfailurereport/",
    "/admin/records/edit/",
    "/admin/records/edit/export/",
    "/emulator/",
    "/emulator/api/state",
    "/static/sidebar/css/sidebar.css",
    "/WW_verify_abc123.txt",
    "/",
    "/favicon.ico",
]
METHODS = ["GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"]
CHARSETS = ["utf-8", "utf-16", "utf-16-le", "latin-1", "gbk", "big5", "ascii", "bogus-charset",
            "utf-7", "utf-32", "", "UTF-8", "x" * 200]  # fmt: skip
FIELDS = ["entry", "external_userid", "chat_id", "corp_id", "user_id", "url", "error", "next",
          "code", "state", "q", "csrfmiddlewaretoken", "action", "_selected_action",
          "index", "username", "password", "signed_url", "page_url", "user_agent",
          "remark", "description", "company", "mobile", "tag", "shown", "text", "due_at",
          "stage", "before"]  # fmt: skip
VALUES = ["single_chat_tools", "group_chat_tools", "wmChenXiaoMing0001", "wrSalesGroup00001",
          "http://127.0.0.1/sidebar/", "https://evil.example/", "\x00", "%00", "%zz", "%e4%b8",
          "\r\nX-Injected: 1", "' OR 1=1 --", "<script>alert(1)</script>", "\u202e\u2028",
          "中文", "😀", "a" * 5000, "-1", "=cmd|' /C calc'!A0", "../../etc/passwd",
          "export_csv", "0", "-99999999999999999999"]  # fmt: skip


@dataclass
class Credentials:
    """Cookies that get requests past sign-in and CSRF, so the fuzz reaches the views."""

    staff_session: str = ""
    admin_session: str = ""
    csrf_token: str = ""
    origin: str = ""

    @classmethod
    def signed_in(cls, top) -> "Credentials":
        """A staff member's and an admin's cookies from a running tests.topology.Topology."""
        staff, admin = top.sign_in(), top.admin()
        return cls(
            staff_session=staff.cookies["sessionid"],
            admin_session=admin.cookies["sessionid"],
            csrf_token=staff.cookies["csrftoken"],
            origin=top.url,
        )


@dataclass
class Report:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    no_answer: int = 0
    server_errors: list = field(default_factory=list)  # (status, request head) of each 5xx
    unanswered: list = field(default_factory=list)  # the requests that got no answer at all
    seconds: float = 0.0

    def line(self) -> str:
        top = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.requests} requests; 5xx: {len(self.server_errors)}; "
            f"no answer: {self.no_answer}; by status: {top}"
        )


def _pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def _percent_mess(rng: random.Random, text: str) -> str:
    choice = rng.randrange(8)
    if choice == 0:
        return text + "%"
    if choice == 1:
        return text + "%zz%e4%b8"
    if choice == 2:
        return text + "%00"
    if choice == 3:
        return text + "%ff%fe"
    if choice == 4:
        return text + "/" + "a" * rng.choice([300, 3000, 9000])
    if choice == 5:
        return text + "%E4%B8%AD%E6%96%87/"
    if choice == 6:
        return text.upper()
    return text + "/..%2f..%2f"


def _query(rng: random.Random) -> str:
    pairs = []
    for _ in range(rng.randrange(4)):
        key, value = _pick(rng, FIELDS), _pick(rng, VALUES)
        if rng.random() < 0.2:
            value = value.encode("utf-8", "replace").hex()
        pairs.append(f"{key}={value}")
    query = "&".join(pairs)
    if rng.random() < 0.3:
        query = _percent_mess(rng, query)
    return query.replace(" ", "%20").replace("\r", "%0D").replace("\n", "%0A")


def _form(rng: random.Random, charset: str) -> bytes:
    pairs = []
    for _ in range(rng.randrange(1, 6)):
        pairs.append(f"{_pick(rng, FIELDS)}={_pick(rng, VALUES)}")
    text = "&".join(pairs)
    encoding = charset if charset.lower() in ("utf-16", "utf-16-le", "latin-1", "gbk") else "utf-8"
    return text.encode(encoding, "replace")


def _json_body(rng: random.Random) -> bytes:
    choice = rng.randrange(7)
    if choice == 0:
        return json.dumps({_pick(rng, FIELDS): _pick(rng, VALUES)}).encode()
    if choice == 1:
        return b"[" * 5000 + b"]" * 5000
    if choice == 2:
        return json.dumps({"url": _pick(rng, VALUES), "error": 5}).encode("utf-16")
    if choice == 3:
        return b'{"url": "\\ud800", "error": "x"}'
    if choice == 4:
        return json.dumps([1, 2, 3]).encode()
    if choice == 5:
        return b"\xff\xfe{not json"
    return json.dumps({"error": "x" * 600, "url": "http://127.0.0.1/sidebar/\n"}).encode()


def _multipart(rng: random.Random) -> tuple[bytes, str]:
    boundary = "----fuzz" + str(rng.randrange(10**6))
    choice = rng.randrange(9)
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_pick(rng, FIELDS)}"\r\n\r\n'
        f"{_pick(rng, VALUES)}\r\n"
    ).encode("utf-8", "replace")
    end = f"--{boundary}--\r\n".encode()
    if choice == 0:
        return part + end, f"multipart/form-data; boundary={boundary}"
    if choice == 1:  # no boundary parameter at all
        return part + end, "multipart/form-data"
    if choice == 2:  # truncated: no closing boundary
        return part, f"multipart/form-data; boundary={boundary}"
    if choice == 3:  # a different boundary than declared
        return part + end, "multipart/form-data; boundary=other"
    if choice == 4:  # three bytes
        return b"--\r", f"multipart/form-data; boundary={boundary}"
    if choice == 5:  # a file part with a bad header
        bad = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="f"; filename="a\x00.txt"\r\n'
            f"Content-Type: text/plain; charset=bogus\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"!!!notbase64\r\n"
        ).encode()
        return bad + end, f"multipart/form-data; boundary={boundary}"
    if choice == 6:  # a boundary longer than the spec allows
        long = "b" * 300
        return f"--{long}\r\n".encode() + part, f"multipart/form-data; boundary={long}"
    if choice == 7:  # a non-UTF-8 field name
        raw = f'--{boundary}\r\nContent-Disposition: form-data; name="'.encode()
        return raw + b'\xff\xfe"\r\n\r\nx\r\n' + end, f"multipart/form-data; boundary={boundary}"
    return rng.randbytes(200), f"multipart/form-data; boundary={boundary}; charset=utf-16"


# Host headers that name another site (nginx answers those nothing at all).
FOREIGN_HOSTS = ("evil.example", "[::1", "a" * 300, "127.0.0.1:0@evil.example")


def _host(rng: random.Random, host: str) -> str | None:
    variants = {
        0: None,
        1: FOREIGN_HOSTS[0],
        2: host + ".",
        3: host.upper(),
        4: host + ":99999",
        5: FOREIGN_HOSTS[1],
        6: FOREIGN_HOSTS[2],
        7: host + "\t",
        8: FOREIGN_HOSTS[3],
    }
    return variants.get(rng.randrange(12), host)


def _cookies(rng: random.Random, creds: Credentials) -> str | None:
    choice = rng.randrange(10)
    token = creds.csrf_token
    if choice == 0:
        return None
    if choice == 1:
        return "csrftoken=" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(32))
    if choice == 2:
        return "sessionid=garbage; csrftoken=\xe4\xb8\xad"
    if choice == 3:
        return f"sessionid={creds.admin_session}; csrftoken={token}"
    if choice == 4:
        return "csrftoken=" + "x" * 5000
    if choice == 5:
        return 'sessionid="\\"; csrftoken=;;;=='
    return f"sessionid={creds.staff_session}; csrftoken={token}"


def make_request(
    rng: random.Random, *, host: str, creds: Credentials, as_proxy: bool = False
) -> bytes:
    """One request. `as_proxy`: sent straight to gunicorn, mostly with the header nginx would
    add (X-Forwarded-Proto), so the requests get past the HTTPS redirect."""
    method = _pick(rng, METHODS)
    if rng.random() < 0.03:
        method = _pick(rng, ["get", "FOO", "G\x00T", "CONNECT"])
    path = _pick(rng, PATHS)
    if rng.random() < 0.25:
        path = _percent_mess(rng, path)
    query = _query(rng) if rng.random() < 0.5 else ""
    # More fields than Django parses (DATA_UPLOAD_MAX_NUMBER_FIELDS), short enough for the
    # request line, with a charset declared: Django once parsed them in the request's
    # constructor, before any middleware.
    too_many_fields = rng.random() < 0.03
    if too_many_fields:
        query = "&".join("f" for _ in range(1001 + rng.randrange(1500)))
    target = path + ("?" + query if query else "")
    # A raw byte outside ASCII in the request line, with a large body behind it: refused
    # without reading the body, it used to reach the client as a reset (nginx's 502).
    raw_line_with_body = rng.random() < 0.03
    if raw_line_with_body:
        method = "POST"
        target = path + _pick(rng, ["\udce4\udcb8\udcad", "\udcff", "?q=\udc80", "/\udcc3\udca9"])

    headers: list[tuple[str, str]] = []
    host_value = _host(rng, host)
    if host_value is not None:
        headers.append(("Host", host_value))
    cookie = _cookies(rng, creds)
    if cookie is not None:
        headers.append(("Cookie", cookie))
    if rng.random() < 0.7:
        headers.append(("X-CSRFToken", creds.csrf_token))
    if rng.random() < 0.7 and creds.origin:
        headers.append(("Origin", creds.origin))
        headers.append(("Referer", creds.origin + "/sidebar/"))
    if as_proxy and rng.random() < 0.9:
        headers.append(("X-Forwarded-Proto", "https"))
    elif rng.random() < 0.1:
        headers.append(("X-Forwarded-Proto", _pick(rng, ["https", "http", "gopher"])))
    if rng.random() < 0.1:
        headers.append(("X-Forwarded-Host", _pick(rng, ["evil.example", host])))
    if rng.random() < 0.05:
        headers.append(("Accept-Language", _pick(rng, ["en", "zh-hans", "xx;q=abc", "*" * 300])))

    body = b""
    content_type = None
    if method not in ("GET", "HEAD") or rng.random() < 0.1:
        kind = rng.randrange(7)
        charset = _pick(rng, CHARSETS)
        suffix = f"; charset={charset}" if charset else ""
        if kind == 0:
            body, content_type = _form(rng, charset), "application/x-www-form-urlencoded" + suffix
        elif kind == 1:
            body, content_type = _json_body(rng), "application/json" + suffix
        elif kind == 2:
            body, content_type = _multipart(rng)
        elif kind == 3:
            body, content_type = (
                rng.randbytes(rng.randrange(1, 4000)),
                _pick(
                    rng,
                    ["text/plain", "application/octet-stream", "image/png", "", "*/*; charset=x"],
                ),
            )
        elif kind == 4:
            body = b"a=" + b"b" * rng.choice([3 * 1024 * 1024, 9000])
            content_type = "application/x-www-form-urlencoded"
        elif kind == 5:
            body, content_type = (
                b"&".join(b"k%d=v" % i for i in range(1500)),
                ("application/x-www-form-urlencoded"),
            )
        else:
            body, content_type = b"", "application/x-www-form-urlencoded" + suffix
    if raw_line_with_body:
        body = b"a=" + b"b" * rng.choice([900_000, 64_000])
        content_type = "application/x-www-form-urlencoded"
    if too_many_fields and content_type is None:
        content_type = _pick(rng, ["text/plain; charset=utf-8", "application/json; charset=UTF-8"])
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    if body or method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(body))))
    headers.append(("Connection", "close"))

    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + body


def host_of(raw: bytes) -> str | None:
    """The Host header of a raw request, or None."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"host":
            return value.strip().decode("utf-8", "replace")
    return None


def send(raw: bytes, *, address: tuple[str, int], tls: ssl.SSLContext | None, timeout: float,
         server_name: str = ""):  # fmt: skip
    """Send one raw request; the answer's status code, or None when there was none."""
    with socket.create_connection(address, timeout=timeout) as plain:
        conn = tls.wrap_socket(plain, server_hostname=server_name or address[0]) if tls else plain
        # The server may answer (413, 400) and close before it has read everything.
        with contextlib.suppress(OSError):
            conn.sendall(raw)
        answer = b""
        try:
            while b"\r\n" not in answer and len(answer) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (TimeoutError, OSError):
            pass
        if conn is not plain:
            conn.close()
    if not answer.startswith(b"HTTP/"):
        return None
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def fuzz(
    *,
    address: tuple[str, int],
    host: str,
    creds: Credentials,
    count: int,
    server_name: str = "",
    as_proxy: bool = False,
    seed: int = 7,
    concurrency: int = 8,
    tls: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> Report:
    report = Report()
    lock = threading.Lock()
    rng = random.Random(seed)
    batch = [make_request(rng, host=host, creds=creds, as_proxy=as_proxy) for _ in range(count)]
    position = iter(range(count))

    def worker():
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                return
            raw = batch[index]
            try:
                status = send(
                    raw, address=address, tls=tls, timeout=timeout, server_name=server_name
                )
            except OSError:
                status = None
            with lock:
                report.requests += 1
                if status is None:
                    report.no_answer += 1
                    report.unanswered.append(raw)
                    continue
                report.statuses[status] += 1
                if status >= 500:
                    report.server_errors.append((status, raw[:300]))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.seconds = time.monotonic() - started
    return report
