"""Panels rendered once per process for what they show.

A cached lookup shows the same panel as the last one for the same viewer and the same cached
answer (docs/speed.md: rendering was the largest part of a cached lookup). A lookup that
names what it shows (`LookupResult.render_key`: the cached answer's generation and the
viewer) is rendered once per language and kept here, in a bounded in-process table; a new
answer from WeCom has a new generation, and so a new key.
"""

from django.template.loader import render_to_string
from django.utils.translation import get_language

from sidebar import in_process

# Panels kept per process (a panel is a few KB).
LIMIT = 2000

_rendered = in_process.Bounded(LIMIT)


def rendered(request, template: str, context: dict, key: tuple | None) -> str:
    if key is None:
        return render_to_string(template, context, request)
    key = (*key, template, get_language())
    html = _rendered.get(key)
    if html is None:
        html = render_to_string(template, context, request)
        _rendered.put(key, html)
    return html
