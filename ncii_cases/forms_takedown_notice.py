"""The form of the TAKE IT DOWN Act notice letter (``services.takedown_notices``): the four
elements of a valid removal request, filled in from the case and the signed-in coordinator."""

from django import forms
from django.utils import timezone

from .forms import OneSubmission, _date_widgets
from .models import TakedownNotice
from .services import takedown_notices as tn

TEXTAREA_ROWS = {"content_location": 4, "statement": 4, "contact_address": 3}


def _fields() -> dict:
    fields = forms.fields_for_model(
        TakedownNotice, fields=tn.INPUT_FIELDS, formfield_callback=_date_widgets
    )
    for name, rows in TEXTAREA_ROWS.items():
        fields[name].widget = forms.Textarea(attrs={"rows": rows})
    fields["authority"].widget = forms.RadioSelect(choices=TakedownNotice.Authority.choices)
    return fields


class TakedownNoticeForm(OneSubmission):
    """The notice's inputs plus the version of the takedown request the page was opened on
    (a request changed since is refused: its location may have been corrected)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, takedown, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {**_fields(), **self.fields}
        self.takedown = takedown
        if not self.is_bound:
            minor = tn.depicted_minor(takedown)
            name = user.get_full_name() or user.username
            self.initial.update(
                {
                    "authority": (
                        TakedownNotice.Authority.PARENT
                        if minor
                        else TakedownNotice.Authority.DEPICTED
                    ),
                    "authorized_on": timezone.localdate(),
                    "name_depicted": False,
                    "content_location": tn.content_location_default(takedown),
                    "statement": tn.good_faith_statement_default(minor=minor),
                    "signer_name": name,
                    "signer_title": "Title IX coordinator",
                    "signature": f"/s/ {name}",
                    "contact_email": user.email,
                    "version": takedown.version,
                }
            )

    def inputs(self) -> dict:
        """The cleaned values of ``services.takedown_notices.INPUT_FIELDS``."""
        return {name: self.cleaned_data.get(name) for name in tn.INPUT_FIELDS}
