"""Panels rendered once per process for what they show.

A cached lookup shows the same panel as the last one for the same viewer and the same cached
answer (README, "Speed": rendering was the largest part of a cached lookup). A lookup that
names what it shows (`LookupResult.render_key`: the cached answer's generation and the
viewer) is rendered once per language and kept here, in a bounded in-process table; a new
answer from WeCom has a new generation, and so a new key.
"""

import threading
from collections import OrderedDict

from django.template.loader import render_to_string
from django.utils.translation import get_language

# Panels kept per process (a panel is a few KB).
LIMIT = 2000

_rendered: OrderedDict = OrderedDict()
_lock = threading.Lock()


def rendered(request, template: str, context: dict, key: tuple | None) -> str:
    if key is None:
        return render_to_string(template, context, request)
    key = (*key, template, get_language())
    with _lock:
        html = _rendered.get(key)
        if html is not None:
            _rendered.move_to_end(key)
            return html
    html = render_to_string(template, context, request)
    with _lock:
        _rendered[key] = html
        while len(_rendered) > LIMIT:
            _rendered.popitem(last=False)
    return html
