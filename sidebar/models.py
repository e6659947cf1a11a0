from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Lookup(models.Model):
    """One row per lookup a staff member made from the toolbar: the audit log."""

    class Outcome(models.TextChoices):
        OK = "ok", _("Shown")
        DENIED = "denied", _("Denied")
        NOT_FOUND = "not_found", _("Not found")
        INVALID = "invalid", _("Invalid request")
        UPSTREAM_ERROR = "upstream_error", _("WeCom error")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    staff_userid = models.CharField(_("staff userid"), max_length=64, db_index=True)
    entry = models.CharField(_("entry"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=128, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    errcode = models.IntegerField(_("WeCom errcode"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    from_cache = models.BooleanField(_("from cache"), default=False)

    class Meta:
        verbose_name = _("lookup")
        verbose_name_plural = _("lookups")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.staff_userid} → {self.target_id} ({self.outcome})"
