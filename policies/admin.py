"""The admin of the policy catalogs and texts.

Rows without a district are shared by every district (the defaults that ship with the policy):
only the deployment operator adds or changes them. A district's coordinator and IT
(MANAGE_CATALOG) add and change their own district's rows only; a row they add is their
district's whatever the form says. Everyone with the catalog's rights reads the shared rows
and their own district's, never another district's (404). A district's row with the slug of a
shared row replaces it for that district (``CatalogQuerySet.for_district``): that is how a
district changes a shared hotline's number for itself. The policy's texts (definitions,
versions) are shared: the operator alone edits them.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ncii_cases.admin import ScopedAdminMixin
from ncii_cases.models import District
from ncii_cases.permissions import (
    Action,
    catalog_rows_visible_to,
    catalog_rows_where,
    user_can_anywhere,
    user_can_everywhere,
)

from . import models as m


class NoDeleteAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Catalog rows and policy texts are retired (``active``), never deleted: case records
    point at them for years, and a deletion page would list those case records."""

    def has_delete_permission(self, request, obj=None):
        return False


class PolicyTextAdmin(NoDeleteAdmin):
    """Shared texts of the policy: read by the roles that may, written by the operator."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and user_can_everywhere(
            request.user, Action.MANAGE_CATALOG
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and user_can_everywhere(
            request.user, Action.MANAGE_CATALOG
        )


class CatalogAdmin(NoDeleteAdmin):
    """A catalog of shared and district rows (see the module's docstring)."""

    list_display = ("name", "district", "active", "sort_order")
    list_filter = ("active", "district")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return catalog_rows_visible_to(request.user, super().get_queryset(request))

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if user_can_everywhere(request.user, Action.MANAGE_CATALOG):
            return filters
        return tuple(f for f in filters if f != "district")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and user_can_anywhere(
            request.user, Action.MANAGE_CATALOG
        )

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return user_can_anywhere(request.user, Action.MANAGE_CATALOG)
        rows = self.model._default_manager.filter(pk=obj.pk)
        return catalog_rows_where(request.user, Action.MANAGE_CATALOG, rows).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district" and not user_can_everywhere(
            request.user, Action.MANAGE_CATALOG
        ):
            # A district's own rows only: no empty choice (that would be a shared row).
            kwargs["queryset"] = District.objects.filter(pk=request.user.district_id)
            kwargs["required"] = True
            kwargs["empty_label"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not user_can_everywhere(request.user, Action.MANAGE_CATALOG):
            obj.district_id = request.user.district_id
        super().save_model(request, obj, form, change)


@admin.register(m.PolicyVersion)
class PolicyVersionAdmin(PolicyTextAdmin):
    list_display = ("title", "version", "effective_date")


@admin.register(m.Definition)
class DefinitionAdmin(PolicyTextAdmin):
    list_display = ("term", "section", "policy")
    search_fields = ("term", "text")


@admin.register(m.Platform)
class PlatformAdmin(CatalogAdmin):
    list_display = ("name", "category", "take_it_down_act_covered", "district", "active")
    list_filter = ("category", "take_it_down_act_covered", "active", "district")


@admin.register(m.Resource)
class ResourceAdmin(CatalogAdmin):
    list_display = ("name", "kind", "audience", "phone", "is_placeholder", "district")
    list_filter = ("kind", "audience", "is_placeholder", "district")


@admin.register(m.Measure)
class MeasureAdmin(CatalogAdmin):
    list_display = ("name", "kind", "district", "active")
    list_filter = ("kind", "active", "district")


@admin.register(m.AppealGround)
class AppealGroundAdmin(CatalogAdmin):
    list_display = ("name", "legal_basis", "district", "active")


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
    """What each report is and what triggers it; which ones a district makes and in how many
    hours is its reporting profile's (below)."""

    list_display = ("name", "agency_kind", "trigger", "district", "active")
    list_filter = ("agency_kind", "trigger", "active", "district")


class ReportingProfileLineInline(admin.TabularInline):
    """The obligations of a profile, with their deadlines. Editable by whoever may change the
    profile; the obligations offered are those that apply to the profile's district."""

    model = m.ReportingProfileLine
    extra = 0
    fields = (
        "obligation",
        "active",
        "deadline_hours",
        "two_step",
        "oral_deadline_hours",
        "legal_basis",
    )

    def _may_change(self, request, obj):
        return self.admin_site._registry[m.ReportingProfile].has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return obj is None or self._may_change(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None or self._may_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A line is retired (unchecked), never deleted: the history shows what applied when.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "obligation":
            district = None
            if not user_can_everywhere(request.user, Action.MANAGE_CATALOG):
                district = District.objects.filter(pk=request.user.district_id).first()
            kwargs["queryset"] = m.ReportingObligation.objects.for_district(district)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(m.ReportingProfile)
class ReportingProfileAdmin(CatalogAdmin):
    """A district's reporting profile: its coordinator and IT (MANAGE_CATALOG) change their
    own district's; the operator the generic default and every district's. A district with no
    profile of its own uses the generic default until it adds one."""

    list_display = ("name", "district")
    list_filter = ("district",)
    search_fields = ("name", "legal_basis")
    prepopulated_fields = {}
    inlines = [ReportingProfileLineInline]
