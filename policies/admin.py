from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m


class NoDeleteAdmin(SimpleHistoryAdmin):
    """Catalog rows and policy texts are retired (``active``), never deleted: case records
    point at them for years, and a deletion page would list those case records."""

    def has_delete_permission(self, request, obj=None):
        return False


class CatalogAdmin(NoDeleteAdmin):
    list_display = ("name", "district", "active", "sort_order")
    list_filter = ("active", "district")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(m.PolicyVersion)
class PolicyVersionAdmin(NoDeleteAdmin):
    list_display = ("title", "version", "effective_date")


@admin.register(m.Definition)
class DefinitionAdmin(NoDeleteAdmin):
    list_display = ("term", "section", "policy")
    search_fields = ("term", "text")


@admin.register(m.Platform)
class PlatformAdmin(CatalogAdmin):
    list_display = ("name", "category", "take_it_down_act_covered", "district", "active")
    list_filter = ("category", "take_it_down_act_covered", "active")


@admin.register(m.Resource)
class ResourceAdmin(CatalogAdmin):
    list_display = ("name", "kind", "audience", "phone", "is_placeholder", "district")
    list_filter = ("kind", "audience", "is_placeholder")


@admin.register(m.Measure)
class MeasureAdmin(CatalogAdmin):
    list_display = ("name", "kind", "district", "active")
    list_filter = ("kind", "active")


class TrackAdmin(CatalogAdmin):
    track = None
    exclude = ("track",)

    def __init__(self, model, admin_site):
        # The tracks are proxies of Intervention; simple-history marks only the concrete
        # model, so the history pages of a proxy would fail without this.
        concrete = model._meta.concrete_model._meta
        model._meta.simple_history_manager_attribute = concrete.simple_history_manager_attribute
        super().__init__(model, admin_site)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(track=self.track)

    def save_model(self, request, obj, form, change):
        obj.track = self.track
        super().save_model(request, obj, form, change)


@admin.register(m.StudentIntervention)
class StudentInterventionAdmin(TrackAdmin):
    track = m.Intervention.Track.STUDENT


@admin.register(m.EmployeeCorrectiveAction)
class EmployeeCorrectiveActionAdmin(TrackAdmin):
    track = m.Intervention.Track.EMPLOYEE


@admin.register(m.ReportingObligation)
class ReportingObligationAdmin(CatalogAdmin):
    list_display = ("name", "agency_kind", "trigger", "deadline_hours", "district", "active")
    list_filter = ("agency_kind", "trigger", "active")
