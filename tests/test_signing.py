"""Signature vectors (docs/wecom.md, "JS-SDK signatures"): WeCom's official example, the
WeChat JS-SDK's, and negatives derived from them."""

import pytest

from sidebar.signing import sign, signature, strip_fragment

TICKET = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
NONCE = "Wm3WZYTPz0wzccnW"
TIMESTAMP = 1414587457
TV1_URL = "http://mp.weixin.qq.com?params=value"
TV1_SIGNATURE = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_tv1_official_example():
    assert signature(ticket=TICKET, noncestr=NONCE, timestamp=TIMESTAMP, url=TV1_URL) == (
        TV1_SIGNATURE
    )


def test_tv2_without_query():
    got = signature(
        ticket=TICKET, noncestr=NONCE, timestamp=TIMESTAMP, url="http://mp.weixin.qq.com"
    )
    assert got == "f4d90daf4b3bca3078ab155816175ba34c443a7b"


def test_tv3_fragment_is_not_signed():
    url = strip_fragment("http://mp.weixin.qq.com?params=value#/sidebar?x=1")
    assert signature(ticket=TICKET, noncestr=NONCE, timestamp=TIMESTAMP, url=url) == TV1_SIGNATURE


@pytest.mark.parametrize(
    "forbidden",
    [
        "fc555b5603f3cd82d454a79af8ad7fabb2609276",  # the url URL-encoded before hashing
        "e38013746041040aa9a92d26dd0cf63b4491ed55",  # camel-case `nonceStr=` key
    ],
)
@pytest.mark.parametrize("url", [TV1_URL, TV1_URL + "#/sidebar?x=1"])
def test_tv3_negative_signatures_are_never_produced(forbidden, url):
    produced = signature(
        ticket=TICKET, noncestr=NONCE, timestamp=TIMESTAMP, url=strip_fragment(url)
    )
    assert produced != forbidden
    assert produced == TV1_SIGNATURE


def test_sign_strips_fragment_and_uses_fresh_nonce():
    first = sign(TV1_URL + "#/a", ticket=TICKET, timestamp=TIMESTAMP)
    second = sign(TV1_URL, ticket=TICKET, timestamp=TIMESTAMP)
    assert first.nonceStr != second.nonceStr
    assert len(first.nonceStr) == 16 and first.nonceStr.isalnum()
    assert first.signature == signature(
        ticket=TICKET, noncestr=first.nonceStr, timestamp=TIMESTAMP, url=TV1_URL
    )
