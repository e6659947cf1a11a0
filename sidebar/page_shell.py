"""The sidebar page from a shell: its template rendered once per process for each language
and fixed setting, with markers where the per-request parts go, which each request then fills.

Almost all of the page is the same for every staff member: the explanations it may show,
its scripts, its stylesheets (docs/speed.md: rendering them was most of the page's cost).
What differs per request is the staff member's name (and a hosted account's operator) and
the boot JSON (CSRF token, signatures). Those are slots: rendered into the shell as markers,
then replaced, text slots HTML-escaped. A deployment or restart starts a new process, and
with it new shells; in development the autoreloader restarts on a template change.
"""

import threading

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import escape, json_script
from django.utils.translation import get_language

_shells: dict[tuple, str] = {}
_lock = threading.Lock()


def _marker(name: str) -> str:
    # Characters no template, translation or setting of ours contains.
    return f"\u2063slot:{name}\u2063"


def render_page(template: str, *, fixed: dict, text: dict, boot: dict) -> HttpResponse:
    """`template` with `fixed` (values that are the same for many requests: part of the
    shell's identity), `text` (per request, escaped) and `boot` (the sidebar-boot JSON,
    available to the template as `boot_script`)."""
    key = (template, get_language(), tuple(sorted(fixed.items())))
    shell = _shells.get(key)
    if shell is None:
        slots = {name: _marker(name) for name in [*text, "boot_script"]}
        shell = render_to_string(template, {**fixed, **slots})
        with _lock:
            _shells[key] = shell
    html = shell.replace(_marker("boot_script"), json_script(boot, "sidebar-boot"))
    for name, value in text.items():
        html = html.replace(_marker(name), escape(value))
    return HttpResponse(html)
