from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "sidebar.events"
    label = "events"
    verbose_name = _("WeCom events")
    default_auto_field = "django.db.models.BigAutoField"
