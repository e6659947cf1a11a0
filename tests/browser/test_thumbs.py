"""Every control a thumb can hit, on every panel, at the toolbar's 360×720 and at 320 px:
a tap area of at least 44×44 CSS px, nothing clipped, nothing wider than the screen. And the
library as staff read it: names filled in, no {placeholder} left, their own replies and stars
first, copying a reply."""

import json
import re

import pytest
from playwright.sync_api import expect

from sidebar.standin.seed import demo_corp
from tests.browser.conftest import db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SINGLE = {"entry": "single_chat_tools", "userId": "wmChenXiaoMing0001"}
PANELS = {
    "single": SINGLE,
    "group": {"entry": "group_chat_tools", "chatId": "wrSalesGroup00001"},
    "kf": {"entry": "single_kf_tools", "userId": "wmKfCustomer00001"},
    "chain": {
        "entry": "chain_single_chat_tools",
        "corpId": "wwDownstream00001",
        "userId": "wangjingli",
    },
    "chain-group": {"entry": "chain_group_chat_tools", "chatId": "wrChainGroup00001"},
    "home": {"entry": "normal"},
}
TAP = 44  # CSS px, each way

# Every interactive element that is rendered, with its tap area (a checkbox's or radio's is
# its label's), and what is wrong with it.
MEASURE = """(tap) => {
  const width = document.documentElement.clientWidth;
  const wrong = [];
  const interactive = 'a[href], button, input, select, textarea, summary, label, [role=button]';
  for (const el of document.querySelectorAll(interactive)) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    const box = 'input[type=checkbox], input[type=radio]';
    if (el.matches('label') && !el.querySelector(box)) continue;
    if (el.matches(box) && el.closest('label')) continue;
    const area = el.getBoundingClientRect();
    const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.className
      || el.tagName).trim().replace(/\\s+/g, ' ').slice(0, 24);
    if (area.width < tap - 0.5 || area.height < tap - 0.5) {
      wrong.push(name + ': ' + Math.round(area.width) + '×' + Math.round(area.height));
    }
    if (area.left < -0.5 || area.right > width + 0.5) {
      wrong.push(name + ': outside, ' + Math.round(area.left) + '…' + Math.round(area.right));
    }
    if (el.matches('button, a, summary') && el.scrollWidth > el.clientWidth + 1) {
      wrong.push(name + ': text clipped');
    }
  }
  if (document.documentElement.scrollWidth > width + 0.5) {
    wrong.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
  }
  return wrong;
}"""


@pytest.fixture
def corp():
    return demo_corp()


def wrongs(view) -> list[str]:
    return view.page.evaluate(MEASURE, TAP)


def open_library(view):
    expect(view.page.locator("#tabs")).to_be_visible()
    view.page.get_by_role("button", name="话术", exact=True).click()
    expect(view.page.locator("#library .reply").first).to_be_visible()


@pytest.mark.parametrize("width", [360, 320])
def test_every_panel_is_thumb_sized_and_fits(webview, library, width):
    found = {}
    for name, chat in PANELS.items():
        view = webview(chat=chat, width=width)
        expect(view.page.locator("#panel article")).to_be_visible()
        found[name] = wrongs(view)
        if name in ("single", "group"):
            open_library(view)
            view.page.locator(".own-new").click()
            details = view.page.locator(".library-unavailable")
            if details.count():
                details.locator("summary").click()
            found[name + " library"] = wrongs(view)
        view.close()
    wrong = {name: problems for name, problems in found.items() if problems}
    assert wrong == {}, json.dumps(wrong, ensure_ascii=False, indent=1)


def test_the_library_reads_as_the_customer_will_read_it(webview, library):
    view = webview(chat=SINGLE)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    open_library(view)
    greeting = view.page.locator(".reply", has_text="欢迎语").first
    # zhangsan's remark for 陈小明, and his name, as the send fills them in
    expect(greeting.locator(".bubble-text")).to_contain_text("陈先生（老客户）您好，我是张三")
    text = view.page.locator("#library").inner_text()
    assert not re.search(r"\\{[^}]*\\}", text), text
    greeting.get_by_role("button", name="复制").click()
    expect(greeting.locator(".reply-status")).to_have_text(re.compile("已复制"))
    assert view.copied() == [greeting.locator(".bubble-text").inner_text()]


def test_staff_write_star_and_find_their_own_first(webview, library):
    view = webview(chat=SINGLE)
    open_library(view)
    page = view.page
    page.locator(".own-new").click()
    page.get_by_label("标题", exact=True).fill("报价跟进")
    page.get_by_label("内容", exact=True).fill("报价单已发你，")
    page.locator(".own-insert", has_text="客户称呼").click()
    page.get_by_role("button", name="保存").click()
    own = page.locator(".reply-own .reply", has_text="报价跟进")
    expect(own.locator(".bubble-text")).to_have_text("报价单已发你，陈先生（老客户）")
    own.get_by_role("button", name="发送").click()
    expect(own.locator(".reply-status")).to_have_text("已发送")
    assert view.sent()[-1]["message"]["text"]["content"] == "报价单已发你，陈先生（老客户）"

    closing = page.locator(".reply-category:not(.reply-own) .reply", has_text=library["file"])
    closing.locator(".star").click()
    starred = page.locator(".reply-starred .reply")
    expect(starred).to_have_count(1)
    expect(starred.locator(".reply-title")).to_have_text(library["file"])
    order = page.locator("#library .reply-category h2").all_inner_texts()
    assert order[:2] == ["我的话术", "收藏"]
    view.screenshot("library-own-and-starred-360")

    own.get_by_role("button", name="删除").click()
    own.get_by_role("button", name="再点一次删除").click()
    expect(page.locator(".reply-own .reply")).to_have_count(0)
    from sidebar.replies.models import Reply

    assert db(lambda: Reply.objects.filter(owner_userid="zhangsan")) == []


def test_pictures_keep_their_place_before_they_load(webview, library):
    view = webview(chat=SINGLE)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    # No picture arrives: each must already hold the box it will fill.
    view.page.route(re.compile(r".*/(avatar/.*|replies/\d+/file)$"), lambda route: route.abort())
    open_library(view)
    heights = view.page.eval_on_selector_all(
        "#library .bubble img", "imgs => imgs.map(i => i.getBoundingClientRect().height)"
    )
    assert len(heights) >= 3 and min(heights) >= 40, heights
