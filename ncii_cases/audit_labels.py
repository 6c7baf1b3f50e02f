"""The words for the codes of the audit record: timeline event types (``events.EventType``),
access-log actions (``access_log.ACCESS_ACTIONS`` and the few recorded elsewhere) and history
change types, as the audit review's filter, its tables and the auditor's home show them.
Codes never reach a page: a code without a label here is shown as a sentence built from it,
and a test asks that every code in use has its label."""

from django.utils.translation import gettext_lazy as _

from .events import EventType

CHANGE_LABELS = {
    "+": _("Record created"),
    "~": _("Record changed"),
    "-": _("Record deleted"),
}

# The event types' labels are the choices' own (``EventType``): written once, beside the codes.
EVENT_LABELS = dict(EventType.choices)

ACCESS_LABELS = {
    "admin_view_on_site": _("Case opened from the admin"),
    "analytics": _("Analytics viewed"),
    "analytics_board_report": _("Board report downloaded"),
    "analytics_csv": _("Analytics downloaded"),
    "audit_export": _("Audit record downloaded"),
    "audit_review": _("Audit review viewed"),
    "audit_verify_now": _("Audit check asked for"),
    "case_appeal_decide": _("Appeal decision form"),
    "case_appeal_decision_maker": _("Appeal decision-maker form"),
    "case_appeal_file": _("Appeal form"),
    "case_appeal_response": _("Appeal response form"),
    "case_assign": _("Assignment form"),
    "case_audit": _("Case audit trail viewed"),
    "case_deadline_extend": _("Deadline extension form"),
    "case_detail": _("Case viewed"),
    "case_determination": _("Determination form"),
    "case_document_download": _("Document downloaded"),
    "case_evidence_add": _("Evidence form"),
    "case_facts": _("Facts form"),
    "case_harm": _("Harm assessment form"),
    "case_intake": _("New case form"),
    "case_lead_change": _("Lead handover form"),
    "case_letter": _("Letter viewed"),
    "case_letter_compose": _("Letter form"),
    "case_letter_download": _("Letter downloaded"),
    "case_letters": _("Letters of the case viewed"),
    "case_measure_add": _("Measure form"),
    "case_measure_update": _("Measure update form"),
    "case_measure_review": _("Measure reviews form"),
    "case_move_school": _("School move form"),
    "case_notice_add": _("Notice form"),
    "case_offer": _("Resolution offer form"),
    "case_parent_decision_add": _("Parent notification decision form"),
    "case_party_add": _("Person form"),
    "case_pdf": _("Case summary PDF asked for"),
    "case_process_a_milestone": _("Process A step form"),
    "case_record_correct": _("Correction form"),
    "case_record_withdraw": _("Withdrawal form"),
    "case_report_update": _("External report form"),
    "case_sanction_add": _("Sanction form"),
    "case_sanction_status": _("Sanction status form"),
    "case_search": _("Case search"),
    "case_support_not_offered": _("No-support reason form"),
    "case_takedown_add": _("Takedown request form"),
    "case_takedown_notice": _("Takedown notice form"),
    "case_takedown_notice_download": _("Takedown notice downloaded"),
    "case_takedown_update": _("Takedown update form"),
    "case_takedowns": _("Takedown board viewed"),
    "case_track": _("Respondent track form"),
    "case_transition": _("Stage change form"),
    "case_unassign": _("Unassignment form"),
    "device_delete": _("Authenticator removed"),
    "enrollment_link_refused": _("Set-up link refused"),
    "enrollment_link_sent": _("Set-up link sent"),
    "letter_template_edit": _("Letter template form"),
    "letter_template_version": _("Letter template version viewed"),
    "letter_templates": _("Letter templates viewed"),
    "my_report": _("Own report viewed"),
    "my_reports": _("Own reports viewed"),
    "password_reset": _("Password reset"),
    "pdf_download": _("Case summary PDF downloaded"),
    "pdf_job": _("Case summary PDF status viewed"),
    "pdf_job_retry": _("Case summary PDF retried"),
    "pdf_job_status": _("Case summary PDF status checked"),
    "people_search": _("Roster lookup"),
    "recovery_codes_refused": _("Recovery codes refused"),
    "recovery_codes_regenerated": _("Recovery codes renewed"),
    "redacted_download": _("Redacted summary downloaded"),
    "redaction_decide": _("Redaction decision form"),
    "redaction_release": _("Redacted summary release form"),
    "redaction_request": _("Redacted summary asked for"),
    "redaction_review": _("Redacted summary reviewed"),
    "report_close": _("Incoming report closed"),
    "report_merge": _("Incoming report merge form"),
    "report_promote": _("Incoming report opening form"),
    "report_queue": _("Incoming reports viewed"),
    "report_reply": _("Reply to a reporter"),
    "report_review": _("Incoming report viewed"),
    "role_change": _("Role or schools changed"),
    "roster_import": _("Roster import"),
    "second_factor_enrolled": _("Authenticator set up"),
    "second_factor_failed": _("Wrong sign-in code"),
    "second_factor_removed": _("Second factor removed"),
    "second_factor_reset_approved": _("Second-factor reset approved"),
    "second_factor_reset_cancelled": _("Second-factor reset cancelled"),
    "second_factor_reset_requested": _("Second-factor reset asked for"),
    "sign_in": _("Signed in"),
    "sign_in_failed": _("Sign-in failed"),
    "sign_in_locked": _("Sign-in locked out"),
    "sign_in_password": _("Password accepted"),
    "sign_in_password_refused": _("Password sign-in refused"),
    "sign_in_sso": _("Signed in with single sign-on"),
    "sign_in_sso_failed": _("Single sign-on failed"),
    "sign_in_sso_refused": _("Single sign-on refused"),
    "sign_out": _("Signed out"),
    "sign_out_idle": _("Signed out after inactivity"),
    "sign_out_time_limit": _("Signed out at the session's time limit"),
    "sso_account_created": _("Account created by single sign-on"),
    "sso_account_linked": _("Account linked to single sign-on"),
    "sso_link_removed": _("Single sign-on link removed"),
    "staff_report_new": _("Staff report form"),
}


def _sentence(code: str) -> str:
    words = str(code or "").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "—"


def event_label(code: str) -> str:
    """The words for a timeline event type."""
    return str(EVENT_LABELS.get(code) or _sentence(code))


def access_label(code: str) -> str:
    """The words for an access-log action."""
    return str(ACCESS_LABELS.get(code) or _sentence(code))


def change_label(code: str) -> str:
    """The words for a history change type ("+", "~", "-")."""
    return str(CHANGE_LABELS.get(code) or _sentence(code))
