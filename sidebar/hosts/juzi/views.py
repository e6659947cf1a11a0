"""The page in Juzi's system sidebar and its sign-in through Juzi's OAuth (docs/hosts.md).

Thin views, as the WeCom page's: the staff member is the hosted account Juzi names (accepted only
in our corp), the Juzi user operating it is the operator on every audit row, and everything
after sign-in (lookups, replies, authorization) is the WeCom page's own endpoints.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from sidebar import hosts, signin, staff_names
from sidebar.access import wecom_app
from sidebar.boot import page_boot
from sidebar.exceptions import ConfigurationError
from sidebar.explanations import explain
from sidebar.hosts import Operator
from sidebar.hosts.juzi import explanations as juzi_explanations
from sidebar.hosts.juzi import get_oauth
from sidebar.hosts.juzi.errors import JuziCodeUnusable, JuziError
from sidebar.hosts.juzi.framing import framed_by_juzi
from sidebar.page_shell import render_page
from sidebar.problems import problem_page
from sidebar.views import NO_CODE, STATE_MISMATCH
from sidebar.wecom import get_client

SIGNIN_VIEW = "sidebar:juzi:signin"


def _problem(request, explanation, *, retry: bool = False):
    return problem_page(request, explanation, retry=retry, signin_view=SIGNIN_VIEW)


def _staff(request, app) -> str | None:
    """The hosted account signed in through Juzi (a WeCom sign-in has no operator)."""
    if signin.host_of(request) != hosts.JUZI:
        return None
    return signin.current_staff(request, app=app)


def _authorize(request, *, next_path: str):
    state = signin.new_state(request, next_path=next_path)
    callback = request.build_absolute_uri(reverse("sidebar:juzi:callback"))
    return redirect(get_oauth().authorize_url(redirect_uri=callback, state=state))


@require_GET
@framed_by_juzi
@wecom_app(_problem)
def page(request, *, app):
    try:
        get_oauth()
    except ConfigurationError as exc:
        return _problem(request, explain(exc))
    staff = _staff(request, app)
    if staff is None:
        return _authorize(request, next_path=request.get_full_path())
    signin.complete_name(request, name_of=lambda userid: staff_names.known(get_client(), userid))
    operator = signin.current_operator(request)
    operator_name = operator.name if operator else ""
    return render_page(
        "sidebar/juzi/page.html",
        fixed={"helper_url": settings.JUZI_HELPER_URL, "has_operator": bool(operator_name)},
        text={"staff": signin.current_staff_name(request), "operator_name": operator_name},
        boot=page_boot(request, host=hosts.JUZI, botId=signin.hosted_account(request)),
    )


@require_GET
@framed_by_juzi
@wecom_app(_problem)
def oauth_callback(request, *, app):
    try:
        next_path = signin.take_state(request, request.GET.get("state", ""))
    except signin.StateMismatch:
        if _staff(request, app):
            # Back-navigation or a refresh onto a used callback URL: already signed in.
            return redirect("sidebar:juzi:page")
        return _problem(request, STATE_MISMATCH, retry=True)
    code = signin.callback_code(request)
    if not code:
        return _problem(request, NO_CODE, retry=True)
    try:
        oauth = get_oauth()
        identity = oauth.user_info(code)
    except ConfigurationError as exc:
        return _problem(request, explain(exc))
    except JuziCodeUnusable as exc:
        # Used, expired or unknown: a fresh code, once; then say which it was.
        if signin.may_retry(request):
            return _authorize(request, next_path=next_path)
        return _problem(request, juzi_explanations.explain(exc), retry=True)
    except JuziError as exc:
        return _problem(request, juzi_explanations.explain(exc), retry=True)
    operator = Operator(host=hosts.JUZI, uid=identity.uid, name=identity.name)
    try:
        signin.sign_in_hosted(
            request,
            app=app,
            userid=identity.user_id,
            corp_id=identity.corp_id,
            account=identity.bot_id,
            operator=operator,
            name_of=lambda userid: staff_names.known(get_client(), userid),
        )
    except signin.OtherCorp:
        return _problem(request, juzi_explanations.OTHER_CORP)
    return redirect(next_path)


@require_GET
@framed_by_juzi
@wecom_app(_problem)
def sign_in_again(request, *, app):
    request.session.pop(signin.SESSION_RETRIED, None)
    try:
        return _authorize(request, next_path=reverse("sidebar:juzi:page"))
    except ConfigurationError as exc:
        return _problem(request, explain(exc))
