"""Who may call a view: decorators that pass the configured WeCom app, and the signed-in
staff member, from the server session, never from the request."""

from functools import wraps

from sidebar import signin
from sidebar.exceptions import ConfigurationError
from sidebar.explanations import SESSION_EXPIRED, explain
from sidebar.wecom.config import get_app


def wecom_app(respond):
    """Pass the configured WeCom app to the view; if settings are missing, let `respond`
    say which."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                app = get_app()
            except ConfigurationError as exc:
                return respond(request, explain(exc))
            return view(request, *args, app=app, **kwargs)

        return wrapper

    return decorator


def staff_required(respond):
    """Pass the signed-in staff userid to the view; otherwise answer with `respond`."""

    def decorator(view):
        @wraps(view)
        @wecom_app(respond)
        def wrapper(request, *args, app, **kwargs):
            staff = signin.current_staff(request, app=app)
            if staff is None:
                return respond(request, SESSION_EXPIRED)
            return view(request, *args, staff=staff, **kwargs)

        return wrapper

    return decorator
