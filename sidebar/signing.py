"""JS-SDK signatures (docs/wecom.md, "JS-SDK signatures").

signature = lowercase hex SHA-1 of
    jsapi_ticket=TICKET&noncestr=NONCE&timestamp=TIMESTAMP&url=URL
with the keys in that order and case, no URL-encoding, and the URL cut at its first '#'.
config is signed with the corp ticket, agentConfig with the app (agent) ticket. Tickets never
leave the server: only the timestamp, nonce and signature go to the page.
"""

import hashlib
import secrets
import time
from dataclasses import asdict, dataclass


def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def signature(*, ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Signed:
    """What `getConfigSignature` / `getAgentConfigSignature` resolve to, in the SDK's names."""

    timestamp: int
    nonceStr: str
    signature: str


def sign(url: str, *, ticket: str, timestamp: int | None = None) -> Signed:
    nonce = secrets.token_hex(8)  # 16 letters and digits
    ts = int(time.time()) if timestamp is None else timestamp
    sig = signature(ticket=ticket, noncestr=nonce, timestamp=ts, url=strip_fragment(url))
    return Signed(timestamp=ts, nonceStr=nonce, signature=sig)


def page_signatures(url: str, *, client) -> dict:
    """Both signatures for `url`, as the page's boot data and the re-sign endpoint carry them."""
    url = strip_fragment(url)
    timestamp = int(time.time())
    return {
        "url": url,
        "config": asdict(sign(url, ticket=client.corp_ticket(), timestamp=timestamp)),
        "agentConfig": asdict(sign(url, ticket=client.agent_ticket(), timestamp=timestamp)),
    }
