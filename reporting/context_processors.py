"""Template context for the site's navigation."""

from django.utils.functional import SimpleLazyObject

from ncii_cases.selectors.analytics import user_may_see_analytics
from ncii_cases.selectors.audit import user_may_audit


def reporting_nav(request):
    """``may_audit`` and ``may_see_analytics``: whether the nav shows the audit review and the
    analytics. Lazy: evaluated only by pages that render the nav for a signed-in user, and at
    most one query (the user's role, which most pages have already read and cached on the
    user)."""
    return {
        "may_audit": SimpleLazyObject(lambda: user_may_audit(request.user)),
        "may_see_analytics": SimpleLazyObject(lambda: user_may_see_analytics(request.user)),
    }
