"""Reading what the sidebar page hands its script."""

import json
import re

BOOT = re.compile(r'<script id="sidebar-boot" type="application/json">(.*?)</script>', re.DOTALL)


def boot_of(html: str) -> dict:
    """The page's boot data (signatures, endpoints, where replies can be sent from)."""
    found = BOOT.search(html)
    assert found, "the page has no boot data"
    return json.loads(found.group(1))
