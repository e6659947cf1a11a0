"""The XML WeCom posts, read without DTDs, entities or external references (defusedxml):
no XXE, no entity expansion, whatever arrives."""

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from sidebar.wecom.callback_crypto import CallbackRejected

# The most bytes a callback body may have (a change event is well under 2 KB).
MAX_BODY = 64 * 1024
# Fields kept from an event, and the longest value kept of each.
MAX_VALUE = 512


def fields(xml: bytes, *, longest: int = MAX_VALUE) -> dict[str, str]:
    """{tag: text} of the root's children (a list such as MemChangeList: its items joined
    with "|"), each cut to `longest` characters. Raises CallbackRejected for anything that is
    not plain, well-formed XML."""
    try:
        root = ElementTree.fromstring(
            xml, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise CallbackRejected("not plain XML") from None
    found = {}
    for child in root:
        items = [item.text or "" for item in child]
        text = "|".join(items) if items else (child.text or "")
        found[str(child.tag)[:64]] = text.strip()[:longest]
    return found
