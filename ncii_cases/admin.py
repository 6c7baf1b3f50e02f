"""The admin: accounts and settings for district IT and the deployment operator, roles for the
coordinator, and a permission-scoped, read-only view of cases.

Every admin here is scoped by ``permissions``' faces, for every view that names a row (change
list, change, add, history, history version, password, delete, actions, autocomplete): a row
outside the user's scope does not exist for them (404, never 403 and never 200), and a user
without a model's rights gets 403 whatever the id. Case-data admins show only the cases
``permissions.cases_visible_to`` allows, so superuser status alone reveals no case content.
Audit rows (events, access log) are read-only. Reverting from history is disabled everywhere
(``SIMPLE_HISTORY_REVERT_DISABLED`` hides the button; ``ScopedAdminMixin`` refuses the POST,
which simple-history would otherwise still save, bypassing ``save_related``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import logout
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from ncii_cases.selectors.audit import access_path_shown, audit_content_visible, user_may_audit
from policies.services import reporting_profile_copy_for_district

from . import models as m
from .access_log import access_case, access_record, client_ip
from .audit import access_event_record
from .filters import SEARCH_TERM_MAX_CHARS
from .permissions import (
    Action,
    account_email_may_change,
    account_email_may_confirm,
    account_reads_cases,
    accounts_where,
    cases_visible_to,
    districts_where,
    roles_assignable,
    schools_where,
    user_can_anywhere,
    user_can_everywhere,
)
from .roles import role_change_record
from .services.accounts import user_sessions_end
from .services.two_factor import (
    enrollment_address_unconfirmed,
    reset_needs_second_person,
    second_factor_reset_request,
)


class SearchTermLimitMixin:
    """Every admin list's search box takes at most ``SEARCH_TERM_MAX_CHARS`` characters, as
    the queue's does: a longer term lists nothing and says why (SQLite cannot match a pattern
    of tens of thousands of characters, which was a 500). Every admin of the project has it
    (``ScopedAdminMixin``), and so does every other registered admin with a search box
    (``search_limit_everywhere``, at the end of this module)."""

    def get_search_results(self, request, queryset, search_term):
        # A term longer than anyone types is refused with a message, not matched (SQLite
        # cannot match a pattern of tens of thousands of characters: a 500).
        if len(search_term) > SEARCH_TERM_MAX_CHARS:
            match = getattr(request, "resolver_match", None)
            if match is not None and match.url_name == "autocomplete":
                return queryset.none(), False  # (JSON: a message would show on the next page)
            self.message_user(
                request,
                _(
                    "Search for at most %(limit)d characters (you entered %(length)d). Nothing "
                    "is listed for this search."
                )
                % {"limit": SEARCH_TERM_MAX_CHARS, "length": len(search_term)},
                level=messages.ERROR,
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


def own_session_end_if_ended(request, accounts) -> None:
    """Signs the request out (``logout``) when what it just did ended the sessions of the
    account signed in (IT resetting its own second factor, or deactivating itself): its
    session row is gone, and the session middleware's save would answer 400 "session
    deleted" after a change that worked. The admin's message is kept; the next page is the
    sign-in page. ``accounts``: the accounts changed; one query, and only when the account
    signed in is one of them."""
    if request.user.pk not in {account.pk for account in accounts}:
        return
    key = request.session.session_key
    if key is None or not m.AccountSession.objects.filter(session_key=key).exists():
        logout(request)


class ScopedAdminMixin(SearchTermLimitMixin):
    """For every admin of the project: the rows of ``get_queryset`` are all the user may
    reach. A row outside them answers 404 on every view that names it (the admin's own
    "does not exist" redirect, and simple-history's rebuild of a hidden row from its
    history, would tell that it exists or show it); a user without the model's rights gets
    403 whatever the id. Reverting from history is refused: a revert would write the row
    back without the checks and records of the change form (roles, district, sessions)."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404("No such record.")

    def _row_visible(self, request, object_id):
        try:
            return self.get_queryset(request).filter(pk=unquote(object_id)).first()
        except (ValueError, TypeError, ValidationError):
            return None

    def _visible_or_404(self, request, object_id):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = self._row_visible(request, object_id)
        if row is None:
            raise Http404("No such record.")
        return row

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("Reverting from history is disabled.")
        # A past version is shown, never edited: every field read-only, so that no choice
        # list (of every district's rows) is rendered either.
        request._ncii_history_version = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if getattr(request, "_ncii_history_version", False):
            # Every field of the form, except those left out of it and the text boxes of a
            # prepopulated slug and its sources (simple-history's page needs them; nothing
            # posted there is saved).
            opts = self.model._meta
            prepopulated = [
                name
                for key, sources in self.prepopulated_fields.items()
                for name in (key, *sources)
            ]
            skip = {*(self.exclude or ()), *prepopulated, *fields}
            fields += [
                f.name
                for f in (*opts.concrete_fields, *opts.many_to_many)
                if f.editable and f.name not in skip
            ]
        return fields

    def revert_disabled(self, request, obj=None):
        return True


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
    """Shown, never added, changed or deleted here (case data, audit rows, role groups). Case
    data changes only through the application's services and screens, which check the user's
    action on the case, follow the workflow and record a ``CaseEvent`` (who, when, what, why);
    an admin form would do none of that. Assignments, for example, change only through
    ``case_assign`` and ``case_unassign``, which grant and revoke the per-case rights."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccessLoggedAdminMixin:
    """Every admin page that can show case content is access-logged like the case pages: one
    ``AccessEvent`` per request, allowed or refused; a refusal links no case. Goes with
    ``ScopedAdminMixin`` (which finds the row)."""

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
    AccessLoggedAdminMixin,
    ReadOnlyAdminMixin,
    CaseChoicesMixin,
    ScopedAdminMixin,
    SimpleHistoryAdmin,
):
    """The admin of case data: a read-only view of the rows the user may see, access-logged.
    History pages only for rows the user may see (``ScopedAdminMixin``)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self._logged(
            request,
            "history_version",
            lambda: ScopedAdminMixin.history_form_view(
                self, request, object_id, version_id, extra_context
            ),
            object_id,
        )


# --- Accounts, districts, schools ------------------------------------------------------------


def _is_operator(user) -> bool:
    """The deployment operator: rights over every district (``permissions``)."""
    return user_can_everywhere(user, Action.MANAGE_ACCOUNTS)


def _in(queryset, obj) -> bool:
    return obj is not None and queryset.filter(pk=obj.pk).exists()


class DistrictFilterMixin:
    """The "district" list filter names every district: only the operator gets it."""

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if _is_operator(request.user):
            return filters
        return tuple(f for f in filters if f != "district")


class AccountChangeForm(UserChangeForm):
    """An account's form: the schools it serves must be of its district. For whoever may
    vouch for the account's address (``permissions.account_email_may_confirm``: a
    coordinator, the operator) it carries "The e-mail address above is this person's own",
    which must be ticked to give a role that reads case records to an account that read none:
    the address was chosen by district IT (or a roster, a sign-on provider), and the account's
    authenticator set-up link is about to go there."""

    email_confirm = forms.BooleanField(
        label=gettext_lazy("The e-mail address above is this person's own"),
        required=False,
        help_text=gettext_lazy(
            "Set-up links for the account's authenticator app go to this address. Before "
            "giving a role that reads case records, check that the address is the person's "
            "own school address (correct it above if not) and tick this box. An account that "
            "reads cases is sent no set-up link until its address is confirmed."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        self._read_only_changes_refuse()
        district = cleaned.get("district", self.instance.district)
        schools = cleaned.get("schools")
        if schools is not None and any(
            s.district_id != getattr(district, "pk", None) for s in schools
        ):
            raise ValidationError(
                _(
                    "An account can serve only schools of its own district. Choose schools of the "
                    "account's district."
                )
            )
        email = cleaned.get("email", self.instance.email)
        if "email_confirm" in self.fields and email and cleaned.get("email_confirm"):
            other = (
                m.User.objects.filter(email__iexact=email.strip())
                .exclude(pk=self.instance.pk)
                .first()
            )
            if other is not None:
                # The address another account gets its links at (IT's own, for example) is
                # not this person's own: vouching for it would hand this account to them.
                self.add_error(
                    "email_confirm",
                    _(
                        "%(email)s is also the address of the account %(other)s, so it cannot be "
                        "confirmed as this person's own: set-up links must reach this person "
                        "alone. Enter the person's own address."
                    )
                    % {"email": email, "other": other.get_username()},
                )
        if (
            "email_confirm" in self.fields
            and email
            and not cleaned.get("email_confirm")
            and self._gives_case_access(cleaned)
        ):
            self.add_error(
                "email_confirm",
                _(
                    "This role reads case records, so the account's authenticator set-up "
                    "link will go to %(email)s. Check that it is this person's own address "
                    "(correct it above if not), then tick the box."
                )
                % {"email": email},
            )
        return cleaned

    def _read_only_changes_refuse(self) -> None:
        """Refuses the whole save when it posts a new address or district that the form
        shows read-only: a form opened before a coordinator gave the account a role (which
        took both from district IT), or a forged field. The field was silently left as it
        was while the rest saved, under "changed successfully"."""
        account = self.instance
        if account.pk is None:
            return
        if "email" not in self.fields and "email" in self.data:
            posted = (self.data.get("email") or "").strip()
            if posted.lower() != (account.email or "").strip().lower():
                self.add_error(
                    None,
                    _(
                        "The e-mail address was not changed, and nothing else was saved: "
                        "this account reads case records, so its address (where its set-up "
                        "links go) is changed only by a Title IX coordinator of its district "
                        "or the deployment operator. The address shown is the one it has; "
                        "save again to keep your other changes."
                    ),
                )
        if "district" not in self.fields and "district" in self.data:
            posted = (self.data.get("district") or "").strip()
            if posted != str(account.district_id or ""):
                self.add_error(
                    None,
                    _(
                        "The district was not changed, and nothing else was saved: an "
                        "account that holds a role moves to another district only by the "
                        "deployment operator. The district shown is the one it has; save "
                        "again to keep your other changes."
                    ),
                )

    def _gives_case_access(self, cleaned) -> bool:
        """Whether the posted role reads case content and the account's role (as saved now,
        not as the form was opened) reads none."""
        account = self.instance  # not yet changed by the posted values during clean()
        posted = m.User(
            role=cleaned.get("role", account.role) or "", is_superuser=account.is_superuser
        )
        return not account_reads_cases(account) and account_reads_cases(posted)


class AddressConfirmedFilter(admin.SimpleListFilter):
    """Accounts by whether a coordinator (or the operator) has confirmed their address:
    those that read cases and are not confirmed get no set-up link."""

    title = gettext_lazy("address confirmed")
    parameter_name = "address_confirmed"

    def lookups(self, request, model_admin):
        return (
            ("yes", _("Yes")),
            ("no", _("No")),
            ("held", _("No, and reads cases (no set-up link)")),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.filter(email_confirmed_at__isnull=False)
        if value == "no":
            return queryset.filter(email_confirmed_at__isnull=True)
        if value == "held":
            return queryset.filter(
                email_confirmed_at__isnull=True, role__in=roles_assignable(), is_superuser=False
            )
        return queryset


@admin.register(m.User)
class UserAdmin(DistrictFilterMixin, ScopedAdminMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    """Accounts. District IT (MANAGE_ACCOUNTS) creates its district's accounts, resets their
    passwords, activates and deactivates them; the role and schools of an account are set by
    a coordinator of its district (MANAGE_ROLES), who may change nothing else here. The
    deployment operator does both for every district. Nobody reaches another district's
    accounts (404). Superuser status and model-wide rights are never set here
    (``createsuperuser`` on the server makes an operator; groups mirror the role). Every
    change of role, schools or district is in the access log as ``role_change``
    (``roles.py``), and a refused attempt too."""

    form = AccountChangeForm
    add_form = AdminUserCreationForm
    list_display = ("username", "first_name", "last_name", "district", "role", "is_active")
    list_filter = ("district", "role", "is_active", AddressConfirmedFilter)
    filter_horizontal = ("schools",)
    account_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email", "title")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("District and role", {"fields": ("district", "role", "schools")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    coordinator_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email", "district")}),
        ("Role", {"fields": ("role", "schools")}),
    )

    def get_queryset(self, request):
        user = request.user
        reach = accounts_where(user, Action.MANAGE_ACCOUNTS) | accounts_where(
            user, Action.MANAGE_ROLES
        )
        return super().get_queryset(request).filter(pk__in=reach.values("pk"))

    def may_manage_account(self, request, obj) -> bool:
        """District IT for an account of its district; the operator for any."""
        return _in(accounts_where(request.user, Action.MANAGE_ACCOUNTS), obj)

    def may_assign_roles(self, request, obj) -> bool:
        """A coordinator for another account of their own district; the operator."""
        return (
            obj is not None
            and obj.pk != request.user.pk
            and _in(accounts_where(request.user, Action.MANAGE_ROLES), obj)
        )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and user_can_anywhere(
            request.user, Action.MANAGE_ACCOUNTS
        )

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return (
            obj is None
            or self.may_manage_account(request, obj)
            or self.may_assign_roles(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: the audit record names them, and the
        # deletion page would list the cases they hold rights on.
        return False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = ["username", "usable_password", "password1", "password2"]
            if _is_operator(request.user):
                fields.append("district")
            return ((None, {"classes": ("wide",), "fields": fields}),)
        fieldsets = (
            self.account_fieldsets
            if self.may_manage_account(request, obj)
            else self.coordinator_fieldsets
        )
        # The address's confirmation beside the address: its state for everyone, the box
        # for whoever may vouch for it.
        after_email = ["address_confirmation"]
        if account_email_may_confirm(request.user, obj):
            after_email.append("email_confirm")
        return tuple(
            (
                name,
                {
                    **options,
                    "fields": tuple(
                        f
                        for field in options["fields"]
                        for f in ([field, *after_email] if field == "email" else [field])
                    ),
                },
            )
            for name, options in fieldsets
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and not account_email_may_confirm(request.user, obj):
            # A declared field is in every form the admin builds: out for whoever may not
            # vouch (a posted box would change nothing anyway: the save signal checks).
            form.base_fields.pop("email_confirm", None)
        return form

    @admin.display(description=gettext_lazy("Address confirmed"))
    def address_confirmation(self, obj):
        """Who vouched for the account's address and when, or that nobody has."""
        if obj.email_confirmed_at is None:
            if account_reads_cases(obj):
                return _(
                    "Not confirmed: no set-up link is sent to this address until a coordinator "
                    "confirms it."
                )
            return _("Not confirmed (needed once the account is given a role that reads cases)")
        when = date_format(timezone.localtime(obj.email_confirmed_at), "DATETIME_FORMAT")
        if obj.email_confirmed_by_id is None:
            return _("Confirmed on the server's command line, %(when)s") % {"when": when}
        return _("Confirmed by %(who)s, %(when)s") % {"who": obj.email_confirmed_by, "when": when}

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fields = [*super().get_readonly_fields(request, obj), "is_superuser"]
        fields += ["last_login", "date_joined", "address_confirmation"]
        if not self.may_manage_account(request, obj):
            fields += ["username", "first_name", "last_name", "district"]
        elif not _is_operator(request.user) and (obj.role or obj.pk == request.user.pk):
            # District IT places a new account in its district; the operator alone moves an
            # account that holds a role to another district.
            fields.append("district")
        if not self.may_assign_roles(request, obj):
            fields += ["role", "schools"]
        if not account_email_may_change(request.user, obj):
            # Where the account's set-up links go: not district IT's to choose for an
            # account that reads case content (``permissions.account_email_may_change``).
            fields.append("email")
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district":
            kwargs["queryset"] = districts_where(request.user, Action.MANAGE_ACCOUNTS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "schools":
            kwargs["queryset"] = schools_where(request.user, Action.MANAGE_ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        # Passwords are district IT's (and the operator's): a coordinator manages roles, not
        # credentials. Another district's account does not exist here.
        if not self.has_change_permission(request):
            raise PermissionDenied
        account = self._row_visible(request, id)
        if account is None:
            raise Http404("No such record.")
        if not self.may_manage_account(request, account):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
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
            obj = self._row_visible(request, object_id)
            if obj is not None and not self.may_assign_roles(request, obj):
                self._refused_role_change_record(request, obj)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _refused_role_change_record(self, request, obj):
        """Logs a posted change of role or schools by someone who may not make it (the form
        ignores read-only fields, so the change itself never happens)."""
        before = {
            "role": str(obj.role or ""),
            "schools": sorted(obj.schools.values_list("pk", flat=True)),
        }
        posted = {
            "role": request.POST.get("role", before["role"]),
            "schools": sorted(int(pk) for pk in request.POST.getlist("schools") if pk.isdigit())
            if "schools" in request.POST
            else before["schools"],
        }
        if posted != before:
            role_change_record(
                account=obj, actor=request.user, before=before, after=posted, allowed=False
            )

    def save_model(self, request, obj, form, change):
        if not change and not _is_operator(request.user):
            obj.district_id = request.user.district_id  # district IT adds to its district
        obj._ncii_actor = request.user
        if change and form.cleaned_data.get("email_confirm"):
            obj._ncii_email_confirm = True  # the save signal checks who ticked it
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # A deactivated account is signed out everywhere at once.
            user_sessions_end(user=obj)

    def response_change(self, request, obj):
        # After the admin logged the change under the user: a deactivation of oneself ended
        # this request's session too.
        response = super().response_change(request, obj)
        own_session_end_if_ended(request, [obj])
        return response


class DistrictRowMixin:
    """A row that belongs to a district (a school, a calendar entry, a sign-on provider): the
    "district" field offers the districts where the user manages settings, and a row saved
    by anyone but the operator is placed in the user's own district."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district":
            kwargs["queryset"] = districts_where(request.user, Action.MANAGE_SETTINGS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not _is_operator(request.user):
            obj.district_id = request.user.district_id
        super().save_model(request, obj, form, change)


class SettingsAdmin(DistrictFilterMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """A district's settings and schools: its IT (MANAGE_SETTINGS) changes them, its
    coordinator reads them; the operator reaches every district's. Never deleted: the
    deletion page would list every case of the district (and cases are kept 7 years).

    A subclass names ``district_lookup``, the lookup from a row to its district's pk (a
    non-operator sees their own district's rows only), and ``changeable_where``, the
    ``permissions`` function giving the rows a user may change with MANAGE_SETTINGS."""

    district_lookup: str
    changeable_where: staticmethod

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_operator(request.user):
            return qs
        return qs.filter(**{self.district_lookup: request.user.district_id})

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or _in(self.changeable_where(request.user, Action.MANAGE_SETTINGS), obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.District)
class DistrictAdmin(SettingsAdmin):
    """District IT edits its own district's row only and creates no district; the operator
    creates and edits every district."""

    list_display = ("name", "state", "reference_prefix")
    district_lookup = "pk"
    changeable_where = staticmethod(districts_where)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and user_can_everywhere(
            request.user, Action.MANAGE_SETTINGS
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # A new district starts from the generic reporting profile, as its own copy.
            reporting_profile_copy_for_district(district=obj)


@admin.register(m.School)
class SchoolAdmin(DistrictRowMixin, SettingsAdmin):
    """District IT adds and edits its district's schools; it can move no school into or out
    of its district (the operator alone can)."""

    list_display = ("name", "district", "code", "grades")
    list_filter = ("district",)
    district_lookup = "district_id"
    changeable_where = staticmethod(schools_where)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and user_can_anywhere(
            request.user, Action.MANAGE_SETTINGS
        )


@admin.register(m.SchoolCalendarEntry)
class SchoolCalendarEntryAdmin(
    DistrictRowMixin, DistrictFilterMixin, ScopedAdminMixin, SimpleHistoryAdmin
):
    """Days without school and make-up days of a district or one of its schools
    (docs/clocks.md): the district's IT (MANAGE_SETTINGS) keeps its own district's calendar,
    the operator every district's. Whole calendars are imported from iCalendar files with
    ``manage.py calendar_import PATH --district SLUG``."""

    list_display = ("name", "district", "school", "kind", "starts_on", "ends_on", "source")
    list_filter = ("district", "kind", "source")
    date_hierarchy = "starts_on"
    search_fields = ("name",)

    def get_queryset(self, request):
        districts = districts_where(request.user, Action.MANAGE_SETTINGS)
        qs = super().get_queryset(request).select_related("district", "school")
        return qs.filter(district__in=districts.values("pk"))

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or _in(self.get_queryset(request), obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or _in(self.get_queryset(request), obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "school":
            kwargs["queryset"] = schools_where(request.user, Action.MANAGE_SETTINGS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Groups only mirror each role's model-wide rights, set from the code (``roles.roles_sync``):
# nobody adds, renames, re-permissions or deletes them here, the operator included.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, DjangoGroupAdmin):
    """Read-only: roles are code (``choices.Role``, ``roles.ROLE_PERMISSIONS``)."""


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
    # Only the schools of the listed cases: a plain filter would name every district's schools.
    list_filter = (
        "stage",
        "priority",
        "ncii_kind",
        "process",
        ("school", admin.RelatedOnlyFieldListFilter),
    )
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


for model, display, *extra in [
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
            {"list_display": display, **(extra[0] if extra else {})},
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


class AppendOnlyAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Audit rows can be read, never added, changed or deleted from any screen."""


@admin.register(m.CaseEvent)
class CaseEventAdmin(AccessLoggedAdminMixin, AppendOnlyAdmin):
    list_display = ("created_at", "case", "event_type", "from_stage", "to_stage", "actor")
    list_filter = ("event_type",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(case__in=cases_visible_to(request.user))


@admin.register(m.AccessEvent)
class AccessEventAdmin(AppendOnlyAdmin):
    """The access log, for the district's auditors and coordinator: the district's entries and
    the installation-level ones (no district: sign-in attempts naming no account, and what an
    account without a district did that named no district's data). Paths are shown masked the
    way the audit review masks them (``selectors_audit.access_path_shown``): a search's terms
    can be students' names."""

    list_filter = ("allowed", "action")
    FIELDS = (
        "created_at",
        "username",
        "scope",
        "case",
        "action",
        "PATH",
        "method",
        "allowed",
        "ip_address",
        "user_agent",
        "row_hash",
    )

    def _path_column(self, request):
        """The path as this reader may see it: one callable per request (the admin object is
        shared by every request, so the reader cannot be kept on it)."""
        column = getattr(request, "_ncii_access_path_column", None)
        if column is None:
            show_content = audit_content_visible(request.user)

            def path(obj):
                return access_path_shown(obj.path, show_content=show_content)

            path.short_description = "path"
            column = request._ncii_access_path_column = path
        return column

    def _with_path(self, request, names):
        return [self._path_column(request) if n == "PATH" else n for n in names]

    def get_list_display(self, request):
        names = ("created_at", "username", "action", "PATH", "allowed", "ip_address", "scope")
        return self._with_path(request, names)

    def get_fields(self, request, obj=None):
        return self._with_path(request, self.FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return self._with_path(request, self.FIELDS)

    def get_queryset(self, request):
        # The same readers as the access-log page: auditors and the coordinator, never IT.
        qs = super().get_queryset(request).select_related("case")
        if not user_may_audit(request.user) or not request.user.district_id:
            return qs.none()
        return qs.filter(Q(district_id=request.user.district_id) | Q(district__isnull=True))

    def lookup_allowed(self, lookup, value, request=None):
        # Filtering on the raw path (?path__contains=...) would tell masked search terms.
        if lookup.split("__")[0] in ("path", "user_agent", "prev_hash", "row_hash"):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="scope")
    def scope(self, obj):
        return "district" if obj.district_id else "installation-level"


# Two-factor devices: IT can see who has which device and reset a lost one, but never read a
# secret key, a QR code or a recovery code (that would let IT sign in as someone else).
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class DeviceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Second-factor devices of the accounts the user manages (MANAGE_ACCOUNTS): district IT,
    its own district's; the operator, every district's. A device is never deleted here
    directly: "Reset second factor" asks ``second_factor_reset_request``, which removes the
    account's authenticator and recovery codes and e-mails the owner a one-time set-up link,
    or, for a coordinator or a superuser, waits for a second person's approval. Nobody who
    resets it can enroll in the owner's place."""

    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    fields = ("user", "name", "confirmed")
    readonly_fields = ("user", "name", "confirmed")
    actions = ["reset_second_factor"]
    # The "delete" page says what the reset does (not Django's "delete ... related items").
    delete_confirmation_template = "admin/second_factor_reset_confirmation.html"
    # ... and the device's page names its one action the reset (not "Delete").
    change_form_template = "admin/second_factor_device_view.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        accounts = accounts_where(request.user, Action.MANAGE_ACCOUNTS)
        qs = super().get_queryset(request).select_related("user")
        return qs.filter(user__in=accounts.values("pk"))

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or _in(self.get_queryset(request), obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _reset(self, request, account):
        def record(action, allowed, district_id):
            access_event_record(
                user=request.user,
                action=action,
                path=f"{request.path} account={account.pk}",
                district_id=district_id,
                method=request.method,
                allowed=allowed,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )

        try:
            reset = second_factor_reset_request(
                actor=request.user,
                user=account,
                reason="Asked in the admin",
                base_url=request.build_absolute_uri("/"),
                record=record,
            )
        except ValueError as error:
            self.message_user(request, str(error), level=messages.WARNING)
            return
        if reset.status == m.SecondFactorReset.Status.PENDING:
            self.message_user(
                request,
                f"The reset of {account.get_username()}'s second factor waits for a second "
                "person: another coordinator of the district or the deployment operator approves "
                "it on the page Second-factor resets. Nothing changed yet.",
                level=messages.WARNING,
            )
        elif account.pk == request.user.pk:
            # IT's own authenticator: the reset also signed this browser out
            # (``own_session_end_if_ended``); the message is read on the sign-in page.
            self.message_user(
                request,
                "Your second factor was removed and you were signed out. Sign in again and "
                "set up a new authenticator; the e-mail sent to you says how.",
            )
        elif enrollment_address_unconfirmed(account):
            self.message_user(
                request,
                f"{account.get_username()}'s second factor was removed and they were told by "
                "e-mail. No set-up link was sent: the account reads cases and no coordinator has "
                "confirmed its e-mail address. Ask a coordinator to confirm it on the account; "
                "the owner then asks for a link when signing in.",
                level=messages.WARNING,
            )
        else:
            self.message_user(
                request,
                f"{account.get_username()}'s second factor was removed; they were told by e-mail "
                "and sent a link to set up a new one.",
            )

    @admin.action(description="Reset second factor (the owner sets up a new one by e-mail link)")
    def reset_second_factor(self, request, queryset):
        accounts = {device.user for device in queryset}
        for account in accounts:
            self._reset(request, account)
        own_session_end_if_ended(request, accounts)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        allowed = obj is not None and self.has_delete_permission(request, obj)
        if request.method == "POST" and allowed:
            self._reset(request, obj.user)
            own_session_end_if_ended(request, [obj.user])
            return redirect(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
        if obj is None and self.has_delete_permission(request):
            # A second click of "Yes", the browser's Back to the confirmation, or another tab,
            # after the reset removed the device: the list, with what is there now, instead of
            # a 404 after a reset that worked. The same answer for an id never in the user's
            # list, so it tells nothing of it.
            self.message_user(
                request,
                "That authenticator is not in your list: it may have been removed already (a "
                "second click, or another tab). Nothing more was done; the list shows the "
                "authenticators there are now.",
                level=messages.WARNING,
            )
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if obj is not None:
            extra_context = {
                **(extra_context or {}),
                "title": f"Reset {obj.user.get_username()}'s second factor?",
                # A coordinator's (or a superuser's) reset waits for a second person.
                "reset_waits": reset_needs_second_person(obj.user),
                # No set-up link to an address nobody confirmed, or to none.
                "sends_link": bool(obj.user.email) and not enrollment_address_unconfirmed(obj.user),
            }
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        self._reset(request, obj.user)

    def delete_queryset(self, request, queryset):
        self.reset_second_factor(request, queryset)


admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)


# --- Single sign-on (docs/sso.md) ------------------------------------------------------------


SSO_PROVIDER_FIELDS = (
    "district",
    "name",
    "slug",
    "kind",
    "issuer",
    "client_id",
    "client_secret",
    "client_secret_env",
    "allowed_domains",
    "scopes",
    "enabled",
    "create_accounts",
    "link_by_email",
    "trust_provider_mfa",
)


class SsoProviderForm(forms.ModelForm):
    """A provider's form: the client secret is typed in, never shown back; left empty, the
    saved secret stays."""

    issuer = forms.URLField(
        max_length=300,
        assume_scheme="https",
        help_text=m.SsoProvider._meta.get_field("issuer").help_text,
    )
    client_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=m.SsoProvider._meta.get_field("client_secret").help_text,
    )

    class Meta:
        model = m.SsoProvider
        fields = SSO_PROVIDER_FIELDS

    def clean_client_secret(self):
        typed = self.cleaned_data.get("client_secret") or ""
        return typed or (self.instance.client_secret if self.instance.pk else "")

    def clean(self):
        cleaned = super().clean()
        has_secret = cleaned.get("client_secret") or cleaned.get("client_secret_env")
        if not has_secret:
            raise ValidationError(
                _(
                    "Enter the client secret the provider gave, or the name of an environment "
                    "variable that holds it."
                )
            )
        return cleaned


@admin.register(m.SsoProvider)
class SsoProviderAdmin(DistrictRowMixin, DistrictFilterMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """A district's single sign-on providers: its IT (MANAGE_SETTINGS) adds and changes its
    own district's, the operator every district's. Never deleted (accounts are linked to it):
    switched off with "enabled". The client secret is never shown, not even in history."""

    form = SsoProviderForm
    fields = SSO_PROVIDER_FIELDS

    @method_decorator(sensitive_post_parameters("client_secret"))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    list_display = ("name", "district", "kind", "issuer", "enabled", "trust_provider_mfa")
    list_filter = ("district", "kind", "enabled")

    def get_queryset(self, request):
        districts = districts_where(request.user, Action.MANAGE_SETTINGS)
        qs = super().get_queryset(request).select_related("district")
        return qs.filter(district__in=districts.values("pk"))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if getattr(request, "_ncii_history_version", False):
            return [f for f in fields if f != "client_secret"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "client_secret"]

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or _in(self.get_queryset(request), obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.SsoIdentity)
class SsoIdentityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Links of accounts to a provider's person, for the accounts the user manages
    (MANAGE_ACCOUNTS). Made only by signing in; removed here when a link is wrong (the person
    then signs in again and is linked or refused by the district's rules)."""

    list_display = ("user", "provider", "email", "how_linked", "created_at", "last_sign_in_at")
    fields = ("user", "provider", "issuer", "subject", "email", "how_linked", "last_sign_in_at")
    readonly_fields = fields

    def get_queryset(self, request):
        accounts = accounts_where(request.user, Action.MANAGE_ACCOUNTS)
        qs = super().get_queryset(request).select_related("user", "provider")
        return qs.filter(user__in=accounts.values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or _in(self.get_queryset(request), obj)

    def delete_model(self, request, obj):
        access_event_record(
            user=request.user,
            action="sso_link_removed",
            path=f"{request.path} account={obj.user_id}",
            method=request.method,
            allowed=True,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            district_id=obj.user.district_id,
        )
        super().delete_model(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def search_limit_everywhere(site=admin.site) -> list[str]:
    """Gives ``SearchTermLimitMixin`` to every registered admin with a search box that lacks
    it (the sign-in lockouts' lists of django-axes, for example), by registering a subclass
    in its place; returns the models changed, as "app_label.model". The apps listed after
    this one in INSTALLED_APPS register no admin with a search box (a test checks every list
    of the site)."""
    changed = []
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, SearchTermLimitMixin) or not model_admin.search_fields:
            continue
        limited = type(
            f"Limited{type(model_admin).__name__}", (SearchTermLimitMixin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, limited)
        changed.append(model._meta.label_lower)
    return changed


search_limit_everywhere()
