"""Who may see and do what: the permission policy's two faces.

``user_can(user, action, case)`` answers for one case; ``cases_visible_to(user)`` returns the
cases a user may see. Every selector scopes through these. Access comes from role (group)
plus district, school and assignment; superuser status and model-wide permissions grant no
case content (separation of duties: IT manages accounts, not cases).
"""

from django.db.models import QuerySet

from .choices import Role
from .models import Case


def user_role(user) -> str | None:
    """Returns the user's role (the name of its role group), or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_ncii_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r.value for r in Role if r.value in names), None)
    user._ncii_role = role
    return role


def cases_visible_to(user) -> QuerySet[Case]:
    """Returns the cases whose content the user may read."""
    role = user_role(user)
    if role is None or user.district_id is None:
        return Case.objects.none()
    in_district = Case.objects.filter(district_id=user.district_id)
    if role == Role.COORDINATOR:
        return in_district
    if role == Role.SCHOOL_ADMIN:
        return in_district.filter(school__in=user.schools.all())
    if role in (Role.INVESTIGATOR, Role.SUPPORT_STAFF):
        return in_district.filter(
            assignments__user=user, assignments__ended_at__isnull=True
        ).distinct()
    return Case.objects.none()


def user_can(user, action: str, case: Case) -> bool:
    """Whether the user may take ``action`` ('view', ...) on the case."""
    if action == "view":
        return cases_visible_to(user).filter(pk=case.pk).exists()
    return False
