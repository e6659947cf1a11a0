from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sidebar.audit_indexes import audit_indexes
from sidebar.hosts.models import HostedRow


class Lookup(HostedRow):
    """One row per lookup a staff member made from the toolbar: the audit log."""

    class Outcome(models.TextChoices):
        OK = "ok", _("Shown")
        DENIED = "denied", _("Denied")
        NOT_FOUND = "not_found", _("Not found")
        INVALID = "invalid", _("Invalid request")
        UPSTREAM_ERROR = "upstream_error", _("WeCom error")

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    staff_userid = models.CharField(_("staff userid"), max_length=64)
    # Names as they were at the time, so the log reads without asking WeCom ('' if unknown).
    staff_name = models.CharField(_("staff member"), max_length=64, blank=True, default="")
    entry = models.CharField(_("entry"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=128, db_index=True)
    target_name = models.CharField(_("customer or group"), max_length=128, blank=True, default="")
    # The customer's avatar URL as WeCom gave it then (an http(s) URL or ''), for the home
    # panel's recent list; groups and upstream/downstream chats have none.
    target_avatar = models.CharField(_("avatar"), max_length=512, blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    errcode = models.IntegerField(_("WeCom errcode"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    from_cache = models.BooleanField(_("from cache"), default=False)

    class Meta(HostedRow.Meta):
        verbose_name = _("lookup")
        verbose_name_plural = _("lookups")
        ordering = ["-created_at", "-id"]
        indexes = audit_indexes("lookup", filtered=("outcome", "entry", "host"))

    def __str__(self):
        staff = self.staff_name or self.staff_userid
        return f"{staff} → {self.target_name or self.target_id} ({self.get_outcome_display()})"


class ClientFailureReport(models.Model):
    """What the page reported when the WeCom client refused config/agentConfig or a toolbar
    API failed: the evidence an admin needs to fix a page that fails on someone's phone."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    staff_userid = models.CharField(_("staff userid"), max_length=64, db_index=True)
    # The name at the time of the report (the session's), so the list reads without WeCom.
    staff_name = models.CharField(_("staff member"), max_length=64, blank=True, default="")
    entry = models.CharField(_("entry"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=500)
    signed_url = models.CharField(_("URL signed"), max_length=2048, blank=True)
    page_url = models.CharField(_("page URL"), max_length=2048, blank=True)
    wecom_version = models.CharField(_("WeCom version"), max_length=32, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)

    class Meta:
        verbose_name = _("client failure report")
        verbose_name_plural = _("client failure reports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.staff_userid}: {self.error}"


class KfScene(models.Model):
    """What a WeChat customer-service scene value means: admins choose the values themselves
    (the `scene` of each 客服 link they publish), so only they can put them in words."""

    scene = models.CharField(
        _("scene value"),
        max_length=32,
        unique=True,
        help_text=_("As in the customer-service link: …&scene=VALUE (letters, digits, _ and -)."),
    )
    name = models.CharField(
        _("what staff read"), max_length=64, help_text=_("For example: 官网价格页, 公众号菜单.")
    )

    class Meta:
        verbose_name = _("customer-service scene")
        verbose_name_plural = _("customer-service scenes")
        ordering = ["scene"]

    def __str__(self):
        return f"{self.scene}: {self.name}"


class AuditSearchKey(models.Model):
    """What an audit log's rows say in the fields admins search, per indexed id: for each
    staff userid, its userid, names, operators (and, for sends, reply titles) joined by
    newlines; for each target id, the id and the names it was shown under. Filled by the
    database itself, a trigger on each log's INSERT (migration 0009), so it never misses a
    row, however the row was written. Admin's search reads it first (sidebar.audit_search):
    a few thousand short texts instead of a million rows (docs/speed.md)."""

    log = models.CharField(max_length=16)  # "lookup" or "send"
    key_column = models.CharField(max_length=16)  # "staff_userid" or "target_id"
    key = models.CharField(max_length=160)
    text = models.CharField(max_length=400)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["log", "key_column", "key", "text"], name="audit_search_key_unique"
            )
        ]

    def __str__(self):
        return f"{self.log} {self.key_column}={self.key}"
