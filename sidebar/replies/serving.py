"""Serving a reply's uploaded file so that nothing in it can run on our origin (docs/files.md).

Whatever route serves it (the library's preview, a news card's public cover, the signed address
a hosted sidebar fetches), a file goes out:

- typed by what it is (its shape, read from the whole file when it was saved), never by its
  name: a JPEG or PNG picture as image/jpeg or image/png, an MP4 as video/mp4, and only for the
  kinds that show one (a picture, a video, a news cover); everything else, and every file of
  the file kind, as application/octet-stream, for download (`Content-Disposition: attachment`);
- with `X-Content-Type-Options: nosniff`, so no browser second-guesses that type;
- with `Content-Security-Policy: sandbox; default-src 'none'`, so even a browser that rendered
  it as a document would give it an opaque origin, no scripts and nothing to load.

The headers are set on every answer of these routes, refusals and 404s included.
"""

from functools import wraps

from django.http import FileResponse, Http404, HttpResponseNotFound

from sidebar.replies import filetypes, kinds
from sidebar.replies.models import Reply, read_shape

INERT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}
# The shapes each kind shows inline; every other file is a download.
SHOWN = {
    "image": {filetypes.JPEG, filetypes.PNG},
    "news": {filetypes.JPEG, filetypes.PNG},
    "video": {filetypes.MP4},
}


def inert(view):
    """Every answer of `view` carries INERT_HEADERS, a 404 included."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = HttpResponseNotFound(b"Not found.", content_type="text/plain; charset=utf-8")
        for name, value in INERT_HEADERS.items():
            response[name] = value
        return response

    return wrapper


def shape(reply: Reply) -> str:
    """What the reply's file is: as read on save, or read now (and kept) for a file stored
    before the app read shapes."""
    if reply.upload_shape == Reply.UNREAD:
        with kinds.opened(reply.upload) as file:
            reply.upload_shape = read_shape(reply.upload, file)
        Reply.objects.filter(pk=reply.pk).update(upload_shape=reply.upload_shape)
    return reply.upload_shape


def content_type(reply: Reply) -> str:
    """The Content-Type the reply's file goes out with (application/octet-stream: a
    download)."""
    found = shape(reply)
    if found in SHOWN.get(reply.kind, ()):
        return filetypes.served_type(found)
    return filetypes.DOWNLOAD


def file_response(reply: Reply) -> FileResponse:
    """The reply's file as this module describes; Http404 when it has none or it is gone."""
    if not reply.upload:
        raise Http404
    try:
        served_as = content_type(reply)
        handle = reply.upload.open("rb")
    except OSError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=served_as == filetypes.DOWNLOAD,
        filename=reply.upload_name or "file",
        content_type=served_as,
    )
