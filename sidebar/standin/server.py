"""A local HTTP server that answers like WeCom's API and OAuth hosts, for a StandinCorp.

The app reaches it only through WECOM_API_BASE_URL and WECOM_OAUTH_AUTHORIZE_URL (set them to
`server.url` and `server.url + AUTHORIZE_PATH`), exactly as it reaches WeCom.
"""

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from sidebar.standin.corp import Call, StandinCorp, WireError

AUTHORIZE_PATH = "/connect/oauth2/authorize"

# path -> (method, StandinCorp method, needs a valid access_token)
API_ROUTES = {
    "/cgi-bin/gettoken": ("GET", "gettoken", False),
    "/cgi-bin/get_jsapi_ticket": ("GET", "get_jsapi_ticket", True),
    "/cgi-bin/ticket/get": ("GET", "get_agent_ticket", True),
    "/cgi-bin/auth/getuserinfo": ("GET", "getuserinfo", True),
    "/cgi-bin/externalcontact/get": ("GET", "externalcontact_get", True),
}


class StandinServer:
    def __init__(self, corp: StandinCorp, *, host: str = "127.0.0.1", port: int = 0):
        self.corp = corp
        handler = type("Handler", (_Handler,), {"corp": corp})
        self.httpd = _QuietServer((host, port), handler)
        self.httpd.daemon_threads = True
        corp.base_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def authorize_url(self) -> str:
        return self.url + AUTHORIZE_PATH

    def start(self) -> "StandinServer":
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (timeout tests) closes its socket mid-answer; that is expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    corp: StandinCorp
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: tests read counters, not logs
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self._read_body()
        if parts.path == AUTHORIZE_PATH:
            self._authorize(query)
            return
        if parts.path.startswith("/avatar/"):
            self._avatar(parts.path.removeprefix("/avatar/").removesuffix(".svg"))
            return
        route = API_ROUTES.get(parts.path)
        if route is None:
            self._send_json({"errcode": 404, "errmsg": "stand-in: unknown path"}, status=404)
            return
        canned = self.corp.record(Call(method, parts.path, query, body))
        fault = self.corp.take_fault(parts.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.http_status:
            self._send_json({"errcode": -1, "errmsg": "stand-in fault"}, status=fault.http_status)
            return
        if fault and fault.errcode is not None:
            errmsg = fault.errmsg or f"stand-in injected error {fault.errcode}"
            self._send_json({"errcode": fault.errcode, "errmsg": errmsg})
            return
        if canned is not None:
            self._send_json(canned)
            return
        expected_method, handler_name, needs_token = route
        try:
            if method != expected_method:
                raise WireError(43001, f"require {expected_method} method")
            if needs_token:
                self.corp.check_token(query)
            answer = getattr(self.corp, handler_name)(query)
        except WireError as exc:
            self._send_json({"errcode": exc.errcode, "errmsg": exc.errmsg})
            return
        self._send_json({"errcode": 0, "errmsg": "ok", **answer})

    def _authorize(self, query: dict) -> None:
        required = ("appid", "redirect_uri", "response_type", "scope")
        problem = None
        if any(not query.get(name) for name in required):
            problem = "missing parameter"
        elif query["appid"] != self.corp.corp_id:
            problem = "appid is not this corp's id"
        elif query["response_type"] != "code":
            problem = "response_type must be code"
        if problem:
            page = f"<!doctype html><title>OAuth error</title><p>{html.escape(problem)}</p>"
            self._send(400, page.encode(), "text/html; charset=utf-8")
            return
        code = self.corp.issue_code()
        target = query["redirect_uri"]
        target += ("&" if "?" in target else "?") + urlencode(
            {"code": code, "state": query.get("state", "")}
        )
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _avatar(self, name: str) -> None:
        """A generated picture, so pages show avatars without reaching WeCom's image hosts."""
        hue = sum(name.encode()) % 360
        contact = self.corp.contacts.get(name, {}).get("external_contact", {})
        initial = html.escape((contact.get("name") or name or "?")[:1])
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
            f'<rect width="96" height="96" fill="hsl({hue},55%,55%)"/>'
            '<text x="48" y="62" font-size="44" text-anchor="middle" fill="#fff" '
            f'font-family="sans-serif">{initial}</text></svg>'
        )
        self._send(200, svg.encode(), "image/svg+xml")

    def _read_body(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except ValueError:
            return {"_raw": raw.decode("utf-8", "replace")}

    def _send_json(self, data: dict, *, status: int = 200) -> None:
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, payload, "application/json; charset=UTF-8")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
