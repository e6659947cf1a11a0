from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    name = "sidebar.replies"
    label = "replies"
    verbose_name = _("Quick replies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from sidebar.replies import library_cache
        from sidebar.replies.models import Category, MenuItem, Reply

        for model in (Reply, Category, MenuItem):
            for signal in (post_save, post_delete):
                signal.connect(library_cache.changed, sender=model, dispatch_uid=f"library-{model}")
