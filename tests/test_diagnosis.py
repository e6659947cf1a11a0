import pytest
from django.utils import translation

from sidebar.diagnosis import diagnose

PAGE = "https://sidebar.example.com/sidebar/?a=1"
FRESH = "retried with a fresh ticket"


@pytest.mark.parametrize(
    ("error", "signed", "page", "version", "words"),
    [
        ("agentConfig:invalid signature", PAGE, PAGE, "4.1.30", FRESH),
        ("agentConfig:invalid signature", PAGE, PAGE + "#/x", "4.1.30", FRESH),
        ("agentConfig:invalid signature", PAGE + "#/x", PAGE + "#/x", "4.1.30", "fragment"),
        ("agentConfig:invalid signature", PAGE.replace("https", "http"), PAGE, "", "scheme"),
        ("config:invalid signature", PAGE.replace("sidebar.example", "10.0.0.5"), PAGE, "", "host"),
        ("agentConfig:invalid signature", PAGE.replace("/sidebar/", "/s/"), PAGE, "", "path"),
        ("agentConfig:invalid signature", PAGE + "&b=2", PAGE, "", "query"),
        ("agentConfig:not match any reliable domain.", "", PAGE, "", "trusted domain"),
        ("agentConfig:invalid corpId", "", PAGE, "", "WECOM_CORP_ID"),
        ("agentConfig:ticket no available", "", PAGE, "", "ticket of another app"),
        ("getCurExternalContact:fail no permission", "", PAGE, "4.1.30", "visible range"),
        ("getCurCorpGroupChat:fail function not exist", "", PAGE, "4.0.8", "too old"),
        ("getCurCorpGroupChat:ok?", "", PAGE, "4.0.8", "too old"),
        ("getCurCorpGroupChat:ok?", "", PAGE, "4.0.12", "Not a known failure"),
        (
            "getCurExternalChat:fail without context of external contact",
            "",
            PAGE,
            "4.1.30",
            "without a customer",
        ),
        ("something new", "", PAGE, "4.1.30", "Not a known failure"),
        (
            "juzi: the sidebar shows another hosted account than the one signed in",
            "",
            PAGE,
            "",
            "another hosted account",
        ),
        ("getCurChatInfo:fail no chat", "", PAGE, "", "did not say which chat"),
        (
            f"sidebar: the server would not sign {PAGE}: Only addresses of this site, as it is "
            "served (http://sidebar.example.com), are signed.",
            PAGE,
            PAGE,
            "4.1.30",
            "DJANGO_SECURE_PROXY_SSL_HEADER",
        ),
    ],
)
def test_diagnosis(error, signed, page, version, words):
    with translation.override("en"):
        found = str(diagnose(error=error, signed_url=signed, page_url=page, wecom_version=version))
    assert words in found
