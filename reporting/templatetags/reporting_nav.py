"""Template helpers of the site navigation for reporting pages."""

from django import template

from ncii_cases.selectors_analytics import user_may_see_analytics

register = template.Library()


@register.filter
def sees_analytics(user) -> bool:
    """Whether the nav shows the Analytics link (the role is cached on the user: no query once
    the request has asked for it)."""
    return user_may_see_analytics(user)
