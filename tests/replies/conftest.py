import pytest

from sidebar.standin.seed import demo_corp

# User agents as the client sends them (docs/wecom.md, "Client versions").
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh"
)
ANDROID_3_0 = ANDROID.replace("wxwork/4.1.30", "wxwork/3.0.16")
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "wxwork/4.1.30 MicroMessenger/6.2"
)


@pytest.fixture
def corp():
    """Every entry has a chat in the demo corp: customers, groups, 客服 and 上下游."""
    return demo_corp()
