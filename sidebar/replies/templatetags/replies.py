from django import template

from sidebar.replies import previews

register = template.Library()


@register.simple_tag
def preview(reply):
    """The reply as the customer will see it (sidebar/replies/bubble.html)."""
    return previews.render(reply)
