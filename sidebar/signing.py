"""JS-SDK signatures (docs/wecom.md, "JS-SDK signatures").

signature = lowercase hex SHA-1 of
    jsapi_ticket=TICKET&noncestr=NONCE&timestamp=TIMESTAMP&url=URL
with the keys in that order and case, no URL-encoding, and the URL cut at its first '#'.
config is signed with the corp ticket, agentConfig with the app (agent) ticket. Tickets never
leave the server: only the timestamp, nonce and signature go to the page.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass

from sidebar import in_process
from sidebar.wecom.credentials import AGENT_TICKET, CORP_TICKET


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


# Signatures made this minute, per URL and tickets: a page opened again within the minute
# is signed as it was (the nonce and timestamp need not be new, only exactly the ones signed;
# a ticket replaced is another key). About a fifth of the page's own work otherwise.
_made = in_process.Bounded(2000)


def page_signatures(url: str, *, client, trust_local: bool = True) -> dict:
    """Both signatures for `url`, as the page's boot data and the re-sign endpoint carry them.
    `trust_local=False`: with the tickets the shared cache holds now (after a heal)."""
    url = strip_fragment(url)
    now = int(time.time())
    corp = client.corp_ticket(trust_local=trust_local)
    agent = client.agent_ticket(trust_local=trust_local)
    key = (url, corp, agent, now // 60)
    signed = _made.get(key)
    if signed is None:
        signed = {
            "url": url,
            "config": asdict(sign(url, ticket=corp, timestamp=now)),
            "agentConfig": asdict(sign(url, ticket=agent, timestamp=now)),
        }
        _made.put(key, signed)
    return dict(signed)


# What the page calls each signature -> the ticket it is made with.
TICKETS = {"config": CORP_TICKET, "agentConfig": AGENT_TICKET}


def heal(url: str, *, client, kind: str, refused: Signed) -> bool:
    """The client refused `refused`, our `kind` signature ("config" or "agentConfig") for
    `url`. If it was made with the ticket the app holds now, WeCom has stopped honouring that
    ticket (a secret reset, tickets dropped early): fetch a fresh one (client.replace_ticket,
    bounded). If it was made with an older ticket (another process's copy, already replaced),
    nothing needs fetching. True when signing afresh may now pass (docs/wecom.md, "JS-SDK
    signatures")."""
    ticket_kind = TICKETS[kind]
    held = client.ticket(ticket_kind, trust_local=False)
    made = signature(
        ticket=held, noncestr=refused.nonceStr, timestamp=refused.timestamp, url=strip_fragment(url)
    )
    if not hmac.compare_digest(made, refused.signature):
        return True
    return client.replace_ticket(ticket_kind, held) is not None
