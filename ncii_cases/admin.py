"""The admin: accounts and settings for IT, and a permission-scoped view of cases.

Case-data admins show only the cases ``permissions.cases_visible_to`` allows, so superuser
status alone reveals no case content. Audit rows (events, access log) are read-only.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from . import models as m
from .access_log import access_case, access_record, client_ip
from .audit import access_event_record
from .choices import Role
from .permissions import cases_visible_to, user_role
from .selectors_audit import user_may_audit
from .services.accounts import user_sessions_end


def case_scoped_queryset(request, model):
    """The rows of ``model`` a choice list in the admin may offer: cases the user may see and
    the records of those cases; None for models that hold no case data."""
    visible = cases_visible_to(request.user)
    if model is m.Case:
        return visible
    if model is m.Person:
        return m.Person.objects.filter(case_parties__case__in=visible).distinct()
    if model is m.EvidenceItem or any(
        f.name == "case" and f.related_model is m.Case for f in model._meta.fields
    ):
        return model.objects.filter(case__in=visible)
    return None


class CaseChoicesMixin:
    """Choice lists of cases, people and case records offer only what the user may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = case_scoped_queryset(request, db_field.related_model)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """Shown, never written here. Case data changes only through the application's services
    and screens, which check the user's action on the case, follow the workflow and record a
    ``CaseEvent`` (who, when, what, why); an admin form would do none of that. Assignments,
    for example, change only through ``case_assign`` and ``case_unassign``, which grant and
    revoke the per-case rights."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccessLoggedAdminMixin:
    """Every admin page that can show case content is access-logged like the case pages: one
    ``AccessEvent`` per request, allowed or refused; a refusal links no case."""

    def _case_of(self, obj):
        """The case a row belongs to, or None (a person may be in several cases)."""
        if isinstance(obj, m.Case):
            return obj
        path = getattr(self, "case_path", None)
        if path is None:
            return getattr(obj, "case", None) if hasattr(obj, "case_id") else None
        for name in path.split("__"):
            obj = getattr(obj, name, None)
        return obj

    def _row_visible(self, request, object_id):
        try:
            return self.get_queryset(request).filter(pk=unquote(object_id)).first()
        except (ValueError, TypeError, ValidationError):
            return None

    def _logged(self, request, kind, view, object_id=None):
        action = f"admin_{self.model._meta.model_name}_{kind}"
        row = None if object_id is None else self._row_visible(request, object_id)
        try:
            response = view()
        except Exception:
            access_record(request, action=action, allowed=False)
            raise
        allowed = 200 <= response.status_code < 300 and (object_id is None or row is not None)
        if allowed and row is not None:
            case = self._case_of(row)
            if case is not None:
                access_case(request, case)
        access_record(request, action=action, allowed=allowed)
        return response

    def changelist_view(self, request, extra_context=None):
        return self._logged(
            request,
            "list",
            lambda: super(AccessLoggedAdminMixin, self).changelist_view(request, extra_context),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._logged(
            request,
            "change",
            lambda: super(AccessLoggedAdminMixin, self).change_view(
                request, object_id, form_url, extra_context
            ),
            object_id,
        )

    def history_view(self, request, object_id, extra_context=None):
        return self._logged(
            request,
            "history",
            lambda: super(AccessLoggedAdminMixin, self).history_view(
                request, object_id, extra_context
            ),
            object_id,
        )


class ScopedHistoryAdmin(
    AccessLoggedAdminMixin, ReadOnlyAdminMixin, CaseChoicesMixin, SimpleHistoryAdmin
):
    """The admin of case data: a read-only view of the rows the user may see, access-logged.

    History pages only for rows the user may see: simple-history would otherwise rebuild a
    hidden row from its history (narrative included) when the queryset leaves it out."""

    def _visible_or_404(self, request, object_id):
        if self._row_visible(request, object_id) is None:
            raise Http404("No such record.")

    def history_view(self, request, object_id, extra_context=None):
        def view():
            self._visible_or_404(request, object_id)
            return SimpleHistoryAdmin.history_view(self, request, object_id, extra_context)

        return self._logged(request, "history", view, object_id)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        def view():
            self._visible_or_404(request, object_id)
            return super(ScopedHistoryAdmin, self).history_form_view(
                request, object_id, version_id, extra_context
            )

        return self._logged(request, "history_version", view, object_id)


# Fields of an account that decide what it may read. Only a coordinator of the account's
# district changes its role and schools; nobody changes superuser status or model-wide rights
# in the admin (``createsuperuser`` on the server makes an IT superuser).
ROLE_FIELDS = ("groups", "schools")
ADMIN_ONLY_FIELDS = ("is_superuser", "user_permissions")


def _is_coordinator(user) -> bool:
    return user_role(user) == Role.COORDINATOR.value and user.district_id is not None


def _account_roles(user) -> dict:
    """What decides an account's reach: district, role groups and schools."""
    if user is None or user.pk is None:
        return {"district": None, "groups": [], "schools": []}
    return {
        "district": user.district_id,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "schools": sorted(user.schools.values_list("pk", flat=True)),
    }


def role_change_record(request, account, before: dict, after: dict, *, allowed: bool):
    """Records a change (or refused attempt) of an account's role, schools or district in the
    access log: who (the signed-in user), when, which account (the path) and what."""
    what = "; ".join(
        f"{key}: {before[key]} -> {after[key]}" for key in before if before[key] != after[key]
    )
    access_event_record(
        user=request.user,
        action="role_change",
        path=f"{request.path} account={account.pk} {what}",
        district_id=account.district_id,
        method=request.method,
        allowed=allowed,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


@admin.register(m.User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    """Accounts. IT creates accounts, resets passwords, activates and deactivates them; the role
    (groups) and schools of an account are set only by a coordinator of its district, who may
    change nothing else here. Every change of role, schools or district is access-logged as
    ``role_change`` (a refused attempt too)."""

    list_display = ("username", "first_name", "last_name", "district", "is_active")
    list_filter = ("district", "groups", "is_active")
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("District", {"fields": ("district", "schools", "title")}),
    )
    filter_horizontal = ("groups", "user_permissions", "schools")
    coordinator_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "district")}),
        ("Role", {"fields": ("groups", "schools")}),
    )

    def may_assign_roles(self, request, obj) -> bool:
        """A coordinator, for another account of their own district."""
        return (
            obj is not None
            and _is_coordinator(request.user)
            and obj.district_id == request.user.district_id
            and obj.pk != request.user.pk
        )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_coordinator(request.user) and not request.user.is_superuser:
            return qs.filter(district_id=request.user.district_id)
        return qs

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not _is_coordinator(request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and _is_coordinator(request.user):
            return self.coordinator_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        if _is_coordinator(request.user):
            fields += ["username", "first_name", "last_name", "district"]
            if not self.may_assign_roles(request, obj):
                fields += list(ROLE_FIELDS)
            return fields
        fields += [*ROLE_FIELDS, *ADMIN_ONLY_FIELDS]
        if obj.groups.exists():
            # IT places a new account in a district; once it holds a role it stays there.
            fields.append("district")
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=[r.value for r in Role])
        elif db_field.name == "schools" and request.user.district_id:
            kwargs["queryset"] = m.School.objects.filter(district_id=request.user.district_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        # Passwords are IT's: a coordinator manages roles, not credentials.
        if _is_coordinator(request.user):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            account = m.User.objects.get(pk=unquote(id))
            access_event_record(
                user=request.user,
                action="password_reset",
                path=request.path,
                method=request.method,
                allowed=True,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                district_id=account.district_id,
            )
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and not self.may_assign_roles(request, obj):
                self._refused_role_change_record(request, obj)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _refused_role_change_record(self, request, obj):
        """Logs a posted change of role or schools by someone who may not make it (the form
        ignores read-only fields, so the change itself never happens)."""
        before = _account_roles(obj)
        posted = {
            "district": before["district"],
            "groups": sorted(
                Group.objects.filter(pk__in=request.POST.getlist("groups")).values_list(
                    "name", flat=True
                )
            )
            if "groups" in request.POST
            else before["groups"],
            "schools": sorted(int(pk) for pk in request.POST.getlist("schools") if pk.isdigit())
            if "schools" in request.POST
            else before["schools"],
        }
        if posted != before:
            role_change_record(request, obj, before, posted, allowed=False)

    def save_model(self, request, obj, form, change):
        previous = m.User.objects.filter(pk=obj.pk).first() if change else None
        request._ncii_roles_before = _account_roles(previous)
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # A deactivated account is signed out everywhere at once.
            user_sessions_end(user=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_ncii_roles_before", _account_roles(None))
        after = _account_roles(obj)
        if before != after:
            role_change_record(request, obj, before, after, allowed=True)

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: the audit record names them, and the
        # deletion page would list the cases they hold rights on.
        return False


@admin.register(m.District)
class DistrictAdmin(SimpleHistoryAdmin):
    list_display = ("name", "state", "reference_prefix")

    def has_delete_permission(self, request, obj=None):
        # Its deletion page would list every case of the district (and it keeps 7 years).
        return False


@admin.register(m.School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ("name", "district", "code", "grades")
    list_filter = ("district",)

    def has_delete_permission(self, request, obj=None):
        return False


class CaseScopedAdmin(ScopedHistoryAdmin):
    """Shows only rows of cases the signed-in user may see."""

    case_path = "case"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(**{f"{self.case_path}__in": cases_visible_to(request.user)})

    def has_module_permission(self, request):
        return super().has_module_permission(request)


class PartyInline(ReadOnlyAdminMixin, CaseChoicesMixin, admin.TabularInline):
    model = m.CaseParty
    extra = 0
    fields = ("role", "person", "description", "affiliation", "is_minor")
    autocomplete_fields = ("person",)


class AssignmentInline(ReadOnlyAdminMixin, CaseChoicesMixin, admin.TabularInline):
    model = m.CaseAssignment
    extra = 0
    fields = ("user", "role", "assigned_at", "ended_at")
    fk_name = "case"


@admin.register(m.Case)
class CaseAdmin(ScopedHistoryAdmin):
    list_display = (
        "reference",
        "school",
        "stage",
        "priority",
        "ncii_kind",
        "process",
        "reported_at",
    )
    list_filter = ("stage", "priority", "ncii_kind", "process", "school")
    search_fields = ("reference", "title")
    list_select_related = ("school",)
    date_hierarchy = "reported_at"
    readonly_fields = ("reference", "stage", "stage_entered_at", "created_by", "created_at")
    filter_horizontal = ("platforms",)
    inlines = [PartyInline, AssignmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=cases_visible_to(request.user))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A case changes school only through case_move_school, which ends the assignments
        # of the old school's staff and records why.
        return (*fields, "district", "school") if obj is not None else fields


@admin.register(m.Person)
class PersonAdmin(ScopedHistoryAdmin):
    list_display = ("last_name", "first_name", "affiliation", "school")
    search_fields = ("last_name", "first_name", "external_id")

    def get_queryset(self, request):
        # People are shown only through cases the user may see.
        visible = cases_visible_to(request.user)
        return super().get_queryset(request).filter(case_parties__case__in=visible).distinct()


for model, display in [
    (m.CaseParty, ("case", "role", "display_name", "affiliation", "is_minor")),
    (m.HarmAssessment, ("case", "level", "completed_at")),
    (m.CaseMeasure, ("case", "kind", "measure", "status", "party_choice", "review_on")),
    (m.ResolutionOffer, ("case", "option", "choice")),
    (m.TakedownRequest, ("case", "platform", "route", "status", "due_at")),
    (m.ExternalReport, ("case", "agency", "status", "due_at", "reference_number")),
    (m.EvidenceItem, ("case", "description", "platform", "device_holder")),
    (m.Determination, ("case", "respondent", "finding", "standard_of_evidence")),
    (m.Sanction, ("case", "respondent", "intervention", "status")),
    (m.PartyNotice, ("case", "kind", "recipient_name", "method", "sent_at")),
]:
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (CaseScopedAdmin,),
            {
                "list_display": display,
            },
        ),
    )


@admin.register(m.SupportingDocument)
class SupportingDocumentAdmin(CaseScopedAdmin):
    """Documents have no URL (their storage refuses one, see ``storage.DocumentStorage``):
    the file widget, which links to the file, is left out; the case page downloads it."""

    list_display = ("case", "title", "content_type", "size", "uploaded_at")
    exclude = ("file",)
    readonly_fields = ("stored_as",)

    @admin.display(description="Stored file")
    def stored_as(self, obj):
        return f"{obj.sha256} (download it from the case page)" if obj and obj.pk else ""


@admin.register(m.CaseAssignment)
class CaseAssignmentAdmin(CaseScopedAdmin):
    list_display = ("case", "user", "role", "assigned_at", "ended_at")


@admin.register(m.CustodyEntry)
class CustodyEntryAdmin(CaseScopedAdmin):
    case_path = "evidence__case"
    list_display = ("evidence", "from_holder", "to_holder", "transferred_at")


class AppendOnlyAdmin(admin.ModelAdmin):
    """Audit rows can be read, never added, changed or deleted from any screen."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.CaseEvent)
class CaseEventAdmin(AccessLoggedAdminMixin, AppendOnlyAdmin):
    list_display = ("created_at", "case", "event_type", "from_stage", "to_stage", "actor")
    list_filter = ("event_type",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(case__in=cases_visible_to(request.user))


@admin.register(m.AccessEvent)
class AccessEventAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "username", "action", "path", "allowed", "ip_address")
    list_filter = ("allowed", "action")

    def get_queryset(self, request):
        # The same readers as the access-log page: auditors and the coordinator, never IT.
        qs = super().get_queryset(request)
        if not user_may_audit(request.user) or not request.user.district_id:
            return qs.none()
        return qs.filter(district_id=request.user.district_id)


# Two-factor devices: IT can see who has which device and remove a lost one, but never read a
# secret key, a QR code or a recovery code (that would let IT sign in as someone else).
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class DeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    fields = ("user", "name", "confirmed")
    readonly_fields = ("user", "name", "confirmed")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        # Removing someone's second factor (then resetting their password) would let the
        # remover enroll as them: never silent, the access log names who and whose device.
        super().delete_model(request, obj)
        access_event_record(
            user=request.user,
            action="device_delete",
            path=f"{request.path} account={obj.user_id}",
            district_id=obj.user.district_id,
            method=request.method,
            allowed=True,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)
