from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "sidebar.records"
    label = "records"
    verbose_name = _("Customer records")
    default_auto_field = "django.db.models.BigAutoField"
