from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChangeEvent(models.Model):
    """One change event WeCom delivered (each once, however often WeCom retried it): what the
    customer's or group's timeline shows, and what admins can read back."""

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # WeCom's CreateTime: when the change happened.
    happened_at = models.DateTimeField(_("happened"))
    event = models.CharField(_("event"), max_length=32)
    change_type = models.CharField(_("change"), max_length=32)
    user_id = models.CharField(_("staff userid"), max_length=64, blank=True)
    external_userid = models.CharField(_("customer id"), max_length=128, blank=True)
    chat_id = models.CharField(_("group id"), max_length=128, blank=True)
    tag_id = models.CharField(_("tag or tag group id"), max_length=128, blank=True)
    # The event's other fields WeCom names (Source, FailReason, UpdateDetail, State, ...).
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # Whose timeline it is on: the customer's or the group's id ('' for tag events).
    target_id = models.CharField(max_length=128, blank=True, editable=False)
    # SHA-256 of the decrypted message: a retried delivery is the same message.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The churn alert of a customer who deleted a staff member (sidebar.events.churn): claimed
    # by one sender at a time, then sent.
    alert_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    alerted_at = models.DateTimeField(_("staff member alerted"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeCom event")
        verbose_name_plural = _("WeCom events")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["target_id", "-happened_at"], name="event_target_newest"),
            models.Index(fields=["-received_at", "-id"], name="event_newest"),
        ]

    def __str__(self):
        return f"{self.event}/{self.change_type} {self.target_id or self.tag_id}"


class EndedFollow(models.Model):
    """A staff member who no longer follows a customer, as WeCom's events said (the customer
    deleted them, or they deleted the customer): their lookups of that customer are refused at
    once, though externalcontact/get may still list them for a while. Gone when WeCom says
    they added the customer again."""

    external_userid = models.CharField(max_length=128)
    userid = models.CharField(max_length=64)
    change_type = models.CharField(max_length=32)
    ended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["external_userid", "userid"], name="one_end_each")
        ]

    def __str__(self):
        return f"{self.userid} ✕ {self.external_userid}"
