"""Template context for the navigation of the reports from anyone."""

from django.utils.functional import SimpleLazyObject

from .permissions import Action, districts_for_roster_import, user_can_anywhere


def reports_nav(request):
    """``may_open_case`` (the "New report" link goes to the case intake), ``may_file_report``
    (else it goes to the staff report form; and "My reports"), ``may_review_reports`` (the
    incoming queue) and ``may_import_roster`` (the roster import: district IT, the operator).
    Lazy; no query beyond the user's role, but one for the roster link when it is rendered."""
    user = request.user
    return {
        "may_open_case": SimpleLazyObject(lambda: user_can_anywhere(user, Action.TRIAGE)),
        "may_file_report": SimpleLazyObject(lambda: user_can_anywhere(user, Action.FILE_REPORT)),
        "may_review_reports": SimpleLazyObject(
            lambda: user_can_anywhere(user, Action.REVIEW_REPORTS)
        ),
        "may_import_roster": SimpleLazyObject(
            lambda: (
                user_can_anywhere(user, Action.MANAGE_SETTINGS)
                and districts_for_roster_import(user).exists()
            )
        ),
    }
