"""The admin of school calendars: days without school and make-up days per district or school.

Staff see and edit only their own district's calendar (a superuser without a district sees
every district's). Whole calendars are imported from iCalendar files with
``manage.py calendar_import PATH --district SLUG``.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m


@admin.register(m.SchoolCalendarEntry)
class SchoolCalendarEntryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "district", "school", "kind", "starts_on", "ends_on", "source")
    list_filter = ("district", "kind", "source")
    date_hierarchy = "starts_on"
    search_fields = ("name",)

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("district", "school")
        if request.user.district_id is not None:
            rows = rows.filter(district_id=request.user.district_id)
        elif not request.user.is_superuser:
            rows = rows.none()
        return rows

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        district_id = request.user.district_id
        if district_id is not None and db_field.name == "district":
            kwargs["queryset"] = m.District.objects.filter(pk=district_id)
        elif district_id is not None and db_field.name == "school":
            kwargs["queryset"] = m.School.objects.filter(district_id=district_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
