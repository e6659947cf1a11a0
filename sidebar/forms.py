import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.http.request import split_domain_port, validate_host
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sidebar.services import CONTACT_ENTRIES
from sidebar.signing import Signed, strip_fragment

# WeCom ids are ASCII letters, digits, '_' and '-' (e.g. wmXXXX, woXXXX: 32 characters today).
WECOM_ID = re.compile(r"\A[A-Za-z0-9_-]+\Z")
wecom_id = RegexValidator(WECOM_ID, _("A WeCom id has only letters, digits, '_' and '-'."))


def wecom_id_field(max_length: int = 128, *, required: bool = True) -> forms.CharField:
    return forms.CharField(max_length=max_length, validators=[wecom_id], required=required)


@dataclass(frozen=True)
class LookupRequest:
    """What a lookup posts: the entry the page was opened from and the WeCom ids it names.

    Checked here by hand, to the same rules a form with a ChoiceField and stripped, length-
    limited id fields would apply, because a lookup is the request staff make most and a
    Django form deep-copies its fields on every instance: that was a tenth of a cached
    lookup's time (docs/speed.md). Which rule failed is not shown: the panel only says the
    request was not valid, and the audit row keeps what was posted.
    """

    entries: frozenset[str]
    targets: tuple[tuple[str, int], ...]  # (field, longest id accepted)
    numbers: tuple[tuple[str, int], ...] = ()  # (field, largest accepted), from 1

    def read(self, data) -> tuple[str, dict] | None:
        """(entry, {field: id or number}) when `data` is valid, else None."""
        entry = data.get("entry", "")
        if entry not in self.entries:
            return None
        ids: dict = {}
        for name, max_length in self.targets:
            value = data.get(name, "").strip()
            if len(value) > max_length or not WECOM_ID.match(value):
                return None
            ids[name] = value
        for name, largest in self.numbers:
            value = data.get(name, "").strip()
            if not (0 < len(value) <= 6 and value.isascii() and value.isdigit()):
                return None
            if not 1 <= int(value) <= largest:
                return None
            ids[name] = int(value)
        return entry, ids

    def target_id(self, data) -> str:
        """What an invalid request named, for its audit row."""
        return "/".join(data.get(name, "") for name, _ in self.targets)


def _lookup(entries, *targets: tuple[str, int], numbers=()) -> LookupRequest:
    return LookupRequest(entries=frozenset(entries), targets=targets, numbers=numbers)


# "reminder": the page opened from a follow-up reminder's link (sidebar.boot.opened_record).
CONTACT_LOOKUP = _lookup([*CONTACT_ENTRIES, "reminder"], ("external_userid", 128))
GROUP_LOOKUP = _lookup(["group_chat_tools", "reminder"], ("chat_id", 128))
# More of a group's members as staff scroll to them: from the `start`th on (WeCom's groups
# have at most 2,000 members; a larger start is simply past the end).
GROUP_MEMBERS_LOOKUP = _lookup(
    ["group_chat_tools", "reminder"], ("chat_id", 128), numbers=(("start", 100_000),)
)
KF_LOOKUP = _lookup(["single_kf_tools", "reminder"], ("external_userid", 128))
CHAIN_CONTACT_LOOKUP = _lookup(["chain_single_chat_tools"], ("corp_id", 64), ("user_id", 64))
CHAIN_CHAT_LOOKUP = _lookup(["chain_group_chat_tools"], ("chat_id", 128))


def _allowed_hosts() -> list[str]:
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]  # what Django itself allows then
    return list(settings.ALLOWED_HOSTS)


class SignatureRequestForm(forms.Form):
    """A URL the SDK wants signed after the page's URL changed. Only canonical URLs of this
    sidebar, as this request reached it, are signed: the same scheme and host:port (a host
    exactly as allowed: lower case, no trailing dot), a path under the sidebar, and nothing
    a browser would never put in location.href (spaces, control or non-ASCII characters)."""

    url = forms.CharField(max_length=2048, strip=False)
    # The client refused our signature of this kind for `url` (its timestamp, nonce and
    # value): the server checks whether its ticket went stale (signing.heal).
    refused = forms.ChoiceField(
        choices=[("config", "config"), ("agentConfig", "agentConfig")], required=False
    )
    timestamp = forms.IntegerField(min_value=0, max_value=2**40, required=False)
    nonceStr = forms.CharField(max_length=64, required=False)  # the SDK spells it so
    signature = forms.RegexField(regex=r"\A[0-9a-f]{40}\Z", required=False)

    def __init__(self, data, *, request):
        super().__init__(data)
        self.request = request

    def clean_url(self):
        url = strip_fragment(self.cleaned_data["url"])
        if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
            raise forms.ValidationError(
                _("The address contains spaces, control or non-ASCII characters.")
            )
        try:
            parts = urlsplit(url)
        except ValueError:
            raise forms.ValidationError(_("Not a valid URL.")) from None
        # split_domain_port lower-cases and drops a trailing dot: a canonical host survives it.
        domain, port = split_domain_port(parts.netloc)
        canonical = bool(domain) and parts.netloc == (f"{domain}:{port}" if port else domain)
        served_as = f"{self.request.scheme}://{self.request.get_host()}"
        if (
            f"{parts.scheme}://{parts.netloc}" != served_as
            or not canonical
            or not validate_host(domain, _allowed_hosts())
        ):
            raise forms.ValidationError(
                _("Only addresses of this site, as it is served (%(origin)s), are signed.")
                % {"origin": served_as}
            )
        if not parts.path.startswith(reverse("sidebar:page")):
            raise forms.ValidationError(_("Only addresses of the sidebar page are signed."))
        return url

    def clean(self):
        data = super().clean()
        if data.get("refused") and any(
            data.get(name) in (None, "") for name in ("timestamp", "nonceStr", "signature")
        ):
            raise forms.ValidationError(_("A refused signature comes with all its parts."))
        return data

    def refused_signature(self) -> Signed | None:
        """The signature the client refused, when the page reports one."""
        data = self.cleaned_data
        if not data.get("refused"):
            return None
        return Signed(
            timestamp=data["timestamp"], nonceStr=data["nonceStr"], signature=data["signature"]
        )


class FailureReportForm(forms.Form):
    error = forms.CharField(max_length=500)
    signed_url = forms.CharField(max_length=2048, required=False)
    page_url = forms.CharField(max_length=2048, required=False)
    entry = forms.CharField(max_length=64, required=False)
    # What the page sees as its user agent (the client's, with wxwork/<version>).
    user_agent = forms.CharField(max_length=512, required=False)
