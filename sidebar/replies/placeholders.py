"""Placeholders in text replies, filled on the server at send time from the current chat.

Written in braces, as in "{客户称呼}，您好"; literal braces are doubled ("{{" and "}}"). An
unknown name is an error when the reply is saved, never a surprise in a customer's chat.
"""

from string import Formatter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CUSTOMER = "客户称呼"  # the customer as the staff member sees them: their remark, else the name
STAFF = "成员姓名"  # the staff member's own name in WeCom

NAMES = {
    CUSTOMER: _("the customer as you see them: your remark, else their WeCom name"),
    STAFF: _("your own name in WeCom"),
}


def used(text: str) -> set[str]:
    """The placeholder names `text` uses. Raises ValidationError for unknown names or
    unpaired braces."""
    try:
        parsed = [
            (name, spec, conv)
            for _, name, spec, conv in Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        raise ValidationError(
            _("A brace has no partner. Write {{ and }} for a brace itself."), code="braces"
        ) from None
    unknown = [
        name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
        for name, spec, conv in parsed
        if name not in NAMES or spec or conv
    ]
    if unknown:
        raise ValidationError(
            _("Unknown placeholder %(names)s. Available: %(known)s.")
            % {
                "names": "、".join("{" + name + "}" for name in unknown),
                "known": "、".join("{" + name + "}" for name in NAMES),
            },
            code="placeholder",
        )
    return {name for name, _, _ in parsed}


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with its placeholders replaced by `values` (every name used must be there)."""
    return "".join(literal + (values[name] if name else "") for literal, name in parts(text))


def parts(text: str) -> list[tuple[str, str | None]]:
    """`text` as (literal text, the placeholder after it or None): what previews show, with
    each placeholder marked for the page to fill (sidebar/replies/bubble.html)."""
    try:
        return [(literal, name) for literal, name, _spec, _conv in Formatter().parse(text)]
    except ValueError:  # unpaired braces: never saved through a form, shown as written
        return [(text, None)]


def names_customer(reply) -> bool:
    """Whether a reply fills in the customer (so it is offered only where a chat has one)."""
    return reply.kind == "text" and CUSTOMER in used(reply.text)
