from django import forms
from django.utils.translation import gettext_lazy as _

from sidebar.forms import wecom_id_field
from sidebar.replies.rules import SEND_ENTRIES

# entry -> the ids that name its chat, as the page read them from the client
TARGET_FIELDS = {
    "single_chat_tools": ("external_userid",),
    "group_chat_tools": ("chat_id",),
    "chat_attachment": (),
    "single_kf_tools": ("external_userid",),
    "chain_single_chat_tools": ("corp_id", "user_id"),
    "chain_group_chat_tools": ("chat_id",),
}


class SendForm(forms.Form):
    """Which chat a reply goes to: the entry and the ids the page read from the client."""

    entry = forms.ChoiceField(choices=[(entry, entry) for entry in SEND_ENTRIES])
    external_userid = wecom_id_field(required=False)
    chat_id = wecom_id_field(required=False)
    corp_id = wecom_id_field(64, required=False)
    user_id = wecom_id_field(64, required=False)
    enter_chat = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        entry = data.get("entry")
        if entry:
            for name in TARGET_FIELDS[entry]:
                if not data.get(name):
                    self.add_error(name, forms.ValidationError("Required from this entry."))
        return data

    @property
    def target(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in TARGET_FIELDS[self.cleaned_data["entry"]]}


class OwnReplyForm(forms.Form):
    """A reply a staff member writes for themselves: a title and its text (placeholders and
    length are checked with the reply itself, as for the shared library)."""

    title = forms.CharField(
        max_length=64, error_messages={"required": _("Give the reply a title.")}
    )
    text = forms.CharField(strip=False, error_messages={"required": _("Write the reply's text.")})


class ResultForm(forms.Form):
    """What the client answered sendChatMessage, as the page reports it."""

    err_msg = forms.CharField(max_length=500)
    duration_ms = forms.IntegerField(min_value=0, max_value=3_600_000, required=False)
