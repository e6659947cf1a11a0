"""The columns every audit row (lookups, sends) carries about where it was made."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sidebar import hosts


class Host(models.TextChoices):
    WECOM = hosts.WECOM, _("WeCom client")
    JUZI = hosts.JUZI, _("Juzi sidebar")


class HostedRow(models.Model):
    """Where a row was made: the WeCom client, or a hosted sidebar and the host's user who
    operated the hosted account (docs/hosts.md)."""

    host = models.CharField(_("host"), max_length=16, choices=Host.choices, default=Host.WECOM)
    operator_uid = models.CharField(_("operator id"), max_length=64, blank=True)
    operator_name = models.CharField(_("operator"), max_length=64, blank=True)

    class Meta:
        abstract = True
