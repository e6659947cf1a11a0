"""The hosts the sidebar page runs in besides the WeCom client itself: hosted sidebars, such as
Juzi's (句子互动), which host WeCom accounts in their own console and sign staff in through their
own OAuth (docs/hosts.md).

In a hosted sidebar the staff identity is still a WeCom userid (the hosted account's), and
authorization is exactly the WeCom page's; what a host adds is the person operating that
account in its console, recorded with every audit and send row.
"""

from dataclasses import dataclass

WECOM = "wecom"
JUZI = "juzi"


@dataclass(frozen=True)
class Operator:
    """Who operated the hosted account: the host and its own user (id and name)."""

    host: str
    uid: str
    name: str = ""


def audit_fields(operator: Operator | None) -> dict:
    """The host columns of an audit or send row (the WeCom client's when no operator)."""
    if operator is None:
        return {"host": WECOM, "operator_uid": "", "operator_name": ""}
    return {
        "host": operator.host,
        "operator_uid": operator.uid[:64],
        "operator_name": operator.name[:64],
    }
