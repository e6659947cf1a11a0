"""The emulator page, its scripts, and a same-origin door to the stand-in's control API
(the sidebar page may only talk to its own origin, and so may the bridge beneath it)."""

import json
import urllib.error
import urllib.request
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from sidebar import emulator, services, signin
from sidebar.emulator import transcript
from sidebar.entries import ENTRIES
from sidebar.exceptions import ConfigurationError
from sidebar.middleware import CONTENT_SECURITY_POLICY
from sidebar.records import reminders
from sidebar.replies.previews import render_preview
from sidebar.wecom import get_client
from sidebar.wecom.config import get_app

ASSETS = Path(__file__).resolve().parent / "assets"
BRIDGE = Path(__file__).resolve().parents[1] / "standin" / "bridge.js"
SCRIPTS = {
    "bridge.js": BRIDGE,
    "bridge-setup.js": ASSETS / "bridge-setup.js",
    "emulator.js": ASSETS / "emulator.js",
    "emulator.css": ASSETS / "emulator.css",
}
# What the panel may ask the stand-in to do, and what the bridge asks it to check.
STANDIN_ACTIONS = {
    "faults",
    "faults/clear",
    "expire-tokens",
    "rotate-tickets",
    "verify",
    "expire-media",
    "media-check",
}


def emulator_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not emulator.enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


# The names a browser may use for this machine.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@require_GET
@emulator_only
def page(request):
    moved = _at_the_standins_host(request)
    if moved:
        return redirect(moved)
    juzi = bool(settings.JUZI_OAUTH_BASE_URL)
    config = {
        "sidebar": reverse("sidebar:page"),
        # The Juzi sidebar, when the Juzi stand-in runs: its console (on its own origin)
        # frames the Juzi page, as Juzi's console does.
        "juzi": {
            "console": settings.JUZI_OAUTH_BASE_URL.rstrip("/") + "/console",
            "page": request.build_absolute_uri(reverse("sidebar:juzi:page")),
            # The framed page's cookies are partitioned under the console's site, so the panel
            # cannot sign it out; it starts Juzi's sign-in there instead.
            "signin": request.build_absolute_uri(reverse("sidebar:juzi:signin")),
            "api": reverse("emulator:juzi", args=["ACTION"]),
        }
        if juzi
        else None,
        "state": reverse("emulator:state"),
        "bubble": reverse("emulator:bubble"),
        "standin": reverse("emulator:standin", args=["ACTION"]),
        "app": {
            "sign-out": reverse("emulator:sign-out"),
            "reset-credentials": reverse("emulator:reset-credentials"),
            "forget-lookups": reverse("emulator:forget-lookups"),
            "send-reminders": reverse("emulator:send-reminders"),
            "wecom-change": reverse("emulator:wecom-change"),
        },
        "csrfToken": get_token(request),
        "timeout": settings.WECOM_TIMEOUT,
    }
    response = render(request, "sidebar/emulator/page.html", {"entries": ENTRIES, "config": config})
    # The framed sidebar signs in through the stand-in's authorize page, on its own origin.
    framed = [urlsplit(settings.WECOM_OAUTH_AUTHORIZE_URL)]
    if juzi:
        framed.append(urlsplit(settings.JUZI_OAUTH_BASE_URL))
    origins = " ".join(f"{url.scheme}://{url.netloc}" for url in framed)
    response["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; frame-src 'self' {origins}"
    return response


def _at_the_standins_host(request) -> str | None:
    """This page's address at the stand-in's host name, if the browser used another loopback
    name: the framed sign-in goes out to the stand-in and back, and the way back only carries
    the session cookie when both are one site (localhost and 127.0.0.1 are two)."""
    standin = urlsplit(settings.WECOM_OAUTH_AUTHORIZE_URL).hostname
    hostname, port = split_domain_port(request.get_host())
    hostname = hostname.strip("[]")
    if standin not in LOOPBACK or hostname not in LOOPBACK or hostname == standin:
        return None
    shown = f"[{standin}]" if ":" in standin else standin
    return f"{request.scheme}://{shown}{':' + port if port else ''}{request.get_full_path()}"


# What the panel may ask the Juzi stand-in (docs/hosts.md): the console's open chat, failing
# helper calls, failing sign-in codes.
JUZI_ACTIONS = {"state", "chat", "helper-faults", "faults", "faults/clear"}


@emulator_only
def juzi(request, action):
    if action not in JUZI_ACTIONS or not settings.JUZI_OAUTH_BASE_URL:
        raise Http404
    if request.method == "GET" and action == "state":
        return _standin("GET", "state", base=_juzi_control())
    if request.method != "POST" or action == "state":
        return JsonResponse({"error": "POST"}, status=405)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    return _standin("POST", action, body, base=_juzi_control())


def _juzi_control() -> str:
    return settings.JUZI_OAUTH_BASE_URL.rstrip("/") + "/_juzi/"


@require_GET
@emulator_only
def asset(request, name):
    path = SCRIPTS.get(name)
    if path is None:
        raise Http404
    content_type = "text/css" if name.endswith(".css") else "text/javascript"
    response = FileResponse(path.open("rb"), content_type=f"{content_type}; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@emulator_only
def state(request):
    return _standin("GET", "state")


@require_POST
@emulator_only
def standin_action(request, action):
    if action not in STANDIN_ACTIONS:
        raise Http404
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    return _standin("POST", action, body)


@require_POST
@emulator_only
def bubble(request):
    """A message the emulated client sent, as the customer sees it: {message} -> {html}."""
    try:
        message = json.loads(request.body or b"{}").get("message")
        shown = transcript.preview(message, _media_info)
    except (ValueError, AttributeError) as exc:
        return JsonResponse({"error": f"not a message: {exc}"}, status=400)
    return JsonResponse({"html": render_preview(shown)})


@require_GET
@emulator_only
def media(request, media_id):
    """A file uploaded to the stand-in, for the transcript (the page's CSP allows only its own
    origin for video, and the stand-in's port may not be reachable from the browser)."""
    try:
        content, content_type = _standin_bytes("media/" + media_id)
    except urllib.error.HTTPError as exc:
        raise Http404 from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        return JsonResponse({"error": f"the stand-in did not answer: {exc}"}, status=502)
    return HttpResponse(content, content_type=content_type)


def _media_info(media_id: str) -> dict | None:
    if not transcript.MEDIA_ID.fullmatch(media_id):
        return None
    try:
        content, _type = _standin_bytes("media-info/" + media_id)
        return json.loads(content)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


@require_POST
@emulator_only
def sign_out(request):
    """Forget who is signed in, so the next page load asks the stand-in (and you) again."""
    request.session.pop(signin.SESSION_STAFF, None)
    return JsonResponse({"ok": True})


@require_POST
@emulator_only
def forget_lookups(request):
    """Forget the app's cached answers about everyone in the stand-in's corp, so a fault the
    panel injects next is what the page meets, not a profile cached a minute ago."""
    answer = _standin("GET", "state")
    if answer.status_code != 200:
        return answer
    corp = json.loads(answer.content)
    ids = [item["id"] for part in ("customers", "groups", "kf_customers") for item in corp[part]]
    ids += [downstream["corpid"] for downstream in corp["chain_corps"]]
    try:
        services.forget_cached_lookups(client=get_client(), target_ids=ids)
    except ConfigurationError as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"ok": True, "forgotten": len(ids)})


@require_POST
@emulator_only
def wecom_change(request):
    """A change made "in WeCom" by the signed-in staff member (their remark on the customer, the
    customer deleting them, ...) or to the group: the stand-in changes its data and posts the
    event to the app's callback, as WeCom does."""
    try:
        userid = signin.current_staff(request, app=get_app()) or ""
    except ConfigurationError:
        userid = ""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    action, chat = str(body.get("action", "")), str(body.get("chat", ""))
    if action == "rename-group":
        params = {"chat_id": chat, "name": str(body.get("name", ""))}
    else:
        if not userid:
            return JsonResponse({"error": "sign in first"}, status=400)
        params = {"userid": userid, "external_userid": chat, "remark": str(body.get("remark", ""))}
        if action != "remark":
            params.pop("remark")
    return _standin("POST", "wecom-change", {"action": action, "params": params})


@require_POST
@emulator_only
def send_reminders(request):
    """What `manage.py send_reminders` does every minute in production (the panel asks every
    few seconds): the due follow-up reminders, linking to this emulator's own address."""
    try:
        run = reminders.send_due(client=get_client(), public_url=request.build_absolute_uri("/"))
    except ConfigurationError as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"sent": run.sent, "failed": run.failed})


@require_POST
@emulator_only
def reset_credentials(request):
    try:
        get_client().credentials.forget_all()
    except ConfigurationError as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"ok": True})


def _standin_url(action: str) -> str:
    return settings.WECOM_API_BASE_URL.rstrip("/") + "/_standin/" + action


def _standin_bytes(action: str) -> tuple[bytes, str]:
    """GET a control path of the stand-in: its body and content type (HTTPError if it says no)."""
    with urllib.request.urlopen(_standin_url(action), timeout=5) as answer:  # noqa: S310
        return answer.read(), answer.headers.get("Content-Type", "application/octet-stream")


def _standin(method: str, action: str, body: dict | None = None, *, base="") -> JsonResponse:
    url = base + action if base else _standin_url(action)
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(  # noqa: S310 (a loopback URL from settings)
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return JsonResponse(json.load(answer), status=answer.status)
    except urllib.error.HTTPError as exc:
        return JsonResponse({"error": exc.read().decode("utf-8", "replace")}, status=exc.code)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        return JsonResponse({"error": f"the stand-in did not answer: {exc}"}, status=502)
