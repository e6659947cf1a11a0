from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sidebar.audit_indexes import audit_indexes
from sidebar.hosts.models import HostedRow


class TargetKind(models.TextChoices):
    """What a record is kept on: a customer (客户), a WeChat customer-service customer, or a
    customer group."""

    CONTACT = "contact", _("customer")
    KF = "kf", _("WeChat customer service")
    GROUP = "group", _("customer group")


def target_fields():
    return (
        models.CharField(_("kind"), max_length=8, choices=TargetKind.choices),
        models.CharField(_("customer or group id"), max_length=128),
    )


# The stages a new deployment starts with (migration 0002 adds them; admins change them).
DEFAULT_STAGES = ["待跟进", "跟进中", "已成交", "无意向", "已流失"]


class Stage(models.Model):
    """A step of the corp's sales funnel (客户阶段), defined by admins."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(
        _("offered"), default=True, help_text=_("Only offered stages can be chosen in the panel.")
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class CustomerStage(models.Model):
    """The stage a customer is at, one for the whole corp."""

    target_kind, target_id = target_fields()
    target_name = models.CharField(_("customer or group"), max_length=128, blank=True)
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="customers", verbose_name=_("stage")
    )
    set_by_userid = models.CharField(_("set by"), max_length=64)
    set_by_name = models.CharField(_("set by (name)"), max_length=64, blank=True)
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer stage")
        verbose_name_plural = _("customer stages")
        constraints = [
            models.UniqueConstraint(fields=["target_kind", "target_id"], name="one_stage_each")
        ]

    def __str__(self):
        return f"{self.target_id}: {self.stage}"


class Note(HostedRow):
    """A follow-up note (跟进记录) a staff member wrote on a customer or group, optionally with
    the time they mean to follow up next (a reminder)."""

    target_kind, target_id = target_fields()
    # What the customer or group was called when the note was written (for the reminder).
    target_name = models.CharField(_("customer or group"), max_length=128, blank=True)
    author_userid = models.CharField(_("author userid"), max_length=64)
    author_name = models.CharField(_("author"), max_length=64, blank=True)
    text = models.TextField(_("text"))
    due_at = models.DateTimeField(_("follow up at"), null=True, blank=True)
    done_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    # The reminder: claimed by one runner at a time (sidebar.records.reminders), then sent.
    remind_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)
    remind_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    remind_error = models.CharField(_("reminder error"), max_length=200, blank=True)

    class Meta(HostedRow.Meta):
        verbose_name = _("follow-up note")
        verbose_name_plural = _("follow-up notes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["target_kind", "target_id", "-created_at"], name="note_target_newest"
            ),
            models.Index(fields=["author_userid", "due_at"], name="note_author_due"),
            models.Index(
                fields=["due_at"],
                name="note_reminder_due",
                condition=models.Q(reminded_at__isnull=True, due_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.author_name or self.author_userid} → {self.target_name or self.target_id}"


class Edit(HostedRow):
    """One row per change a staff member made to a customer record, or tried to: the audit
    log admins read, and (the saved ones) the customer's timeline."""

    class Action(models.TextChoices):
        REMARK = "remark", _("Remark changed")
        TAGS = "tags", _("Tags changed")
        STAGE = "stage", _("Stage set")
        NOTE_ADDED = "note_added", _("Note written")
        NOTE_CHANGED = "note_changed", _("Note changed")
        NOTE_DELETED = "note_deleted", _("Note deleted")
        NOTE_DONE = "note_done", _("Follow-up done")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("No answer from WeCom")
        SAVED = "saved", _("Saved")
        INVALID = "invalid", _("Invalid input")
        DENIED = "denied", _("Denied")
        BUSY = "busy", _("Not sent: too many edits at once")
        FAILED = "failed", _("WeCom error")

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    staff_userid = models.CharField(_("staff userid"), max_length=64)
    staff_name = models.CharField(_("staff member"), max_length=64, blank=True, default="")
    target_kind, target_id = target_fields()
    target_name = models.CharField(_("customer or group"), max_length=128, blank=True)
    action = models.CharField(_("change"), max_length=16, choices=Action.choices)
    # What it was and what it became, as {field: value} (only what changed).
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    errcode = models.IntegerField(_("WeCom errcode"), null=True, blank=True)
    note_id = models.BigIntegerField(_("note"), null=True, blank=True)

    class Meta(HostedRow.Meta):
        verbose_name = _("record edit")
        verbose_name_plural = _("record edits")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["target_kind", "target_id", "-created_at"], name="edit_target_newest"
            ),
            *audit_indexes("edit", filtered=("outcome", "action", "host")),
        ]

    def __str__(self):
        staff = self.staff_name or self.staff_userid
        return f"{staff} → {self.target_name or self.target_id}: {self.get_action_display()}"
