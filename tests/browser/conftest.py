"""Real headless Chromium (Debian's package; no browser downloads) driven by Playwright, with
the native-bridge stand-in beneath the unmodified @wecom/jssdk."""

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("SIDEBAR_CHROMIUM", "/usr/bin/chromium")
# Waits are for page state; on a busy machine that state may take far longer than Playwright's
# 5 s default to arrive, and a slow machine must not fail a test.
expect.set_options(timeout=30_000)
BRIDGE = (Path(__file__).resolve().parents[2] / "sidebar" / "standin" / "bridge.js").read_text()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# User agents as the client sends them (docs/wecom.md, "Client versions").
WECOM_MOBILE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh "
    "ColorScheme/Light"
)
WECOM_OLD = WECOM_MOBILE.replace("wxwork/4.1.30", "wxwork/3.0.16")
PLAIN_BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"

# Collects CSP violations the page reports, so a test can assert there were none.
CSP_WATCH = """
window.__CSP_VIOLATIONS__ = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__CSP_VIOLATIONS__.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def collect_errors(page) -> list[str]:
    """Console errors and uncaught exceptions of `page` and its frames, as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.fixture
def browser():
    """One Chromium per test: Playwright's sync API keeps an asyncio loop registered on the
    test thread while it runs, which Django's ORM (the database flush after each test)
    refuses to run under. Per-test scope ends that loop before the flush."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run .ci/setup --test (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


VERIFY_IN_PAGE = """function (app) {
  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return function (kind, params, url) {
    if (params.corpid !== app.corpId) return "invalid corpId";
    if (kind === "agent" && String(params.agentid) !== app.agentId) return "invalid signature";
    const plain = (ticket) => "jsapi_ticket=" + ticket + "&noncestr=" + params.nonceStr +
      "&timestamp=" + params.timestamp + "&url=" + url.split("#")[0];
    return Promise.all((app.tickets[kind] || []).map((ticket) =>
      crypto.subtle.digest("SHA-1", new TextEncoder().encode(plain(ticket))).then(hex)
    )).then((signatures) =>
      signatures.includes(params.signature) ? "ok" : "invalid signature");
  };
}"""


class WeComWebview:
    """A page opened the way the WeCom client opens a toolbar page."""

    def __init__(
        self,
        browser,
        corp,
        *,
        chat: dict,
        user_agent: str = WECOM_MOBILE,
        cancel_sends=False,
        width: int = 360,
    ):
        self.context = browser.new_context(
            user_agent=user_agent,
            viewport={"width": width, "height": 720},
            locale="zh-CN",
            device_scale_factor=2,
        )
        self.context.expose_function(
            "__wecomVerify",
            lambda kind, params, url: corp.verify_signature(kind=kind, params=params, url=url),
        )
        self.context.expose_function(
            "__wecomCheckMedia", lambda media_id, kind: corp.check_media(media_id, kind)
        )
        config = (
            f"window.__WECOM_BRIDGE__ = {{chat: {json.dumps(chat)}, "
            "verify: function (k, p, u) { return window.__wecomVerify(k, p, u); }, "
            "checkMedia: function (m, t) { return window.__wecomCheckMedia(m, t); }, "
            f"confirm: function () {{ return {'false' if cancel_sends else 'true'}; }}}};"
        )
        if "wxwork/" in user_agent:
            self.context.add_init_script(script=config)
            self.context.add_init_script(script=BRIDGE)
        self.context.add_init_script(script=CSP_WATCH)
        self.page = self.context.new_page()
        self.errors = collect_errors(self.page)

    def verify_in_page(self, corp) -> None:
        """From the next navigation on, the client checks signatures in the page itself, with
        the tickets the stand-in has issued so far, as the real client checks them natively:
        SHA-1 over the same string (sidebar/standin/corp.py, verify_signature). The test's
        own round trips to Python then stay out of what a timing measures."""
        now = time.time()
        tickets = {
            kind: [t for t, expires in issued.items() if expires > now]
            for kind, issued in corp.tickets.items()
        }
        app = {"corpId": corp.corp_id, "agentId": corp.agent_id, "tickets": tickets}
        self.context.add_init_script(
            script=f"window.__WECOM_BRIDGE__.verify = ({VERIFY_IN_PAGE})({json.dumps(app)});"
        )

    def sent(self) -> list[dict]:
        """What the emulated client put into the chat (sendChatMessage answered ok)."""
        return self.page.evaluate("window.__WECOM_SENT__ || []")

    def bridge_log(self) -> list[dict]:
        return self.page.evaluate("window.__WECOM_BRIDGE_LOG__ || []")

    def opened_chats(self) -> list[dict]:
        """The chats openEnterpriseChat opened: {userIds, externalUserIds, chatId}."""
        return self.page.evaluate("window.__WECOM_OPENED_CHATS__ || []")

    def copied(self) -> list[str]:
        """What setClipboardData put on the device's clipboard."""
        return self.page.evaluate("window.__WECOM_CLIPBOARD__ || []")

    def previewed(self) -> list[dict]:
        """The pictures previewImage showed: {current, urls}."""
        return self.page.evaluate("window.__WECOM_PREVIEWED__ || []")

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__CSP_VIOLATIONS__")

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def webview(live_server, standin, corp, browser):
    opened = []

    def open_page(
        *,
        chat: dict,
        user_agent: str = WECOM_MOBILE,
        path: str = "/sidebar/",
        cancel_sends=False,
        width: int = 360,
    ):
        view = WeComWebview(
            browser, corp, chat=chat, user_agent=user_agent, cancel_sends=cancel_sends, width=width
        )
        opened.append(view)
        view.page.goto(live_server.url + path)
        return view

    yield open_page
    for view in opened:
        view.close()


class EmulatorPage:
    """/emulator/ in an ordinary browser: the panel, and the sidebar framed inside it."""

    def __init__(self, browser, url: str, viewport=None):
        self.context = browser.new_context(
            viewport=viewport or {"width": 1100, "height": 1000},
            locale="zh-CN",
            device_scale_factor=1,
        )
        self.context.add_init_script(script=CSP_WATCH)
        self.page = self.context.new_page()
        self.errors = collect_errors(self.page)
        self.page.goto(url + "/emulator/")
        self.sidebar = self.page.frame_locator("#sidebar")

    def sign_in_as(self, name: str) -> None:
        self.sidebar.get_by_role("link", name=name).click()

    def open_chat(self, entry: str, chat: str | None = None) -> None:
        with self.page.expect_response("**/sidebar/"):
            self.page.select_option("#entry", entry)
        if chat is not None:
            with self.page.expect_response("**/sidebar/"):
                self.page.select_option("#chat", chat)

    def press(self, label: str) -> None:
        with self.page.expect_response("**/sidebar/"):
            self.page.get_by_role("button", name=label, exact=True).click()

    def csp_violations(self) -> list[str]:
        return [
            v
            for frame in self.page.frames
            for v in frame.evaluate("window.__CSP_VIOLATIONS__ || []")
        ]

    def screenshot(self, name: str, *, whole: bool = False) -> None:
        """The framed sidebar alone, at toolbar size (360×720), or the whole emulator."""
        ARTIFACTS.mkdir(exist_ok=True)
        if whole:
            self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            return
        box = self.page.locator("#sidebar").bounding_box()  # relative to the viewport
        scroll = self.page.evaluate("({x: window.scrollX, y: window.scrollY})")
        clip = {
            "x": round(box["x"] + scroll["x"]),
            "y": round(box["y"] + scroll["y"]),
            "width": 360,
            "height": 720,
        }
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), clip=clip, full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def emulator(live_server, standin, corp, browser, settings):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    corp.choose_staff = True
    opened = []

    def open_emulator(*, url=None, viewport=None):
        view = EmulatorPage(browser, url or live_server.url, viewport)
        opened.append(view)
        return view

    yield open_emulator
    for view in opened:
        view.close()


PROFILE_NAME = ".profile .name-text"


@pytest.fixture
def signed_in(emulator):
    """The emulator, signed in as 张三 (the demo corp's chooser), showing the first customer."""
    view = emulator()
    expect(view.sidebar.get_by_text("选择成员")).to_be_visible()
    view.sign_in_as("张三 zhangsan")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    return view


def assert_clean(view):
    assert view.errors == []
    assert view.csp_violations() == []


@pytest.fixture
def library(standin):
    """The demo library, as `manage.py emulate` seeds it; kind -> the title of its first reply."""
    with ThreadPoolExecutor(1) as pool:  # off the test thread, where Playwright keeps a loop
        return pool.submit(_seed, standin.url).result()


def _seed(standin_url):
    from sidebar.replies import demo
    from sidebar.replies.models import Reply

    demo.seed(picture=lambda name: f"{standin_url}/avatar/{name}.svg")
    replies = Reply.objects.order_by("-id").values_list("kind", "title")
    return {kind: title for kind, title in replies}


def db(query):
    """The rows `query()` finds, read off the test thread (where Playwright keeps an asyncio
    loop that Django's ORM refuses to run under)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: list(query())).result()
