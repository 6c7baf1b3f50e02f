"""Template context for the site's navigation."""

from django.utils.functional import SimpleLazyObject

from ncii_cases.selectors_audit import user_may_audit


def audit_nav(request):
    """``may_audit``: whether the nav shows the audit review. Lazy: evaluated only by pages
    that render the nav for a signed-in user, and at most one query (the user's role, which
    most pages have already read and cached on the user)."""
    return {"may_audit": SimpleLazyObject(lambda: user_may_audit(request.user))}
