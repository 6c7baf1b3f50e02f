"""Reads of case data, always scoped by ``permissions``. Raw ``Case.objects.get()`` appears
only here; views never query models themselves."""

from django.db.models import QuerySet
from django.http import Http404

from .models import Case
from .permissions import cases_visible_to


def case_list_for_user(*, user) -> QuerySet[Case]:
    """Returns the cases the user may see, with what a list shows, newest report first."""
    return cases_visible_to(user).select_related("school").order_by("-reported_at")


def case_get_for_user(*, user, pk: int) -> Case:
    """Returns the case if the user may see it; raises Http404 whether it is missing or not
    visible, so that a forged id learns nothing."""
    try:
        return cases_visible_to(user).select_related("school", "district").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No case found.") from None
