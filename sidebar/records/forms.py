"""What the record's forms post, checked against WeCom's limits before anything is sent."""

import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sidebar.forms import WECOM_ID
from sidebar.records import notes, remarks
from sidebar.records.models import Stage

UNKNOWN_TAGS = _(
    "One of these tags is not in the company's tag library (it may have just been deleted). "
    "Refresh and try again."
)
MOBILE = re.compile(r"\A\+?[0-9][0-9 -]*\Z")


class RemarkForm(forms.Form):
    remark = forms.CharField(label=_("Remark"), max_length=remarks.REMARK_MAX, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=remarks.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    company = forms.CharField(label=_("Company"), max_length=remarks.COMPANY_MAX, required=False)
    # One field per number on the page (name="mobile", repeated); read with getlist.
    mobiles = forms.CharField(required=False)

    def __init__(self, data=None, *, initial_mobiles=(), **kwargs):
        super().__init__(data, **kwargs)
        self.mobile_values = (
            [m.strip() for m in data.getlist("mobile") if m.strip()]
            if data is not None
            else list(initial_mobiles)
        )

    def clean_mobiles(self):
        values = self.mobile_values
        if len(values) > remarks.MOBILES_MAX:
            raise forms.ValidationError(
                _("At most %(limit)d mobile numbers (this has %(count)d).")
                % {"limit": remarks.MOBILES_MAX, "count": len(values)}
            )
        for value in values:
            if len(value) > remarks.MOBILE_MAX or not MOBILE.match(value):
                raise forms.ValidationError(
                    _("“%(value)s” is not a phone number: use digits, spaces, “-” and “+”.")
                    % {"value": value[:30]}
                )
        return tuple(dict.fromkeys(values))

    def wanted(self, current: remarks.Remark) -> remarks.Remark:
        """The entry as posted; a field the request left out stays as it is (an empty field
        clears it, as WeCom does)."""
        data, posted = self.cleaned_data, self.data
        return remarks.Remark(
            remark=data["remark"] if "remark" in posted else current.remark,
            description=data["description"] if "description" in posted else current.description,
            company=data["company"] if "company" in posted else current.company,
            mobiles=data["mobiles"] if "mobile" in posted else current.mobiles,
        )


class TagsForm(forms.Form):
    """The tag ids ticked (`tag`) and those that were ticked when the form was shown
    (`shown`): what differs is added or removed. Every id must be `known` (the corp's library
    and the tags the customer has), or nothing is sent."""

    def __init__(self, data, *, known: set[str]):
        super().__init__(data)
        self.ticked = data.getlist("tag")
        self.shown = data.getlist("shown")
        self.known = known

    def clean(self):
        ids = [*self.ticked, *self.shown]
        if len(ids) > 2000 or not all(len(i) <= 128 and WECOM_ID.match(i) for i in ids):
            raise forms.ValidationError(_("The tags sent are not valid tag ids."))
        ticked, shown = set(self.ticked), set(self.shown)
        if not (ticked ^ shown) <= self.known:
            raise forms.ValidationError(UNKNOWN_TAGS)
        return {"add": ticked - shown, "remove": shown - ticked}


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=notes.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write something first.")},
    )
    due_at = forms.DateTimeField(
        label=_("Follow up next"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Pick a date and time.")},
    )

    def clean_due_at(self):
        due = self.cleaned_data["due_at"]
        if due is not None and due < timezone.now() - timedelta(minutes=5):
            raise forms.ValidationError(_("Pick a time that has not passed yet."))
        return due


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(enabled=True),
        error_messages={"invalid_choice": _("This stage is no longer offered. Refresh.")},
    )


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return ""
