"""Thin views: parse, call a service, render. Errors are turned into words by
sidebar.explanations, never into a 500."""

import hmac
import logging
import sys

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from sidebar import (
    emulator,
    entries,
    forms,
    fragments,
    hosts,
    metrics,
    probes,
    services,
    signin,
    staff_names,
)
from sidebar.access import staff_required, wecom_app
from sidebar.boot import csrf_cookie, page_boot
from sidebar.exceptions import WeComCodeInvalid, WeComError
from sidebar.explanations import (
    DATABASE_DOWN,
    LOOKUP_NOT_RECORDED,
    SERVER_FAULT,
    Explanation,
    explain,
)
from sidebar.jsonbody import BadJSON, json_object
from sidebar.models import Lookup
from sidebar.page_shell import render_page
from sidebar.problems import json_problem, problem_for, problem_fragment, problem_page
from sidebar.records import notes as record_notes
from sidebar.records import panel as record_panel
from sidebar.records.targets import Target
from sidebar.signing import heal, page_signatures
from sidebar.useragent import client_of
from sidebar.wecom import get_client
from sidebar.wecom.config import verification_file

logger = logging.getLogger(__name__)

# Every API the page registers, for this entry and the ones to come.
JS_API_LIST = [
    "getContext",
    "getCurExternalContact",
    "getCurExternalChat",
    "sendChatMessage",
    "getCurCorpGroupContact",
    "getCurCorpGroupChat",
    "openEnterpriseChat",
    "previewImage",
    "setClipboardData",
]

STATE_MISMATCH = Explanation(
    title=_("This sign-in link has expired"),
    detail=_("It was already used, is too old, or was opened in another browser session."),
    action=_("Sign in again."),
    http_status=400,
)
CODE_REJECTED = Explanation(
    title=_("WeCom did not accept the sign-in"),
    detail=_("The sign-in code was already used or has expired, even after a fresh attempt."),
    action=_("Close this page and open it again from the chat toolbar."),
    errcode=40029,
    http_status=400,
)
NO_CODE = Explanation(
    title=_("WeCom did not send a sign-in code"),
    detail=_("The page was opened at its sign-in address without a valid code."),
    action=_("Sign in again."),
    http_status=400,
)
NOT_A_MEMBER = Explanation(
    title=_("This page is for members of the company"),
    detail=_("WeCom identified you as a visitor, not as a member of this company."),
    action=_("Open the page from the WeCom app, signed in with your work account."),
    http_status=403,
)


@require_GET
@wecom_app(problem_page)
def page(request, *, app):
    staff = signin.current_staff(request, app=app)
    if staff is None:
        next_path = request.get_full_path()
        return redirect(signin.authorization_url(request, app=app, next_path=next_path))
    client = get_client()
    try:
        signatures = page_signatures(request.build_absolute_uri(), client=client)
    except WeComError as exc:
        return problem_page(request, explain(exc))
    signin.complete_name(request, name_of=lambda userid: staff_names.known(client, userid))
    name = signin.current_staff_name(request)
    csrf_cookie(request)  # set when the browser has none, whether the page is made or kept
    return render_page(
        "sidebar/page.html",
        fixed={"emulator": emulator.enabled()},
        text={"staff": name},
        boot=lambda: page_boot(
            request,
            host=hosts.WECOM,
            corpId=app.corp_id,
            agentId=app.agent_id,
            jsApiList=JS_API_LIST,
            **signatures,
        ),
        # Everything the boot JSON holds follows from these: the URL (with ?record=), the
        # client (the entries it sends from) and the signatures (the minute and tickets).
        same_as=(
            signatures["url"],
            client_of(request),
            signatures["config"]["signature"],
            signatures["agentConfig"]["signature"],
        ),
    )


@require_GET
@wecom_app(problem_page)
def oauth_callback(request, *, app):
    try:
        next_path = signin.take_state(request, request.GET.get("state", ""))
    except signin.StateMismatch:
        if signin.current_staff(request, app=app):
            # Back-navigation or a refresh onto a used callback URL: already signed in.
            return redirect("sidebar:page")
        return problem_page(request, STATE_MISMATCH, retry=True)
    code = signin.callback_code(request)
    if not code:
        return problem_page(request, NO_CODE, retry=True)
    client = get_client()
    try:
        user_info = client.get_user_info(code)
    except WeComCodeInvalid:
        if signin.may_retry(request):
            return redirect(signin.authorization_url(request, app=app, next_path=next_path))
        return problem_page(request, CODE_REJECTED)
    except WeComError as exc:
        return problem_page(request, explain(exc), retry=True)
    try:
        signin.sign_in(
            request,
            app=app,
            user_info=user_info,
            name_of=lambda userid: staff_names.known(client, userid),
        )
    except signin.NotAMember:
        return problem_page(request, NOT_A_MEMBER)
    return redirect(next_path)


@require_POST
@staff_required(json_problem)
def report_failure(request, *, staff):
    """The page reports a client failure once; bounded in size and in rate per staff member."""
    try:
        form = forms.FailureReportForm(json_object(request))
    except BadJSON as exc:
        return exc.response
    if not form.is_valid():
        return JsonResponse({"error": "Invalid report."}, status=400)
    if not services.allow_report(staff_userid=staff):
        return JsonResponse({"error": "Too many reports; try later."}, status=429)
    fields = form.cleaned_data
    fields["user_agent"] = fields["user_agent"] or request.headers.get("User-Agent", "")
    services.record_failure(
        staff_userid=staff, staff_name=signin.current_staff_name(request), **fields
    )
    return JsonResponse({"ok": True}, status=201)


@require_GET
@wecom_app(problem_page)
def sign_in_again(request, *, app):
    request.session.pop(signin.SESSION_RETRIED, None)
    next_path = request.GET.get("next")
    return redirect(signin.authorization_url(request, app=app, next_path=next_path))


# kind (in the URL) -> what it posts (forms.LookupRequest), the service that looks it up
LOOKUPS = {
    "contact": (forms.CONTACT_LOOKUP, services.look_up_contact),
    "group": (forms.GROUP_LOOKUP, services.look_up_group),
    "group-members": (forms.GROUP_MEMBERS_LOOKUP, services.look_up_group_members),
    "kf": (forms.KF_LOOKUP, services.look_up_kf_customer),
    "chain-contact": (forms.CHAIN_CONTACT_LOOKUP, services.look_up_chain_contact),
    "chain-chat": (forms.CHAIN_CHAT_LOOKUP, services.look_up_chain_chat),
}


@require_POST
@staff_required(problem_fragment)
def lookup(request, kind, *, staff):
    if kind not in LOOKUPS:
        raise Http404
    posted, look_up = LOOKUPS[kind]
    viewer = services.Viewer(
        userid=staff,
        name=signin.current_staff_name(request),
        operator=signin.current_operator(request),
    )
    valid = posted.read(request.POST)
    try:
        if valid is not None:
            entry, ids = valid
            result = look_up(client=get_client(), viewer=viewer, entry=entry, **ids)
        else:
            result = services.reject_invalid_lookup(
                viewer=viewer,
                entry=request.POST.get("entry", ""),
                target_id=posted.target_id(request.POST),
            )
    except services.AuditUnavailable:
        response = problem_fragment(request, LOOKUP_NOT_RECORDED)
        response["X-Sidebar-Outcome"] = "unrecorded"
        return response
    if result.outcome == Lookup.Outcome.OK:
        html = fragments.rendered(request, result.template, result.context, result.render_key)
        if result.record is not None:
            html += record_panel.section_html(request, viewer, Target(*result.record))
        response = HttpResponse(html)
    else:
        # A refusal or a WeCom failure is an answer the panel shows, not a failed request
        # (browsers log every 4xx/5xx fetch as an error); only bad input keeps its 400.
        status = 400 if result.outcome == Lookup.Outcome.INVALID else 200
        response = problem_fragment(request, result.explanation, status=status)
    response["X-Sidebar-Outcome"] = str(result.outcome)
    return response


@require_GET
@staff_required(problem_fragment)
def home(request, *, staff):
    """What the page shows from an entry without a customer: who you are, your recent
    lookups, and how to see a customer."""
    context = {
        "staff": signin.current_staff_name(request),
        "entry": entries.label(request.GET.get("entry", "")[:64]),
        "recent": services.recent_targets(staff_userid=staff),
        "due": record_notes.due_today(staff_userid=staff),
    }
    return render(request, "sidebar/fragments/home.html", context)


@require_POST
@staff_required(json_problem)
def signatures(request, *, staff):
    try:
        form = forms.SignatureRequestForm(json_object(request), request=request)
    except BadJSON as exc:
        return exc.response
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return JsonResponse({"error": " ".join(errors) or "Bad request"}, status=400)
    url, refused, client = form.cleaned_data["url"], form.refused_signature(), get_client()
    try:
        healed = None
        if refused is not None:
            # The client refused one of our signatures: a ticket gone stale is replaced, and
            # the page signs afresh and retries once (docs/wecom.md, "JS-SDK signatures").
            kind = form.cleaned_data["refused"]
            healed = heal(url, client=client, kind=kind, refused=refused)
        signed = page_signatures(url, client=client, trust_local=refused is None)
    except WeComError as exc:
        return json_problem(request, explain(exc))
    if healed is not None:
        signed["healed"] = healed
    return JsonResponse(signed)


@require_safe
def domain_verification(request, name):
    """The WW_verify_*.txt file WeCom fetches from the site root to check that the company
    owns the trusted domain (可信域名): WECOM_VERIFY_FILE, the file the admin console gave."""
    path = verification_file()
    if path is None or path.name != name:
        raise Http404
    try:
        content = path.read_bytes()
    except OSError:
        raise Http404 from None
    return HttpResponse(content, content_type="text/plain")


@require_safe
def metrics_view(request):
    """Prometheus' scrape (sidebar/metrics.py): for a scraper on this host or one with the
    token; anyone else gets a 404, as if there were nothing here."""
    if not _may_scrape(request):
        return HttpResponse(status=404)
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def _may_scrape(request) -> bool:
    token = settings.SIDEBAR_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # Through nginx the address is nginx's own loopback: nginx refuses /metrics itself.
    return request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")


@require_safe
def healthz(request):
    checks = {"database": probes.database_problem() is None, "cache": probes.cache_answers()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


def server_error(request):
    """handler500: what was about to be a bare "Server Error (500)", in words. A database
    that does not answer (stopped, restarting, unreachable) is a 503 that says so; nothing is
    lost by it (sidebar.services and sidebar.replies.services refuse to show or send what
    they cannot record)."""
    failure = sys.exc_info()[1]
    explanation = DATABASE_DOWN if isinstance(failure, DatabaseError) else SERVER_FAULT
    try:
        return problem_for(request, explanation)
    except Exception:  # rendering itself failed: the words, without the page around them
        logger.exception("Could not render the error page")
        return HttpResponse(
            f"{explanation.title}\n{explanation.action}\n",
            status=explanation.http_status,
            content_type="text/plain; charset=utf-8",
        )
