"""The rows of the audit review's three tables (changes, recorded actions, access log) as
HTML, written in Python: a page holds 300 rows, and rendering them cell by cell through the
template language (a filter per instant, a ``{% url %}`` per link, a lookup per attribute) cost
several times the rest of the page. The markup is exactly what the template wrote before
(``tests/reporting/test_audit_rows.py`` compares them), every value escaped as the template's
autoescaping did; the instants are the ``|moment:"seconds"`` texts, in the district's time zone
(``dates.MomentTexts``, one per page), and the links to a case's audit trail come from one
``reverse()`` per page."""

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ncii_cases import audit_labels, choices
from ncii_cases.dates import MomentTexts

# A case id no case has, reversed once and replaced by each row's case id.
_ANY_PK = 987654321


class AuditRowsHtml:
    """Writes the table rows of one review page. Make one per request (it reads the active
    language and time zone when made). ``case`` is the case of a per-case page (its tables
    have no "Case" column) or None for the district review."""

    def __init__(self, *, case=None):
        self.district = case is None
        self.moment = MomentTexts(seconds=True)
        path = escape(reverse("reporting:case_audit", args=[_ANY_PK]))
        head, _sep, tail = path.rpartition(str(_ANY_PK))
        self.link_head, self.link_tail = f'<a href="{head}', f'{tail}">'
        self.event_labels: dict[str, str] = {}
        self.access_labels: dict[str, str] = {}
        self.stage_labels: dict[str, str] = {}

    def _case_link(self, case_id: int, reference: str) -> str:
        return f"{self.link_head}{case_id}{self.link_tail}{escape(reference)}</a>"

    def _when(self, value) -> str:
        return escape(self.moment(value)) if value else ""

    def _stage(self, code) -> str:
        if not code:
            return ""
        text = self.stage_labels.get(code)
        if text is None:
            text = self.stage_labels[code] = escape(str(choices.stage_label(code)))
        return text

    def changes(self, rows) -> SafeString:
        """The rows of the changes table (``selectors.audit.ChangeRow``); "" for none."""
        deleted = escape(gettext("Record deleted."))
        unchanged = escape(gettext("No field changed."))
        parts = []
        for row in rows:
            if not self.district:
                case_cell = ""
            elif row.case_id:
                case_cell = f"<td>{self._case_link(row.case_id, row.case_reference)}</td>"
            else:
                case_cell = "<td>—</td>"
            if row.is_deletion:
                what = deleted
            elif row.changes:
                items = "".join(f"<li>{escape(str(ch))}</li>" for ch in row.changes)
                what = f'<ul class="diff">{items}</ul>'
            else:
                what = unchanged
            parts.append(
                f"<tr>\n<td>{self._when(row.when)}</td>\n<td>{escape(str(row.who))}</td>\n"
                f"{case_cell}\n<td>{escape(str(row.model))} #{row.object_id} "
                f"<strong>{escape(str(row.kind))}</strong></td>\n<td>{what}</td>\n</tr>"
            )
        return self._safe(parts)

    def events(self, rows) -> SafeString:
        """The rows of the recorded actions table (``CaseEvent`` with its actor and case);
        "" for none."""
        system = gettext("system")
        labels = self.event_labels
        parts = []
        for ev in rows:
            label = labels.get(ev.event_type)
            if label is None:
                label = labels[ev.event_type] = escape(audit_labels.event_label(ev.event_type))
            case_cell = (
                f"<td>{self._case_link(ev.case_id, ev.case.reference)}</td>"
                if self.district
                else ""
            )
            stages = self._stage(ev.from_stage)
            if ev.to_stage:
                stages = f"{stages} → {self._stage(ev.to_stage)}"
            actor = ev.actor.username if ev.actor is not None else ""
            parts.append(
                f"<tr><td>{ev.pk}</td><td>{self._when(ev.created_at)}</td>{case_cell}"
                f"<td>{label}</td><td>{stages}</td>"
                f"<td>{escape(actor) if actor else system}</td>"
                f"<td><code>{escape(ev.row_hash[:12])}</code></td></tr>"
            )
        return self._safe(parts)

    def accesses(self, rows) -> SafeString:
        """The rows of the access-log table (``AccessEvent`` with its case and
        ``path_shown``); "" for none."""
        anonymous = gettext("anonymous")
        allowed, refused = escape(gettext("Yes")), escape(gettext("Refused"))
        labels = self.access_labels
        parts = []
        for a in rows:
            label = labels.get(a.action)
            if label is None:
                label = labels[a.action] = escape(audit_labels.access_label(a.action))
            if not self.district:
                case_cell = ""
            elif a.case_id is not None:
                case_cell = f"<td>{self._case_link(a.case_id, a.case.reference)}</td>"
            else:
                case_cell = "<td>—</td>"
            parts.append(
                f"<tr><td>{self._when(a.created_at)}</td>"
                f"<td>{escape(a.username) if a.username else anonymous}</td>"
                f"<td>{label}</td>{case_cell}"
                f"<td>{escape(a.method)} {escape(a.path_shown)}</td>"
                f"<td>{escape(a.ip_address) if a.ip_address else '—'}</td>"
                f"<td>{allowed if a.allowed else refused}</td></tr>"
            )
        return self._safe(parts)

    @staticmethod
    def _safe(parts: list[str]) -> SafeString:
        # Every value in ``parts`` was escaped above; the rest is this module's own markup
        # and the translated words the template showed unescaped too.
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703
