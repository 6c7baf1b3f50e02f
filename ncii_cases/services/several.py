"""Records made for several people (or several items) in one save: the shared rule that turns
one refused row into an error naming the person, keyed to that row's fields.

Each "several" service calls the one-record service once per row inside one transaction and,
when any row is refused, raises one ``ValidationError`` with every row's errors: nothing of
the save is kept (the transaction rolls back)."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _


def row_errors(*, key: str, name: str, exc: ValidationError) -> dict[str, list[str]]:
    """The errors of one refused row as ``{field: [message]}``: a message keyed by a field of
    the one-record service goes to ``"<key>-<field>"`` (the caller's name for the row's
    field), every other one to the form's top; each message starts with the person's ``name``
    so that it reads on its own in the error summary."""
    found: dict[str, list[str]] = {}
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, messages in items:
        target = f"{key}-{field}" if key and field and field != NON_FIELD_ERRORS else None
        for message in messages:
            text = _("%(name)s: %(message)s") % {"name": name, "message": message}
            found.setdefault(target or NON_FIELD_ERRORS, []).append(text)
    return found


def raise_row_errors(errors: dict[str, list[str]]) -> None:
    """Raises the collected ``errors`` of the refused rows as one ``ValidationError`` (keyed
    by field, ``NON_FIELD_ERRORS`` for the top); does nothing when there are none."""
    if errors:
        raise ValidationError(errors)


def each_row_record(rows, record, *, empty, name, keep=(), keyed_as_is: bool = False) -> list:
    """Calls ``record(row)`` for each of ``rows`` in turn (inside the caller's transaction)
    and returns the results in that order; no row at all is refused with ``ValidationError``
    of ``empty`` (a message, or ``{field: message}``). The first refused row stops it: its
    ``ValidationError`` is raised again with each message starting with ``name(row)`` (the
    person's name, or a label naming the item), all at the form's top (``row_errors`` without
    a key). Raised as they are: the exception types in ``keep`` (a ``StaleRecord``, the
    page's own refusal) and, with ``keyed_as_is``, a refusal keyed by field."""
    rows = list(rows)
    if not rows:
        raise ValidationError(empty)
    done = []
    for row in rows:
        try:
            done.append(record(row))
        except keep:
            raise
        except ValidationError as exc:
            if keyed_as_is and hasattr(exc, "error_dict"):
                raise
            raise ValidationError(row_errors(key="", name=name(row), exc=exc)) from exc
    return done
