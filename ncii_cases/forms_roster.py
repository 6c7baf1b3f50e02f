"""The form of the roster import screen (the import itself is ``services.roster``)."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .uploads import max_document_bytes


class RosterOp:
    """The two buttons of the roster import form, posted as ``FIELD``: check the export
    (nothing is written) or import it."""

    do_not_call_in_templates = True  # the template reads ``ops.CHECK`` and so on

    FIELD = "op"
    CHECK = "check"
    APPLY = "apply"


class RosterUploadForm(forms.Form):
    district = forms.ModelChoiceField(queryset=None, label=_("District"), empty_label=None)
    export = forms.FileField(
        label=_("OneRoster export (zip)"),
        help_text=_(
            "The OneRoster 1.2 CSV zip from the student information system: "
            "manifest.csv, orgs.csv, users.csv, and if there, roles.csv, enrollments.csv and "
            "demographics.csv."
        ),
    )

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        first_two = list(districts[:2])
        self.only_district = first_two[0] if len(first_two) == 1 else None
        if self.only_district is not None:
            # The district's own IT: nothing to choose.
            self.fields["district"].widget = forms.HiddenInput()
            self.fields["district"].required = False
            self.initial.setdefault("district", self.only_district.pk)

    def clean_district(self):
        return self.cleaned_data.get("district") or self.only_district

    def clean(self):
        data = super().clean()
        if self.only_district is not None and self.has_error("district"):
            # The field is hidden: say it where it is seen.
            self.add_error(None, _("Select a valid choice: you may import your own district only."))
        return data

    def clean_export(self):
        upload = self.cleaned_data["export"]
        if getattr(upload, "oversize", False) or upload.size > max_document_bytes():
            raise forms.ValidationError(
                _(
                    "The file is larger than %(size)s, the most this "
                    "page accepts. Run manage.py roster_import on the server for a larger export "
                    "(see docs/roster.md)."
                )
                % {"size": filesizeformat(max_document_bytes())}
            )
        return upload
