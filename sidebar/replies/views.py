"""The library, sending, and the reply files: thin views over sidebar.replies.services."""

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from sidebar import signin
from sidebar.access import staff_required
from sidebar.explanations import DATABASE_DOWN, Explanation
from sidebar.jsonbody import BadJSON, json_object
from sidebar.problems import json_problem, problem_fragment
from sidebar.replies import file_urls, library_cache, own, pieces, rules, services, serving
from sidebar.replies.forms import OwnReplyForm, ResultForm, SendForm
from sidebar.replies.models import Reply
from sidebar.useragent import client_of
from sidebar.wecom import get_client

COVER_SALT = "sidebar.replies.cover"

FILE_UPLOADING = Explanation(
    title=_("Uploading the file to WeCom…"),
    detail=_("It is sent as soon as WeCom has it. Stay in this chat."),
    http_status=202,
)
NOT_YOURS = _("This reply is not one of yours, or it was deleted. Refresh the library.")
NOT_IN_LIBRARY = _("This reply is no longer in the library. Refresh the library.")
NOT_A_SEND_ENTRY = Explanation(
    title=_("Replies cannot be sent from here"),
    detail=_("Open the page from the toolbar of a chat, or from the chat attachment bar."),
    http_status=400,
)
NOT_A_LIBRARY_PART = Explanation(
    title=_("This part of the library does not exist"),
    detail=_("The library changed while it loaded."),
    action=_("Refresh the library."),
    http_status=400,
)


@require_GET
@staff_required(problem_fragment)
def library(request, *, staff):
    entry = request.GET.get("entry", "")
    if entry not in rules.SEND_ENTRIES:
        return problem_fragment(request, NOT_A_SEND_ENTRY)
    client = client_of(request)
    refusals = {
        kind: str(why) if why else None
        for kind, why in rules.refusals(entry=entry, client=client).items()
    }
    may_enter_chat = rules.may_enter_chat(client)

    def render():
        shared = services.library(entry=entry, refusals=refusals)
        context = {
            "library": shared,
            "pieces": pieces.in_pieces(shared.sections),
            "run_mark": mark_safe(pieces.RUN_MARK),  # noqa: S308 (our constant)
            "may_enter_chat": may_enter_chat,
        }
        # No request: nothing of this staff member's may enter HTML that others are served;
        # their own replies, stars and the previews' names come from `mine`.
        return render_to_string("sidebar/replies/library.html", context)

    variant = (entry, sorted(refusals.items()), may_enter_chat, get_language())
    # The library comes in parts (pieces.parts): ?part=N, the first (0) saying how many.
    part = request.GET.get("part", "0")
    if not (part.isascii() and part.isdigit() and len(part) <= 3):
        return problem_fragment(request, NOT_A_LIBRARY_PART)
    part = int(part)
    current = library_cache.version()  # read once: the tag and the parts are of it
    tag = library_cache.etag((variant, part), current=current)
    if tag and tag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        parts = library_cache.parts(variant=variant, render=render, current=current)
        if part >= len(parts):
            return problem_fragment(request, NOT_A_LIBRARY_PART)
        response = HttpResponse(parts[part])
        response["X-Sidebar-Parts"] = str(len(parts))
    if tag:  # the same for every staff member: kept by the browser, asked again each time
        response["ETag"] = tag
        response["Cache-Control"] = "private, no-cache"
        response.revalidated = True  # sidebar.middleware leaves its Cache-Control
    return response


@require_GET
@staff_required(problem_fragment)
def mine(request, *, staff):
    """What is this staff member's own in the library, for the chat the page shows: their
    replies, their stars and the placeholders' values (sidebar.replies.own)."""
    form = SendForm(request.GET)
    if not form.is_valid():
        return problem_fragment(request, NOT_A_SEND_ENTRY)
    entry = form.cleaned_data["entry"]
    client = client_of(request)
    kinds = rules.sendable_kinds(entry=entry, client=client)
    context = {
        "mine": own.mine(
            staff_userid=staff, kinds=kinds, no_customer=services.no_customer_here(entry)
        ),
        "fills": services.preview_values(
            client=get_client(), staff_userid=staff, entry=entry, target=form.target
        ),
    }
    return render(request, "sidebar/replies/mine.html", context)


@require_POST
@staff_required(json_problem)
def own_save(request, reply_id: int | None = None, *, staff):
    """Write a reply of one's own, or change one."""
    form = OwnReplyForm(request.POST)
    if not form.is_valid():
        return _refused_form(form)
    try:
        own.save(staff_userid=staff, reply_id=reply_id, **form.cleaned_data)
    except Reply.DoesNotExist:
        return JsonResponse({"error": str(NOT_YOURS)}, status=404)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"saved": True})


@require_POST
@staff_required(json_problem)
def own_delete(request, reply_id: int, *, staff):
    if not own.delete(staff_userid=staff, reply_id=reply_id):
        return JsonResponse({"error": str(NOT_YOURS)}, status=404)
    return JsonResponse({"deleted": True})


@require_POST
@staff_required(json_problem)
def star(request, reply_id: int, *, staff):
    """Star (on=1) or unstar (on=0) a reply of the shared library."""
    on = request.POST.get("on")
    if on not in ("0", "1"):
        return JsonResponse({"error": str(_("This request could not be understood."))}, status=400)
    if not own.star(staff_userid=staff, reply_id=reply_id, on=on == "1"):
        return JsonResponse({"error": str(NOT_IN_LIBRARY)}, status=404)
    return JsonResponse({"starred": on == "1"})


def _refused_form(form) -> JsonResponse:
    messages = [message for errors in form.errors.values() for message in errors]
    return JsonResponse({"error": " ".join(messages)}, status=400)


@require_POST
@staff_required(json_problem)
def send(request, reply_id: int, *, staff):
    form = SendForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": str(_("This request could not be understood."))}, status=400)
    retry_of = request.POST.get("retry_of", "")
    try:
        prepared = services.prepare(
            client=get_client(),
            staff_userid=staff,
            staff_name=signin.current_staff_name(request),
            operator=signin.current_operator(request),
            entry=form.cleaned_data["entry"],
            target=form.target,
            reply_id=reply_id,
            wecom=client_of(request),
            enter_chat=form.cleaned_data["enter_chat"],
            cover_url=lambda reply: request.build_absolute_uri(cover_path(reply)),
            file_url=lambda reply: request.build_absolute_uri(file_urls.signed_path(reply)),
            retry_of=int(retry_of) if retry_of.isdigit() else None,
        )
    except services.SendRefused as refusal:
        # Refusals the page meets in use are answers it shows; only a reply it would never
        # have offered here (forced through the API) is a 403, and one that could not be
        # recorded a 503.
        status = 403 if refusal.forced else 503 if refusal.unrecorded else 200
        response = JsonResponse({"refused": _explained(refusal.explanation)}, status=status)
        response["X-Sidebar-Outcome"] = "refused"
        return response
    except services.UploadPending as pending:
        # Not sent and not recorded yet: the page says so and asks again (sidebar.js).
        response = JsonResponse(
            {"pending": _explained(FILE_UPLOADING), "retry_after": pending.retry_after},
            status=202,
        )
        response["Retry-After"] = str(pending.retry_after)
        response["X-Sidebar-Outcome"] = "pending"
        return response
    result_url = reverse("sidebar:replies:result", args=[prepared.send.pk])
    return JsonResponse(
        {"send": prepared.send.pk, "message": prepared.message, "result": result_url}
    )


@require_POST
@staff_required(json_problem)
def result(request, send_id: int, *, staff):
    try:
        form = ResultForm(json_object(request))
    except BadJSON as exc:
        return exc.response
    if not form.is_valid():
        return JsonResponse({"error": str(_("This request could not be understood."))}, status=400)
    try:
        finished = services.finish(
            client=get_client(),
            staff_userid=staff,
            send_id=send_id,
            err_msg=form.cleaned_data["err_msg"],
            duration_ms=form.cleaned_data["duration_ms"],
        )
    except services.ResultUnrecorded:
        # The page keeps the answer and reports it again until it is recorded.
        return json_problem(request, DATABASE_DOWN)
    if finished is None:
        return JsonResponse({"error": str(_("No such send is waiting for a result."))}, status=404)
    body = {"outcome": finished.send.outcome, "retry": finished.retry}
    body["said"] = _explained(services.client_answer(finished.send))
    return JsonResponse(body)


@require_safe
@serving.inert
def file(request, reply_id: int):
    """A reply's file, for the previews: the library's (signed-in staff, enabled replies) and
    the admin's (anyone who may view replies there, any reply)."""
    if request.user.is_authenticated and request.user.has_perm("replies.view_reply"):
        return serving.file_response(get_object_or_404(Reply, pk=reply_id))
    return _staff_file(request, reply_id=reply_id)


@staff_required(json_problem)
def _staff_file(request, *, reply_id: int, staff):
    return serving.file_response(get_object_or_404(Reply, pk=reply_id, enabled=True))


@require_safe
@serving.inert
def cover(request, token: str):
    """A news reply's uploaded cover: the customer's WeChat fetches it, so it is public, at an
    address only the server can make (a signature over the reply's id)."""
    try:
        reply_id = signing.Signer(salt=COVER_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    reply = get_object_or_404(Reply, pk=reply_id, kind="news")
    response = serving.file_response(reply)
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
@serving.inert
def shared_file(request, token: str, name: str):
    """A reply's file at a signed, expiring address: a hosted sidebar fetches it to send it
    (sidebar.replies.file_urls). Anything but a live token for the current file is a 404."""
    try:
        reply = file_urls.reply_for(token)
    except file_urls.Unusable:
        raise Http404 from None
    response = serving.file_response(reply)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def cover_path(reply: Reply) -> str:
    return reverse("sidebar:replies:cover", args=[signing.Signer(salt=COVER_SALT).sign(reply.pk)])


def _explained(explanation: Explanation) -> dict:
    return {
        "title": str(explanation.title),
        "detail": str(explanation.detail),
        "action": str(explanation.action),
        "technical": str(explanation.technical),
    }
