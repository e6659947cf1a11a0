from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SidebarConfig(AppConfig):
    name = "sidebar"
    verbose_name = _("Chat toolbar sidebar")

    def ready(self):
        from sidebar import checks  # noqa: F401  (registers the system checks)
