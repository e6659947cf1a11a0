"""配置体检, the configuration doctor: every setup mistake that makes a sidebar fail, checked
before staff meet it, each as a line that passes or says what is wrong and how to fix it.

Run by `manage.py wecom_doctor` (exit status 1 on any failure, for deploy scripts) and the
admin page /admin/doctor/ (superusers). It makes at most five WeCom calls — gettoken, the two
tickets (from the cache when they are there), agent/get, get_follow_user_list — and never
prints a secret, a token or a ticket (docs/configuration.md, "The configuration doctor").
"""

import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.utils.translation import gettext as _

from sidebar import probes
from sidebar.events import verification
from sidebar.events.models import ChangeEvent
from sidebar.events.views import FRESH_SECONDS
from sidebar.exceptions import ConfigurationError, WeComAPIError, WeComError
from sidebar.explanations import explain
from sidebar.models import Lookup
from sidebar.wecom import get_client
from sidebar.wecom.config import callback_crypto, setting_problems, verification_file

JSSDK = "vendor/wecom-jssdk/wecom.global.prod.js"
_FROM_IP = re.compile(r"from ip:\s*([0-9a-fA-F.:]+)")
RECENT_STAFF = 200  # staff members who used the sidebar, read from the newest audit rows
# How far this server's clock may be from WeCom's: well inside the five minutes beyond which
# WeCom's events are refused, and far above the second a Date header (plus a round trip) blurs.
CLOCK_SKEW_LIMIT = 60


@dataclass(frozen=True)
class Finding:
    check: str  # what was checked, in a few words
    ok: bool
    said: str  # what was found
    fix: str = ""  # what to do about it, when not ok


def examine() -> list[Finding]:
    """Every check, in the order a deployment is set up."""
    findings = [*_settings(), _database(), _shared_cache(), _static_files(), _public_url()]
    findings += _verify_file()
    if not setting_problems():
        findings += _wecom()
    findings += _callback()
    return findings


def failed(findings: list[Finding]) -> bool:
    return any(not f.ok for f in findings)


# Without WeCom ----------------------------------------------------------------------------


def _settings() -> list[Finding]:
    problems = setting_problems()
    if not problems:
        return [Finding(_("WeCom settings"), True, _("Corp ID, AgentId and Secret are set."))]
    return [
        Finding(
            _("WeCom settings"),
            False,
            _("%(name)s is not set or not valid.") % {"name": p.setting},
            _("Set %(name)s: %(hint)s.") % {"name": p.setting, "hint": p.hint},
        )
        for p in problems
    ]


def _database() -> Finding:
    problem = probes.database_problem()
    if problem is not None:
        return Finding(
            _("Database"),
            False,
            _("The database does not answer: %(error)s") % {"error": type(problem).__name__},
            _("Check DATABASE_URL and that the database server is running."),
        )
    return Finding(_("Database"), True, _("Answers (%(vendor)s).") % {"vendor": connection.vendor})


def _shared_cache() -> Finding:
    if not settings.REDIS_URL:
        return Finding(
            _("Shared cache"),
            True,
            _("None: the in-process cache serves one process only (fine for one process)."),
        )
    if not probes.cache_answers():
        return Finding(
            _("Shared cache"),
            False,
            _("Redis does not answer."),
            _("Check REDIS_URL and that redis-server is running."),
        )
    return Finding(_("Shared cache"), True, _("Redis answers."))


def _static_files() -> Finding:
    if finders.find(JSSDK) is None and not _collected(JSSDK):
        return Finding(
            _("Static files"),
            False,
            _("The WeCom JS-SDK (%(file)s) is missing.") % {"file": JSSDK},
            _("Run npm ci and manage.py collectstatic (make setup does both)."),
        )
    return Finding(_("Static files"), True, _("The WeCom JS-SDK is served from this site."))


def _collected(path: str) -> bool:
    return bool(settings.STATIC_ROOT) and (Path(settings.STATIC_ROOT) / path).is_file()


def _public_host() -> str:
    """The host the page is served at: SIDEBAR_PUBLIC_URL's, else the one allowed host."""
    if settings.SIDEBAR_PUBLIC_URL:
        return urlsplit(settings.SIDEBAR_PUBLIC_URL).netloc
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    return hosts[0] if len(hosts) == 1 else ""


def _public_url() -> Finding:
    url = settings.SIDEBAR_PUBLIC_URL
    if not url:
        return Finding(
            _("Public address"),
            False,
            _("SIDEBAR_PUBLIC_URL is not set."),
            _(
                "Set it to the https address staff open, e.g. https://sidebar.example.com: "
                "reminders link to it and this check compares it with the trusted domain."
            ),
        )
    if urlsplit(url).scheme != "https" and not settings.DEBUG:
        return Finding(
            _("Public address"),
            False,
            _("%(url)s is not https.") % {"url": url},
            _("Serve the sidebar over https (WeCom's client requires it) and set the https URL."),
        )
    page = url.rstrip("/") + "/sidebar/"
    return Finding(_("Public address"), True, _("The page signs %(page)s.") % {"page": page})


def _verify_file() -> list[Finding]:
    if not settings.WECOM_VERIFY_FILE:
        return []
    path = verification_file()
    if path is None or not path.is_file():
        return [
            Finding(
                _("Domain ownership file"),
                False,
                _("WECOM_VERIFY_FILE is not a readable WW_verify_*.txt file."),
                _("Download it where you set the trusted domain and point the setting at it."),
            )
        ]
    return [
        Finding(_("Domain ownership file"), True, _("Served at /%(name)s.") % {"name": path.name})
    ]


# WeCom ------------------------------------------------------------------------------------


def _wecom() -> list[Finding]:
    try:
        client = get_client()
    except ConfigurationError:
        return []  # the settings check said why
    try:
        client.api.get_token(corp_id=client.app.corp_id, secret=client.app.secret)
    except WeComError as exc:
        return [_wecom_failure(_("Corp ID and Secret"), exc)]
    findings = [Finding(_("Corp ID and Secret"), True, _("WeCom issues this app a token."))]
    findings += _clock(client.api.clock_offset())
    try:
        client.corp_ticket()
        client.agent_ticket()
        findings.append(Finding(_("JS-SDK tickets"), True, _("Both tickets are issued.")))
    except WeComError as exc:
        findings.append(_wecom_failure(_("JS-SDK tickets"), exc))
    try:
        agent = client.get_agent()
    except WeComError as exc:
        return [*findings, _wecom_failure(_("The app's settings"), exc)]
    findings += _agent(agent)
    findings += _customer_contact(client, agent)
    return findings


def _clock(offset: float | None) -> list[Finding]:
    """This server's clock against WeCom's (the Date of the answer to gettoken)."""
    if offset is None:
        return []  # the answer carried no time to compare with
    seconds = round(abs(offset))
    if seconds <= CLOCK_SKEW_LIMIT:
        said = _("This server's clock agrees with WeCom's (%(seconds)s s apart).")
        return [Finding(_("Clock"), True, said % {"seconds": seconds})]
    if offset > 0:
        said = _("This server's clock is %(seconds)s s behind WeCom's.")
    else:
        said = _("This server's clock is %(seconds)s s ahead of WeCom's.")
    fix = _(
        "Keep the clock synchronised with NTP (e.g. timedatectl set-ntp true). WeCom's event "
        "messages are refused when their time is more than %(minutes)s minutes from this "
        "server's, and the page's signatures carry this server's time."
    )
    minutes = FRESH_SECONDS // 60
    return [Finding(_("Clock"), False, said % {"seconds": seconds}, fix % {"minutes": minutes})]


def _wecom_failure(check: str, exc: WeComError) -> Finding:
    explanation = explain(exc)
    said = str(explanation.title)
    if isinstance(exc, WeComAPIError):
        said += " " + _("(WeCom errcode %(errcode)s)") % {"errcode": exc.errcode}
        ip = _FROM_IP.search(exc.errmsg or "")
        if ip:
            said += " " + _("WeCom saw this server as %(ip)s.") % {"ip": ip.group(1)}
    # The doctor's reader is the one who fixes it: the setting names first, then the steps.
    fix = " ".join(str(part) for part in (explanation.action, explanation.technical) if part)
    return Finding(check, False, said, fix)


def _agent(agent: dict) -> list[Finding]:
    findings = []
    if agent.get("close"):
        findings.append(
            Finding(
                _("The app"),
                False,
                _("The app is disabled in the admin console."),
                _("Enable it: 应用管理 → the app → 启用."),
            )
        )
    domain = str(agent.get("redirect_domain") or "")
    host = _public_host()
    if not domain:
        findings.append(
            Finding(
                _("Trusted domain"),
                False,
                _("The app has no trusted domain."),
                _("Set 网页授权及JS-SDK → 可信域名 to %(host)s.")
                % {"host": host or _("this site's host")},
            )
        )
    elif host and domain != host:
        findings.append(
            Finding(
                _("Trusted domain"),
                False,
                _("The app trusts %(domain)s, but the sidebar is served at %(host)s.")
                % {"domain": domain, "host": host},
                _(
                    "Set 网页授权及JS-SDK → 可信域名 to %(host)s (ports included), or fix "
                    "SIDEBAR_PUBLIC_URL."
                )
                % {"host": host},
            )
        )
    else:
        findings.append(Finding(_("Trusted domain"), True, _("%(domain)s.") % {"domain": domain}))
    return findings


def _visible_users(agent: dict) -> set[str] | None:
    """The members in the app's visible range, or None when it also names departments or tags
    (expanding them would cost more calls than this check may make)."""
    if (agent.get("allow_partys") or {}).get("partyid") or (agent.get("allow_tags") or {}).get(
        "tagid"
    ):
        return None
    users = (agent.get("allow_userinfos") or {}).get("user") or []
    return {str(u.get("userid")) for u in users if u.get("userid")}


def _customer_contact(client, agent: dict) -> list[Finding]:
    try:
        enabled = set(client.get_follow_user_list())
    except WeComError as exc:
        return [_wecom_failure(_("Customer contact (客户联系)"), exc)]
    findings = [
        Finding(
            _("Customer contact (客户联系)"),
            True,
            _("The app may read customers; %(n)d staff members have customer contact.")
            % {"n": len(enabled)},
        )
    ]
    used = set(
        Lookup.objects.order_by("-created_at").values_list("staff_userid", flat=True)[:RECENT_STAFF]
    )
    visible = _visible_users(agent)
    if visible is not None:
        outside = sorted(used - visible)
        if outside:
            findings.append(
                Finding(
                    _("Visible range"),
                    False,
                    _("Staff who open the sidebar are outside the app's visible range: %(ids)s.")
                    % {"ids": ", ".join(outside)},
                    _("Add them to 应用管理 → the app → 可见范围."),
                )
            )
        without = sorted((used & visible) - enabled)
    else:
        without = sorted(used - enabled)
    if without:
        findings.append(
            Finding(
                _("Staff customer contact"),
                False,
                _("Staff who open the sidebar have no customer contact: %(ids)s.")
                % {"ids": ", ".join(without)},
                _("Enable customer contact for them: 客户与上下游 → 客户联系 → 权限配置."),
            )
        )
    return findings


def _callback() -> list[Finding]:
    if callback_crypto() is None:
        return [
            Finding(
                _("Change events"),
                True,
                _("Not set up (optional): edits made in WeCom show after the cache expires."),
            )
        ]
    verified = verification.last()
    last_event = (
        ChangeEvent.objects.order_by("-received_at").values_list("received_at", flat=True).first()
    )
    if verified is None and last_event is None:
        return [
            Finding(
                _("Change events"),
                False,
                _("WeCom has never verified the callback URL here, and no event arrived."),
                _(
                    "Save https://<host>/wecom/events/ with this Token and EncodingAESKey in "
                    "the app's 接收消息 → 设置API接收, and tick 外部联系人变更回调."
                ),
            )
        ]
    said = []
    if verified is not None:
        said.append(
            _("verified %(when)s")
            % {"when": time.strftime("%Y-%m-%d %H:%M", time.localtime(verified))}
        )
    if last_event is not None:
        said.append(_("last event %(when)s") % {"when": f"{last_event:%Y-%m-%d %H:%M}"})
    return [Finding(_("Change events"), True, "; ".join(said) + ".")]
