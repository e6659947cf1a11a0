"""What staff are told when signing in through Juzi goes wrong (docs/hosts.md, "Juzi")."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sidebar.explanations import Explanation
from sidebar.hosts.juzi.errors import JuziAPIError, JuziError, JuziTimeout

OTHER_CORP = Explanation(
    title=_("This hosted account belongs to another company"),
    detail=_(
        "Juzi signed you in with a WeCom account of another company than the one this page serves."
    ),
    action=_("Open the sidebar with a hosted account of this company."),
    http_status=403,
    technical=pgettext_lazy(
        "technical",
        "The page serves WECOM_CORP_ID only; a Juzi organisation with accounts of several "
        "companies needs one deployment per company.",
    ),
)

# Juzi's errcode -> what it means, and what whoever fixes it checks (the first unusable code
# restarts sign-in once; this is what is said when the fresh code fails too)
_BY_ERRCODE = {
    -1: (
        _("Juzi did not accept the sign-in code"),
        _("Juzi says the code is invalid, even after a fresh sign-in."),
        "",
    ),
    -2: (
        _("The Juzi sign-in code expired"),
        _("Juzi says the code expired before the server could use it, even after a fresh sign-in."),
        pgettext_lazy(
            "technical",
            "Codes live five minutes: check that this server's clock is right and that it "
            "reaches Juzi quickly.",
        ),
    ),
    -4: (
        _("Juzi does not know the sign-in code"),
        _("Juzi says there is no such code, even after a fresh sign-in."),
        pgettext_lazy(
            "technical",
            "JUZI_OAUTH_BASE_URL may name another Juzi region than the console you use.",
        ),
    ),
    -5: (
        _("Juzi had an unknown error"),
        _("Juzi could not say who signed in because of an error of its own."),
        "",
    ),
}


def explain(exc: JuziError) -> Explanation:
    if isinstance(exc, JuziAPIError):
        title, detail, technical = _BY_ERRCODE.get(
            exc.errcode,
            (_("Juzi refused the sign-in"), _("Juzi did not say why."), ""),
        )
        return Explanation(
            title=title,
            detail=detail,
            action=_("Sign in again. If it persists, tell the administrator this message."),
            errcode=exc.errcode,
            http_status=502,
            technical=technical,
        )
    if isinstance(exc, JuziTimeout):
        title = _("Juzi did not answer in time")
    else:
        title = _("The server could not reach Juzi")
    return Explanation(
        title=title,
        detail=_("Signing in needs Juzi to say who you are."),
        action=_("Sign in again in a moment. If it persists, tell the administrator."),
        http_status=502,
        technical=pgettext_lazy(
            "technical", "Check JUZI_OAUTH_BASE_URL and that this server reaches it."
        ),
    )
