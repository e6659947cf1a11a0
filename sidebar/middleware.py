"""Headers every HTML response gets.

- `Cache-Control: no-store`: the WeCom desktop client caches HTML hard, which would replay
  stale signatures and another session's page.
- A Content-Security-Policy for our own pages (the admin keeps Django's defaults): scripts,
  styles and requests from this origin only; images also from WeCom's avatar hosts.
"""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: http: data:",
        "connect-src 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


class ResponseHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response["Cache-Control"] = "no-store"
            match = getattr(request, "resolver_match", None)
            if match is not None and match.app_name in ("sidebar", "emulator"):
                response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
