"""A local HTTP server that answers like WeCom's API and OAuth hosts, for a StandinCorp.

The app reaches it only through WECOM_API_BASE_URL and WECOM_OAUTH_AUTHORIZE_URL (set them to
`server.url` and `server.url + AUTHORIZE_PATH`), exactly as it reaches WeCom.

Besides WeCom's paths it has a control API under /_standin/ for tests and the emulator:
  GET  /_standin/state            the corp (staff, customers, groups, ...), call counts, faults
  POST /_standin/faults           {path, errcode?, errmsg?, delay?, http_status?, times?, hold?}
  POST /_standin/faults/clear     remove every fault and canned answer
  POST /_standin/expire-tokens    every access_token issued so far answers 42001
  POST /_standin/rotate-tickets   every ticket issued so far stops matching signatures
  POST /_standin/verify           {kind, params, url}: what the client answers config/agentConfig
  POST /_standin/reset-counters
  POST /_standin/expire-media     every media_id issued so far is past its lifetime
  POST /_standin/media-check      {mediaid, type}: what the client finds when it sends it
  GET  /_standin/media/<media_id> the uploaded file (the emulator's transcript shows it)
  GET  /_standin/media-info/<media_id>  {type, filename, size, expired} of an uploaded file
  GET  /_standin/messages/<userid>  the app messages (message/send) a staff member received
  POST /_standin/wecom-change     {action, params}: a change made in WeCom itself, and the
                                  event WeCom posts to the app's callback (corp.change_in_wecom)
"""

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from sidebar.standin.corp import Call, StandinCorp, WireError

AUTHORIZE_PATH = "/connect/oauth2/authorize"
CONTROL_PREFIX = "/_standin/"

# path -> (method, StandinCorp method, needs a valid access_token)
API_ROUTES = {
    "/cgi-bin/gettoken": ("GET", "gettoken", False),
    "/cgi-bin/get_jsapi_ticket": ("GET", "get_jsapi_ticket", True),
    "/cgi-bin/ticket/get": ("GET", "get_agent_ticket", True),
    "/cgi-bin/auth/getuserinfo": ("GET", "getuserinfo", True),
    "/cgi-bin/externalcontact/get": ("GET", "externalcontact_get", True),
    "/cgi-bin/externalcontact/list": ("GET", "externalcontact_list", True),
    "/cgi-bin/externalcontact/groupchat/get": ("POST", "groupchat_get", True),
    "/cgi-bin/kf/customer/batchget": ("POST", "kf_customer_batchget", True),
    "/cgi-bin/corpgroup/corp/list_app_share_info": ("POST", "list_app_share_info", True),
    "/cgi-bin/corpgroup/corp/gettoken": ("POST", "corpgroup_gettoken", True),
    "/cgi-bin/user/get": ("GET", "user_get", True),
    "/cgi-bin/agent/get": ("GET", "agent_get", True),
    "/cgi-bin/externalcontact/get_follow_user_list": ("GET", "get_follow_user_list", True),
    "/cgi-bin/media/upload": ("POST", "media_upload", True),
    "/cgi-bin/externalcontact/remark": ("POST", "externalcontact_remark", True),
    "/cgi-bin/externalcontact/mark_tag": ("POST", "externalcontact_mark_tag", True),
    "/cgi-bin/externalcontact/get_corp_tag_list": ("POST", "get_corp_tag_list", True),
    "/cgi-bin/message/send": ("POST", "message_send", True),
}

FAULT_FIELDS = {"errcode", "errmsg", "delay", "http_status", "times", "hold"}


class LoopbackServer:
    """An HTTP server for `handler` answering on a thread of its own: the stand-ins' shell."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        host: str,
        port: int,
        public_host: str | None = None,
    ):
        self.httpd = _QuietServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        # The name its URLs use (e.g. "localhost" for a server bound to 127.0.0.1, to be
        # another site than the app in a browser).
        self.public_host = public_host

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{self.public_host or host}:{port}"

    def start(self):
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class StandinServer(LoopbackServer):
    def __init__(self, corp: StandinCorp, *, host: str = "127.0.0.1", port: int = 0):
        self.corp = corp
        super().__init__(type("Handler", (_Handler,), {"corp": corp}), host=host, port=port)
        corp.base_url = self.url

    @property
    def authorize_url(self) -> str:
        return self.url + AUTHORIZE_PATH

    def stop(self) -> None:
        self.corp.release()
        super().stop()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (timeout tests) closes its socket mid-answer; that is expected.
        pass


class StandinHandler(BaseHTTPRequestHandler):
    """What every stand-in's handler shares: keep-alive HTTP/1.1, no log, answers with a
    length."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body of every keep-alive
    # answer waits ~40 ms for the client's delayed ACK of the headers.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet: tests read counters, not logs
        pass

    def _send_json(self, data: object, *, status: int = 200) -> None:
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, payload, "application/json; charset=UTF-8")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Handler(StandinHandler):
    corp: StandinCorp

    def date_time_string(self, timestamp=None):
        """The Date header: WeCom's clock, which a test may set apart from ours."""
        if timestamp is None:
            timestamp = time.time() + self.corp.clock_offset
        return super().date_time_string(timestamp)

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
        elif parts.path.startswith("/avatar/"):
            self._avatar(parts.path.removeprefix("/avatar/").removesuffix(".svg"))
        elif parts.path.startswith(CONTROL_PREFIX):
            self._control(method, parts.path.removeprefix(CONTROL_PREFIX), body)
        elif parts.path in API_ROUTES:
            self._api(method, parts.path, query, body)
        else:
            self._send_json({"errcode": 404, "errmsg": "stand-in: unknown path"}, status=404)

    # WeCom's API -----------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict, body: dict | None) -> None:
        within_limit = self.corp.started(path)
        try:
            if within_limit:
                self._answer(method, path, query, body)
            else:
                self.corp.record(Call(method, path, query, body))
                self._send_json({"errcode": 45033, "errmsg": "api concurrent out of limit"})
        finally:
            self.corp.finished(path)

    def _answer(self, method: str, path: str, query: dict, body: dict | None) -> None:
        canned = self.corp.record(Call(method, path, query, body))
        fault = self.corp.take_fault(path)
        if fault and fault.hold:
            self.corp.hold()
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
        expected_method, handler_name, needs_token = API_ROUTES[path]
        try:
            if method != expected_method:
                raise WireError(43001, f"require {expected_method} method")
            if needs_token:
                self.corp.check_token(query)
            answer = getattr(self.corp, handler_name)(query, body)
        except WireError as exc:
            self._send_json({"errcode": exc.errcode, "errmsg": exc.errmsg})
            return
        self._send_json({"errcode": 0, "errmsg": "ok", **answer})

    # OAuth -----------------------------------------------------------------------------

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
            self._send_page(400, "OAuth error", f"<p>{html.escape(problem)}</p>")
            return
        identity = query.get("standin_userid") or self.corp.identity_to_sign_in()
        if identity is None:
            self._choose_staff(query)
            return
        if isinstance(identity, str) and identity not in self.corp.staff:
            self._send_page(400, "OAuth error", "<p>unknown staff member</p>")
            return
        target = query["redirect_uri"]
        target += ("&" if "?" in target else "?") + urlencode(
            {"code": self.corp.issue_code(identity), "state": query.get("state", "")}
        )
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _choose_staff(self, query: dict) -> None:
        """What the emulator shows instead of WeCom's silent sign-in: pick who you are."""
        items = []
        for userid, member in self.corp.staff.items():
            link = AUTHORIZE_PATH + "?" + urlencode({**query, "standin_userid": userid})
            name = html.escape(member.get("name", userid))
            items.append(
                f'<li><a href="{html.escape(link)}"><b>{name}</b> {html.escape(userid)}</a></li>'
            )
        body = (
            f"<h1>{html.escape(self.corp.corp_name)} · 选择成员</h1>"
            "<p>企业微信模拟器：以哪位成员的身份打开侧边栏？</p>"
            f'<ul class="staff">{"".join(items)}</ul>'
        )
        self._send_page(200, "选择成员", body)

    # Control API -----------------------------------------------------------------------

    def _control(self, method: str, action: str, body: dict | None) -> None:
        body = body or {}
        corp = self.corp
        if method == "GET" and action == "state":
            self._send_json(corp.describe())
            return
        if method == "GET" and action.startswith("media/"):
            self._media(action.removeprefix("media/"))
            return
        if method == "GET" and action.startswith("messages/"):
            self._send_json({"messages": corp.messages_to(action.removeprefix("messages/"))})
            return
        if method == "GET" and action.startswith("media-info/"):
            info = corp.media_info(action.removeprefix("media-info/"))
            if info is None:
                self._send_json({"errcode": 40007, "errmsg": "invalid media_id"}, status=404)
            else:
                self._send_json(info)
            return
        if method != "POST":
            self._send_json({"error": "POST only"}, status=405)
            return
        if action == "faults":
            path = body.get("path")
            if path not in API_ROUTES:
                self._send_json({"error": f"unknown path: {path}"}, status=400)
                return
            corp.inject(path, **{k: v for k, v in body.items() if k in FAULT_FIELDS})
        elif action == "faults/clear":
            corp.clear_faults()
        elif action == "expire-tokens":
            corp.expire_tokens()
        elif action == "rotate-tickets":
            corp.rotate_tickets()
        elif action == "reset-counters":
            corp.reset_counters()
        elif action == "expire-media":
            corp.expire_media()
        elif action == "wecom-change":
            try:
                corp.change_in_wecom(str(body.get("action", "")), **(body.get("params") or {}))
            except (WireError, TypeError) as exc:
                self._send_json({"error": str(exc)}, status=400)
                return
        elif action == "media-check":
            result = corp.check_media(str(body.get("mediaid", "")), str(body.get("type", "")))
            self._send_json({"result": result})
            return
        elif action == "verify":
            kind = body.get("kind")
            if kind not in ("corp", "agent") or not isinstance(body.get("params"), dict):
                self._send_json({"error": "kind and params required"}, status=400)
                return
            result = corp.verify_signature(
                kind=kind, params=body["params"], url=str(body.get("url", ""))
            )
            self._send_json({"result": result})
            return
        else:
            self._send_json({"error": f"unknown action: {action}"}, status=404)
            return
        self._send_json({"ok": True})

    # Pages and pictures ----------------------------------------------------------------

    def _media(self, media_id: str) -> None:
        item = self.corp.media.get(media_id)
        if item is None:
            self._send_json({"errcode": 40007, "errmsg": "invalid media_id"}, status=404)
            return
        self._send(200, item["content"], item["content_type"] or "application/octet-stream")

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

    def _send_page(self, status: int, title: str, body: str) -> None:
        page = (
            '<!doctype html><html lang="zh-hans"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{html.escape(title)}</title>"
            "<style>body{font:15px/1.6 sans-serif;margin:16px;color:#1f2329}"
            "ul{padding:0;list-style:none}li a{display:block;padding:10px 12px;margin:6px 0;"
            "border:1px solid #e5e6eb;border-radius:8px;text-decoration:none;color:inherit}"
            "h1{font-size:17px}</style>"
            f"{body}</html>"
        )
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _read_body(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return None
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            return _multipart(raw, content_type)
        try:
            return json.loads(raw)
        except ValueError:
            return {"_raw": raw.decode("utf-8", "replace")}


def _multipart(raw: bytes, content_type: str) -> dict:
    """A multipart/form-data body as {"fields": {name: text}, "files": {name: (filename,
    content type, bytes)}}; what cannot be parsed is left out."""
    fields, files = {}, {}
    boundary = ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return {"fields": fields, "files": files}
    for part in raw.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        params = {}
        for item in headers.get("content-disposition", "").split(";")[1:]:
            key, _, value = item.strip().partition("=")
            params[key.lower()] = value.strip('"')
        name = params.get("name", "")
        if "filename" in params:
            files[name] = (params["filename"], headers.get("content-type", ""), content)
        else:
            fields[name] = content.decode("utf-8", "replace")
    return {"fields": fields, "files": files}
