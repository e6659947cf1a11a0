"""The staff member's own remark entry on a customer, edited through externalcontact/remark
(docs/wecom.md, "Editing a customer").

Only what changed is sent: WeCom clears a field sent empty, and keeps one left out. A cleared
mobile list goes as [""], as WeCom requires. After WeCom accepts, every viewer's cached copy
of the customer is dropped, so the next lookup shows what WeCom now holds.
"""

from dataclasses import dataclass

from sidebar import services
from sidebar.records import audit
from sidebar.records.models import Edit
from sidebar.records.targets import Target
from sidebar.services import Viewer

# WeCom's limits (characters); the number of mobiles is ours: WeCom documents none.
REMARK_MAX = 20
DESCRIPTION_MAX = 150
COMPANY_MAX = 20
MOBILES_MAX = 10
MOBILE_MAX = 20


@dataclass(frozen=True)
class Remark:
    remark: str = ""
    description: str = ""
    company: str = ""
    mobiles: tuple[str, ...] = ()


def current(target: Target) -> Remark:
    """The remark entry as WeCom gave it for the viewer."""
    follower = target.follower
    return Remark(
        remark=str(follower.get("remark") or ""),
        description=str(follower.get("description") or ""),
        company=str(follower.get("remark_corp_name") or ""),
        mobiles=tuple(str(m) for m in follower.get("remark_mobiles") or [] if m),
    )


# Remark field -> externalcontact/remark field
_WIRE = {
    "remark": "remark",
    "description": "description",
    "company": "remark_company",
    "mobiles": "remark_mobiles",
}


def change(*, client, viewer: Viewer, target: Target, wanted: Remark) -> Remark:
    """Send what differs between `wanted` and the current entry; the entry WeCom now holds.
    The company is only WeCom's to keep for WeChat customers (for others it stays as is).
    Raises AuditUnavailable (nothing sent), WeComWritesBusy, WeComError."""
    before = current(target)
    changed = {
        name: getattr(wanted, name)
        for name in _WIRE
        if getattr(wanted, name) != getattr(before, name)
        and (name != "company" or target.is_wechat_user)
    }
    if not changed:
        return before
    wire = {_WIRE[name]: value for name, value in changed.items()}
    if "remark_mobiles" in wire:
        wire["remark_mobiles"] = list(wire["remark_mobiles"]) or [""]
    with audit.sent_to_wecom(
        viewer,
        target,
        action=Edit.Action.REMARK,
        before={name: _plain(getattr(before, name)) for name in changed},
        after={name: _plain(value) for name, value in changed.items()},
    ):
        client.remark_contact(userid=viewer.userid, external_userid=target.id, **wire)
    services.forget_cached_lookups(client=client, target_ids=[target.id])
    return Remark(**{**before.__dict__, **changed})


def _plain(value):
    return list(value) if isinstance(value, tuple) else value
