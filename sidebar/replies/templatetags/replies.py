from django import template
from django.template.loader import get_template

from sidebar.replies import previews

register = template.Library()


@register.simple_tag
def preview(reply):
    """The reply as the customer will see it (sidebar/replies/bubble.html)."""
    bubble = get_template("sidebar/replies/bubble.html")
    return bubble.render({"preview": previews.of_reply(reply)})
