"""A stand-in for Juzi's (句子互动) hosted sidebar service, on its own origin as Juzi is: its
OAuth (docs/hosts.md, "Juzi") and a control API for tests and the emulator.

  GET  /oauth/connect/authorize?redirect_uri&state   a chooser of hosted account and operator;
       with standin_account and standin_operator it signs in at once (302 to redirect_uri)
  GET  /api/v1/oauth/getUserInfo?code                 single-use codes that expire
  GET  /_juzi/state                                   accounts, operators, call counts
  POST /_juzi/faults     {errcode | answer, times?}   the next getUserInfo answers fail so
                                                      (answer: a whole canned JSON answer)
  POST /_juzi/faults/clear
  GET  /juzi-helper.js                                the helper stand-in (juzi-helper.js)
  GET  /console?page=URL                              Juzi's console: frames the page in its
                                                      system sidebar and relays the helper
  POST /_juzi/helper     {call, params}               the system sidebar's answer to a helper
                                                      call (the console relays it)
  POST /_juzi/chat       {chat}                       the chat the console has open
  POST /_juzi/helper-faults {call, times?}            the next helper calls of `call` fail

The system sidebar answers as docs/hosts.md describes: getCurChatInfo from `chat`,
getCurExternalContact / getCurExternalChat from the open chat, and sendChatMessage checks the
message as Juzi words it ("text content is empty", "url is empty") and fetches the URL of a
picture, video or file, as Juzi must to send it; every call is recorded.

Codes: unknown -4, already used -1, older than `code_lifetime` -2 (Juzi documents the four
errcodes but not which one a reused code gets; the app treats -1, -2 and -4 alike).
"""

import hashlib
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from sidebar.standin.server import LoopbackServer, StandinHandler

AUTHORIZE_PATH = "/oauth/connect/authorize"
USER_INFO_PATH = "/api/v1/oauth/getUserInfo"
CONTROL_PREFIX = "/_juzi/"
CODE_LIFETIME = 300  # Juzi: a code unused for five minutes expires
HELPER_SCRIPT = Path(__file__).resolve().parent / "juzi-helper.js"
CONSOLE_SCRIPT = Path(__file__).resolve().parent / "juzi-console.js"
MEDIA_MESSAGES = ("image", "video", "file")


@dataclass
class JuziHost:
    """Juzi's view of one organisation: hosted WeCom accounts (bots) and the Juzi users who
    operate them."""

    org_id: str = "644a448ab93794cbdccf93cb"
    # bot_id -> {corp_id, user_id, name}
    accounts: dict = field(default_factory=dict)
    # uid -> {name, email}
    operators: dict = field(default_factory=dict)
    code_lifetime: float = CODE_LIFETIME
    calls: Counter = field(default_factory=Counter)

    # The chat open in the console: getCurChatInfo's answer (docs/hosts.md), without err_msg
    chat: dict = field(default_factory=dict)
    # Every helper call answered: {call, params, answer, fetched?}
    records: list = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._codes: dict[str, dict] = {}  # code -> {bot_id, uid, issued, used}
        self._faults: list[dict] = []
        self._helper_faults: dict[str, int | None] = {}  # call -> how many more (None: all)

    def open_chat(self, *, bot_id: str, customer: str = "", group: str = "", internal=False):
        """Open a chat in the console: a single chat with `customer` or the group `group`
        (internal: a chat among colleagues), as hosted account `bot_id`."""
        account = self.accounts[bot_id]
        chat = {
            "Id": secrets.token_hex(12),
            "type": 1 if group else 0,
            "external": not internal,
            "botId": bot_id,
            "botName": account["name"],
            "botStatus": 2,
            "botType": 2,
            "jzUserId": next(iter(self.operators), ""),
        }
        if group:
            chat.update(wxChatId=group, name=group)
        else:
            chat.update(wxUserId=customer, name=customer)
        with self._lock:
            self.chat = chat

    def fail_helper(self, call: str, *, times: int | None = 1) -> None:
        with self._lock:
            self._helper_faults[call] = times

    def helper(self, call: str, params: dict) -> dict:
        """What the system sidebar answers the helper's `call`; recorded."""
        record = {"call": call, "params": params}
        answer = self._helper_fault(call) or self._helper_answer(call, params, record)
        record["answer"] = answer
        with self._lock:
            self.records.append(record)
        return answer

    def sent(self) -> list[dict]:
        return self.calls_of("sendChatMessage")

    def calls_of(self, call: str) -> list[dict]:
        with self._lock:
            return [r for r in self.records if r["call"] == call]

    def _helper_fault(self, call: str) -> dict | None:
        with self._lock:
            if call not in self._helper_faults:
                return None
            left = self._helper_faults[call]
            if left is not None:
                if left <= 1:
                    del self._helper_faults[call]
                else:
                    self._helper_faults[call] = left - 1
        return {"err_msg": f"{call}:fail stand-in fault"}

    def _helper_answer(self, call: str, params: dict, record: dict) -> dict:
        with self._lock:
            chat = dict(self.chat)
        if call == "getCurChatInfo":
            if not chat:
                return {"err_msg": "getCurChatInfo:fail no chat"}
            return {**chat, "err_msg": "getCurChatInfo:ok"}
        if call == "getCurExternalContact":
            found = chat.get("wxUserId") if chat.get("external") and chat.get("type") == 0 else None
            if not found:
                return {"userId": None, "err_msg": "getCurExternalContact:fail"}
            return {"userId": found, "err_msg": "getCurExternalContact:ok"}
        if call == "getCurExternalChat":
            found = chat.get("wxChatId") if chat.get("external") and chat.get("type") == 1 else None
            if not found:
                return {"chatId": None, "err_msg": "getCurExternalChat:fail"}
            return {"chatId": found, "err_msg": "getCurExternalChat:ok"}
        if call == "sendChatMessage":
            return self._send(params, record)
        if call in ("openEnterpriseChat", "previewImage"):
            return {"err_msg": f"{call}:ok"}
        return {"err_msg": f"{call}:fail not supported"}

    def _send(self, message: dict, record: dict) -> dict:
        kind = message.get("msgtype")
        body = message.get(kind) if isinstance(kind, str) else None
        if not isinstance(body, dict):
            return {"err_msg": "sendChatMessage:fail invalid msgtype"}
        if kind == "text" and not str(body.get("content") or "").strip():
            return {"err_msg": "text content is empty"}
        if kind in MEDIA_MESSAGES:
            url = body.get("url")
            if not isinstance(url, str) or not url:
                return {"err_msg": "url is empty"}
            record["fetched"] = fetch(url)
            if record["fetched"]["status"] != 200:
                return {"err_msg": "sendChatMessage:fail could not fetch url"}
        return {"err_msg": "sendChatMessage:ok"}

    def issue_code(self, bot_id: str, uid: str) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = {"bot_id": bot_id, "uid": uid, "issued": time.time(), "used": False}
        return code

    def inject(
        self, *, errcode: int | None = None, answer: object = None, times: int | None = 1
    ) -> None:
        """The next `times` getUserInfo calls (None: all) answer `errcode`, or `answer`."""
        with self._lock:
            self._faults.append({"errcode": errcode, "answer": answer, "times": times})

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, path: str) -> int:
        with self._lock:
            return self.calls[path]

    def user_info(self, code: str) -> object:
        with self._lock:
            self.calls[USER_INFO_PATH] += 1
            fault = self._take_fault()
            if fault is not None:
                return fault["answer"] if fault["errcode"] is None else _error(fault["errcode"])
            found = self._codes.get(code)
            if found is None:
                return _error(-4)
            if found["used"]:
                return _error(-1)
            if time.time() - found["issued"] > self.code_lifetime:
                return _error(-2)
            found["used"] = True
        account, operator = self.accounts[found["bot_id"]], self.operators[found["uid"]]
        return {
            "errcode": 0,
            "errmsg": "",
            "data": {
                "userId": account["user_id"],
                "corpId": account["corp_id"],
                "botId": found["bot_id"],
                "orgId": self.org_id,
                "uid": found["uid"],
                "email": operator.get("email", ""),
                "name": operator.get("name", ""),
            },
        }

    def describe(self) -> dict:
        with self._lock:
            return {
                "chat": dict(self.chat),
                "records": len(self.records),
                "org_id": self.org_id,
                "accounts": [{"bot_id": k, **v} for k, v in self.accounts.items()],
                "operators": [{"uid": k, **v} for k, v in self.operators.items()],
                "calls": dict(self.calls),
            }

    def _take_fault(self) -> dict | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        if fault["times"] is not None:
            fault["times"] -= 1
            if fault["times"] <= 0:
                self._faults.pop(0)
        return fault


def fetch(url: str) -> dict:
    """GET `url` as Juzi's servers would to send a file: status, size, SHA-256, type."""
    request = urllib.request.Request(url, headers={"User-Agent": "JuziStandin/1.0"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            content = answer.read()
            return {
                "url": url,
                "status": answer.status,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "content_type": answer.headers.get("Content-Type", ""),
            }
    except urllib.error.HTTPError as exc:
        return {"url": url, "status": exc.code, "size": 0, "sha256": "", "content_type": ""}
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        return {"url": url, "status": 0, "error": str(exc), "size": 0, "sha256": ""}


ERRMSGS = {-1: "无效的授权码", -2: "授权码已过期", -4: "未找到授权码", -5: "未知错误"}


def _error(errcode: int) -> dict:
    return {"errcode": errcode, "errmsg": ERRMSGS.get(errcode, "error")}


class JuziStandin(LoopbackServer):
    def __init__(
        self,
        host: JuziHost,
        *,
        address: str = "127.0.0.1",
        port: int = 0,
        public_host: str | None = None,
    ):
        self.host = host
        super().__init__(
            type("JuziHandler", (_Handler,), {"juzi": host}),
            host=address,
            port=port,
            public_host=public_host,
        )

    @property
    def helper_url(self) -> str:
        return self.url + "/juzi-helper.js"


class _Handler(StandinHandler):
    juzi: JuziHost

    def do_GET(self):
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == AUTHORIZE_PATH:
            self._authorize(query)
        elif parts.path == USER_INFO_PATH:
            self._send_json(self.juzi.user_info(query.get("code", "")))
        elif parts.path == CONTROL_PREFIX + "state":
            self._send_json(self.juzi.describe())
        elif parts.path == "/juzi-helper.js":
            self._send(200, HELPER_SCRIPT.read_bytes(), "text/javascript; charset=utf-8")
        elif parts.path == "/juzi-console.js":
            self._send(200, CONSOLE_SCRIPT.read_bytes(), "text/javascript; charset=utf-8")
        elif parts.path == "/console":
            self._console(query.get("page", ""))
        else:
            self._send_json({"errcode": 404, "errmsg": "not found"}, status=404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        action = urlsplit(self.path).path.removeprefix(CONTROL_PREFIX)
        if action == "faults" and (isinstance(body.get("errcode"), int) or "answer" in body):
            self.juzi.inject(
                errcode=body.get("errcode"), answer=body.get("answer"), times=body.get("times", 1)
            )
        elif action == "faults/clear":
            self.juzi.clear_faults()
        elif action == "helper" and isinstance(body.get("call"), str):
            params = body.get("params") if isinstance(body.get("params"), dict) else {}
            self._send_json(self.juzi.helper(body["call"], params))
            return
        elif action == "chat" and isinstance(body.get("chat"), dict):
            chat = body["chat"]
            try:
                self.juzi.open_chat(
                    bot_id=str(chat.get("botId", "")),
                    customer=str(chat.get("customer", "")),
                    group=str(chat.get("group", "")),
                    internal=bool(chat.get("internal")),
                )
            except KeyError:
                self._send_json({"error": "unknown hosted account"}, status=400)
                return
        elif action == "helper-faults" and isinstance(body.get("call"), str):
            self.juzi.fail_helper(body["call"], times=body.get("times", 1))
        else:
            self._send_json({"error": f"unknown action: {action}"}, status=404)
            return
        self._send_json({"ok": True})

    def _authorize(self, query: dict) -> None:
        target = query.get("redirect_uri", "")
        state = query.get("state", "")
        if not target.startswith(("http://", "https://")):
            self._send_page(400, "<p>redirect_uri is required</p>")
            return
        if len(state) > 128 or (state and not (state.isascii() and state.isalnum())):
            self._send_page(400, "<p>state must be [a-zA-Z0-9], at most 128 bytes</p>")
            return
        bot_id, uid = query.get("standin_account"), query.get("standin_operator")
        if bot_id in self.juzi.accounts and uid in self.juzi.operators:
            code = self.juzi.issue_code(bot_id, uid)
            separator = "&" if "?" in target else "?"
            self.send_response(302)
            self.send_header(
                "Location", target + separator + urlencode({"code": code, "state": state})
            )
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        items = []
        for uid, operator in self.juzi.operators.items():
            for bot_id, account in self.juzi.accounts.items():
                link = (
                    AUTHORIZE_PATH
                    + "?"
                    + urlencode({**query, "standin_account": bot_id, "standin_operator": uid})
                )
                label = (
                    f"<b>{html.escape(account['name'])}</b> {html.escape(account['user_id'])} "
                    f"@ {html.escape(account['corp_id'])} · 操作人 {html.escape(operator['name'])}"
                )
                items.append(f'<li><a href="{html.escape(link)}">{label}</a></li>')
        self._send_page(
            200,
            "<h1>句子互动 · 选择托管账号</h1><p>Juzi 模拟器：以哪个托管账号、由谁操作？</p>"
            f'<ul class="accounts">{"".join(items)}</ul>',
        )

    def _console(self, page: str) -> None:
        if not page.startswith(("http://", "https://")):
            self._send_page(400, "<p>page (the sidebar page's URL) is required</p>")
            return
        self._send_page(
            200,
            '<header class="console-bar">句子互动 · 系统侧边栏</header>'
            f'<iframe id="system-sidebar" src="{html.escape(page)}" title="系统侧边栏" '
            'width="360" height="680"></iframe>'
            '<script src="/juzi-console.js"></script>',
            style="body{margin:0}.console-bar{height:40px;line-height:40px;padding:0 12px;"
            "background:#2b2f36;color:#fff;font-size:14px}iframe{display:block;border:0}",
        )

    def _send_page(self, status: int, body: str, *, style: str = "") -> None:
        page = (
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>句子互动</title>"
            "<style>body{font:15px/1.6 sans-serif;margin:16px;color:#1f2329}"
            "ul{padding:0;list-style:none}li a{display:block;padding:10px 12px;margin:6px 0;"
            "border:1px solid #e5e6eb;border-radius:8px;text-decoration:none;color:inherit}"
            f"h1{{font-size:17px}}{style}</style>{body}</html>"
        )
        self._send(status, page.encode(), "text/html; charset=utf-8")


def demo_host(corp_id: str, *, other_corp_id: str = "wwOtherCorp000001") -> JuziHost:
    """Hosted accounts of the demo corp (zhangsan, lisi) and one of another corp, operated by
    two Juzi users."""
    host = JuziHost()
    host.accounts = {
        "647844cd6059597fc5c79f38": {"corp_id": corp_id, "user_id": "zhangsan", "name": "张三"},
        "647844cd6059597fc5c79f39": {"corp_id": corp_id, "user_id": "lisi", "name": "李四"},
        "647844cd6059597fc5c79f3a": {
            "corp_id": other_corp_id,
            "user_id": "zhaoliu",
            "name": "赵六（别的企业）",
        },
    }
    host.operators = {
        "644a448ab93794cbdccf93ca": {"name": "运营小周", "email": "zhou@example.com"},
        "644a448ab93794cbdccf93cd": {"name": "客服主管老吴", "email": "wu@example.com"},
    }
    return host
