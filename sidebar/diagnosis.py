"""One line on the likely cause of a client failure report, for admins.

The rules follow what trips toolbar pages in practice: a signed URL other than the page's
(fragment, query, scheme, host), a ticket of another app, a missing 客户联系 permission or
visibility, a client too old, an entry without a customer.
"""

from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

# The first client version of each toolbar API (docs/wecom.md, "Client versions").
MINIMUM_VERSIONS = {
    "getContext": "3.0.24",
    "getCurExternalChat": "2.8.17",
    "getCurCorpGroupContact": "4.0.8",
    "getCurCorpGroupChat": "4.0.12",
}


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _url_difference(signed: str, page: str):
    if not signed or not page:
        return None
    if signed == page.split("#", 1)[0]:
        return None
    if "#" in signed:
        return _("The page signed its URL with the fragment (#…); sign it without.")
    a, b = urlsplit(signed), urlsplit(page.split("#", 1)[0])
    if a.scheme != b.scheme:
        return _(
            "The URL signed differs from the page URL in its scheme (%(signed)s, page %(page)s): "
            "behind a TLS proxy set DJANGO_SECURE_PROXY_SSL_HEADER."
        ) % {"signed": a.scheme, "page": b.scheme}
    if a.netloc != b.netloc:
        return _(
            "The URL signed differs from the page URL in its host: behind a proxy set "
            "DJANGO_USE_X_FORWARDED_HOST."
        )
    if a.path != b.path:
        return _("The URL signed differs from the page URL in its path (a route changed).")
    return _("The URL signed differs from the page URL in its query.")


# How the page reports that the re-sign endpoint refused the URL the SDK asked for.
RESIGN_REFUSED = "sidebar: the server would not sign "
# How the Juzi host reports a chat of another hosted account than the one signed in
# (static/sidebar/js/host-juzi.js, OTHER_ACCOUNT), and Juzi's helper failing to name the chat.
JUZI_OTHER_ACCOUNT = "juzi: the sidebar shows another hosted account"
JUZI_NO_CHAT = "getCurChatInfo:"


def diagnose(*, error: str, signed_url: str, page_url: str, wecom_version: str) -> str:
    message = (error or "").lower()
    api = (error or "").split(":", 1)[0]
    if (error or "").startswith(RESIGN_REFUSED):
        return _(
            "The server refused to sign the address the client shows: it sees itself served at "
            "another scheme, host or port. Behind a TLS proxy set DJANGO_SECURE_PROXY_SSL_HEADER "
            "(and DJANGO_USE_X_FORWARDED_HOST if the proxy changes the host)."
        )
    if (error or "").startswith(JUZI_OTHER_ACCOUNT):
        return _(
            "Juzi: the chat open in Juzi's console belongs to another hosted account than the one "
            "the staff member signed in with; the page asked them to sign in again. Nothing to fix "
            "unless it repeats for one account."
        )
    if (error or "").startswith(JUZI_NO_CHAT):
        return _(
            "Juzi's helper did not say which chat is open: no chat was selected in Juzi's console, "
            "or the helper failed. If it repeats, check JUZI_HELPER_URL and Juzi's status."
        )
    if "invalid signature" in message:
        return _url_difference(signed_url, page_url) or _(
            "Same URL signed as shown, and the page had retried with a fresh ticket: the ticket "
            "is of another app (check that WECOM_AGENT_ID and WECOM_AGENT_SECRET belong to the "
            "same self-built app), or WeCom refuses tickets faster than the app replaces them "
            "(at most once per kind in 5 minutes; run reset_wecom_credentials)."
        )
    if "reliable domain" in message or "80001" in message:
        return _("The page's host is not the app's trusted domain (可信域名).")
    if "invalid corpid" in message:
        return _("WECOM_CORP_ID is not the corp the staff member is signed in to.")
    if "ticket" in message or "42012" in message:
        return _("The agentConfig signature used a ticket of another app, or the corp ticket.")
    if "no permission" in message or "permission denied" in message:
        return _(
            "The app lacks customer-contact (客户联系) permission, or the staff member is outside "
            "the app's visible range or has no customer-contact permission."
        )
    needed = MINIMUM_VERSIONS.get(api)
    too_old = needed and wecom_version and _version_tuple(wecom_version) < _version_tuple(needed)
    if "function not exist" in message or too_old:
        return _("The client is too old for %(api)s (WeCom %(version)s).") % {
            "api": api,
            "version": wecom_version or "?",
        }
    if "without context" in message:
        return _("Opened from an entry without a customer or group for this API.")
    return _("Not a known failure: see the error string.")
