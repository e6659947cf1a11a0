"""/wecom/events/: the URL the admin enters in the app's 接收消息 → 设置API接收.

GET is WeCom's URL verification: the decrypted `echostr`, as is. POST is an event: checked
(signature in constant time, a timestamp of the last few minutes, our corp's receive id),
decrypted, read as plain XML, recorded once and acted on, and answered with an empty 200
(WeCom's "no reply"). Anything else is a 4xx with a short reason and one bounded log line;
nothing of the message is logged.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sidebar import metrics
from sidebar.events import churn, handling, messages, recording, verification
from sidebar.exceptions import ConfigurationError
from sidebar.wecom import get_client
from sidebar.wecom.callback_crypto import CallbackRejected
from sidebar.wecom.config import callback_crypto

logger = logging.getLogger(__name__)

# How far a message's timestamp may be from our clock (WeCom retries within seconds).
FRESH_SECONDS = 300
# Reasons that mean "not from WeCom for us", as opposed to "not readable".
FORBIDDEN = {"bad signature", "another receive id", "stale timestamp"}


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def receive(request):
    crypto = callback_crypto()
    if crypto is None:
        return _plain("WeCom callbacks are not configured here", 404)
    query = request.GET
    signed = {
        "msg_signature": query.get("msg_signature", "")[:64],
        "timestamp": query.get("timestamp", "")[:16],
        "nonce": query.get("nonce", "")[:64],
    }
    try:
        if request.method == "GET":
            echostr = query.get("echostr", "")[: messages.MAX_BODY]
            crypto.check(encrypted=echostr, **signed)
            answer = crypto.decrypt(echostr).decode("utf-8", "replace")
            verification.record()  # for the configuration doctor
            return _plain(answer, 200)
        body = request.read(messages.MAX_BODY + 1)
        if len(body) > messages.MAX_BODY:
            return _plain("body too large", 413)
        encrypted = messages.fields(body, longest=messages.MAX_BODY).get("Encrypt", "")
        crypto.check(encrypted=encrypted, **signed)
        if not _fresh(signed["timestamp"]):
            raise CallbackRejected("stale timestamp")
        message = crypto.decrypt(encrypted)
        fields = messages.fields(message)
    except CallbackRejected as exc:
        logger.warning("WeCom callback refused: %s", exc.reason)
        metrics.EVENTS.labels(outcome="rejected").inc()
        return _plain(exc.reason, 403 if exc.reason in FORBIDDEN else 400)
    if fields.get("MsgType") == "event":
        try:
            client = get_client()
        except ConfigurationError:
            return _plain("the WeCom app is not set up here", 503)  # WeCom delivers it again
        try:
            handled = handling.handle(client=client, message=message, fields=fields)
        except (DatabaseError, recording.NotRecorded) as exc:
            logger.warning("WeCom event not recorded: %s", type(exc).__name__)
            metrics.EVENTS.labels(outcome="not_recorded").inc()
            # WeCom delivers it again.
            return _plain("the event was not recorded: the database did not answer", 503)
        metrics.EVENTS.labels(outcome="recorded" if handled is not None else "ignored").inc()
        if handled is not None and handled.change_type == "del_follow_user":
            public_url = settings.SIDEBAR_PUBLIC_URL or request.build_absolute_uri("/")
            churn.alert_soon(client=client, event_id=handled.pk, public_url=public_url)
    return HttpResponse(b"", content_type="text/plain")


def _fresh(timestamp: str) -> bool:
    try:
        return abs(time.time() - int(timestamp)) <= FRESH_SECONDS
    except ValueError:
        return False
