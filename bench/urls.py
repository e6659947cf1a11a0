"""The app's URLs, plus what bench/speed.py measures everything against: a view that does
nothing but read the session, through the same middleware as every page. Only bench's own
settings (bench/settings.py) route here; the deployed app has no such URL."""

from django.http import HttpResponse
from django.urls import path

from sidebar.signin import SESSION_STAFF
from sidebar.urls import urlpatterns as app_urlpatterns


def bare_session(request):
    request.session.get(SESSION_STAFF)  # one session read, as every staff request makes
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/session/", bare_session), *app_urlpatterns]
