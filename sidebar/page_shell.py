"""The sidebar page from a shell: its template rendered once per process for each language
and fixed setting, with markers where the per-request parts go, which each request then fills.

Almost all of the page is the same for every staff member: the explanations it may show,
its scripts, its stylesheets (docs/speed.md: rendering them was most of the page's cost).
What differs per request is the staff member's name (and a hosted account's operator) and
the boot JSON (signatures). Those are slots: rendered into the shell as markers,
then replaced, text slots HTML-escaped. A deployment or restart starts a new process, and
with it new shells; in development the autoreloader restarts on a template change.
"""

import threading

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import escape, json_script
from django.utils.translation import get_language

from sidebar import in_process

_shells: dict[tuple, str] = {}
_lock = threading.Lock()


def _marker(name: str) -> str:
    # Characters no template, translation or setting of ours contains.
    return f"\u2063slot:{name}\u2063"


# Whole pages, for callers that say what makes one (`same_as`): the WeCom page is the same
# for a staff member, URL and client within the minute its signatures are made for. About
# 6 KB each: at most 3 MB a process.
_pages = in_process.Bounded(500)


def render_page(
    template: str, *, fixed: dict, text: dict, boot, same_as: tuple | None = None
) -> HttpResponse:
    """`template` with `fixed` (values that are the same for many requests: part of the
    shell's identity), `text` (per request, escaped) and `boot` (the sidebar-boot JSON,
    available to the template as `boot_script`; or a function that makes it). `same_as`:
    what, with the template, language, `fixed` and `text`, decides the whole page; the page
    is then made once and kept (a fifth of its cost was the boot JSON)."""
    key = (template, get_language(), tuple(sorted(fixed.items())))
    if same_as is not None:
        page_key = (key, tuple(text.items()), same_as)
        html = _pages.get(page_key)
        if html is None:
            html = _page_html(key, template, fixed, text, boot)
            _pages.put(page_key, html)
        return HttpResponse(html)
    return HttpResponse(_page_html(key, template, fixed, text, boot))


def _page_html(key: tuple, template: str, fixed: dict, text: dict, boot) -> str:
    shell = _shells.get(key)
    if shell is None:
        slots = {name: _marker(name) for name in [*text, "boot_script"]}
        shell = render_to_string(template, {**fixed, **slots})
        with _lock:
            _shells[key] = shell
    boot = boot() if callable(boot) else boot
    html = shell.replace(_marker("boot_script"), json_script(boot, "sidebar-boot"))
    for name, value in text.items():
        html = html.replace(_marker(name), escape(value))
    return html
