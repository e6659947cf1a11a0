from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "sidebar.records"
    label = "records"
    verbose_name = _("Customer records")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from sidebar.records import versions
        from sidebar.records.models import Stage

        post_save.connect(versions.stages_changed, sender=Stage, dispatch_uid="stages-saved")
        post_delete.connect(versions.stages_changed, sender=Stage, dispatch_uid="stages-deleted")
