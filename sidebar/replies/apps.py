from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    name = "sidebar.replies"
    label = "replies"
    verbose_name = _("Quick replies")
    default_auto_field = "django.db.models.BigAutoField"
