"""Forms with a row per person: the fields asked once for the page, then a fieldset per
person (its legend the person's name) holding that person's fields, named
``"p<party id>-<field>"``. Used by the notices and parent-notification decisions logged for
several people in one save (``forms.NoticeAddForm``, ``forms.ParentDecisionForm``); the page
is ``partials/person_rows.html``."""

from dataclasses import dataclass

from django import forms

ROWS_TEMPLATE = "ncii_cases/partials/person_rows.html"


@dataclass
class PersonRow:
    """One person's fieldset: its legend, the tick that includes the person (a subwidget of
    the form's ``party`` checkboxes, None when the row has none) and its bound fields."""

    party: object
    legend: str
    tick: object
    fields: list
    note: str = ""

    @property
    def errors(self) -> bool:
        return any(f.errors for f in self.fields)


class PersonRowsForm(forms.Form):
    """Form mixin: ``row_add(party, name, field)`` adds a person's field; ``rows`` lists the
    fieldsets for the page; ``page_fields`` the fields asked once (those in
    ``fields_after_rows`` come after the rows)."""

    fields_after_rows: tuple[str, ...] = ()
    # The checkboxes that tick a person (a field of party ids), rendered in the rows.
    tick_field = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rows: list[tuple[object, str, list[str], str]] = []

    @staticmethod
    def row_key(party) -> str:
        return f"p{party.pk}"

    def row_begin(self, party, legend: str, note: str = "") -> None:
        """Starts the fieldset of ``party`` (fields added next belong to it)."""
        self._rows.append((party, legend, [], note))

    def row_add(self, party, name: str, field: forms.Field) -> str:
        """Adds ``field`` to the row of ``party`` (begun with ``row_begin``) as
        ``"p<id>-<name>"`` and returns that name."""
        full = f"{self.row_key(party)}-{name}"
        self.fields[full] = field
        self._rows[-1][2].append(full)
        return full

    def row_value(self, party, name: str, default=None):
        return self.cleaned_data.get(f"{self.row_key(party)}-{name}", default)

    def row_error(self, party, name: str, message) -> None:
        full = f"{self.row_key(party)}-{name}"
        self.add_error(full if full in self.fields else None, message)

    @property
    def rows(self) -> list[PersonRow]:
        ticks = {}
        if self.tick_field:
            for widget in self[self.tick_field].subwidgets:
                ticks[str(widget.data["value"])] = widget
        return [
            PersonRow(party, legend, ticks.get(str(party.pk)), [self[n] for n in names], note)
            for party, legend, names, note in self._rows
        ]

    def _in_rows(self) -> set[str]:
        return {n for _p, _l, names, _n in self._rows for n in names} | {self.tick_field}

    @property
    def page_fields(self) -> list:
        skip = self._in_rows() | set(self.fields_after_rows)
        return [f for f in self.visible_fields() if f.name not in skip]

    @property
    def page_fields_after(self) -> list:
        return [f for f in self.visible_fields() if f.name in self.fields_after_rows]

    @property
    def tick_errors(self) -> list:
        return list(self.errors.get(self.tick_field, [])) if self.tick_field else []
