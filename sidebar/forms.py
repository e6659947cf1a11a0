from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.http.request import split_domain_port, validate_host
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sidebar.services import CONTACT_ENTRIES
from sidebar.signing import strip_fragment

# WeCom ids are ASCII letters, digits, '_' and '-' (e.g. wmXXXX, woXXXX: 32 characters today).
wecom_id = RegexValidator(
    r"\A[A-Za-z0-9_-]+\Z", _("A WeCom id has only letters, digits, '_' and '-'.")
)


def _entry(*entries: str) -> forms.ChoiceField:
    return forms.ChoiceField(choices=[(entry, entry) for entry in entries])


def wecom_id_field(max_length: int = 128, *, required: bool = True) -> forms.CharField:
    return forms.CharField(max_length=max_length, validators=[wecom_id], required=required)


class ContactLookupForm(forms.Form):
    entry = _entry(*CONTACT_ENTRIES)
    external_userid = wecom_id_field()

    target_fields = ("external_userid",)


class GroupLookupForm(forms.Form):
    entry = _entry("group_chat_tools")
    chat_id = wecom_id_field()

    target_fields = ("chat_id",)


class KfLookupForm(forms.Form):
    entry = _entry("single_kf_tools")
    external_userid = wecom_id_field()

    target_fields = ("external_userid",)


class ChainContactLookupForm(forms.Form):
    entry = _entry("chain_single_chat_tools")
    corp_id = wecom_id_field(64)
    user_id = wecom_id_field(64)

    target_fields = ("corp_id", "user_id")


class ChainChatLookupForm(forms.Form):
    entry = _entry("chain_group_chat_tools")
    chat_id = wecom_id_field()

    target_fields = ("chat_id",)


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


class FailureReportForm(forms.Form):
    error = forms.CharField(max_length=500)
    signed_url = forms.CharField(max_length=2048, required=False)
    page_url = forms.CharField(max_length=2048, required=False)
    entry = forms.CharField(max_length=64, required=False)
    # What the page sees as its user agent (the client's, with wxwork/<version>).
    user_agent = forms.CharField(max_length=512, required=False)
