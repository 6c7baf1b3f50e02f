"""The working pages of a case: intake, each workflow step, and one form per record type.

Each view reads like a paragraph: the case through a selector (404 when the user may not
take the page's action on it), a form limited to the case, one service call, a message, and a
redirect to the case page (post/redirect/get). Domain errors become form errors in plain words.
Every page is logged by ``access_logged`` and works without JavaScript.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from policies.selectors import platforms_for_district

from . import choices as c
from . import forms as f
from . import forms_deadlines, selectors
from .access_log import access_case, access_logged
from .errors import GuardFailed, TransitionForbidden, TransitionNotAllowed
from .permissions import Action
from .services import cases as case_services
from .services import deadlines, determinations, evidence, measures, notices, reports, takedowns
from .services.harm import HarmAnswers, harm_assessment_record
from .workflow import BY_ACTION
from .workflow import case_transition as workflow_transition

GET_POST = require_http_methods(["GET", "POST"])
NOTIFICATIONS_DELAYED = (
    "Notifications delayed: the step is saved, but the background service is unavailable "
    "right now. The e-mails to the assigned staff will go out as soon as it is back."
)
FORM_TEMPLATE = "ncii_cases/case_form.html"


def _record_page(
    request,
    pk,
    *,
    actions: tuple[str, ...],
    title: str,
    form_class,
    form_kwargs: Callable = lambda case: {},
    save: Callable,
    success: str,
    anchor: str = "",
    intro: str = "",
):
    """Shows the form of one record type for the case and, on a valid POST, saves it through
    the given service call. The case answers 404 unless the user may take one of ``actions``."""
    case = selectors.case_get_for_user_any(user=request.user, pk=pk, actions=actions)
    access_case(request, case)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = form_class(data, files, initial=request.GET.dict(), **form_kwargs(case))
    if request.method == "POST" and form.is_valid():
        try:
            save(case, form.cleaned_data)
        except (ValidationError, GuardFailed) as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except (TransitionForbidden, TransitionNotAllowed) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, success)
            return redirect(case.get_absolute_url() + (f"#{anchor}" if anchor else ""))
    context = {"case": case, "form": form, "title": title, "intro": intro}
    return render(request, FORM_TEMPLATE, context)


# --- Intake ----------------------------------------------------------------------------------


@access_logged("case_intake")
@login_required
@GET_POST
def intake(request):
    schools = selectors.intake_schools_for_user(user=request.user)
    if not schools.exists():
        raise Http404("No such page.")
    form = f.IntakeForm(
        request.POST or None,
        schools=schools,
        platforms=platforms_for_district(district=request.user.district),
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.case_intake(actor=request.user, **form.intake())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            access_case(request, case)
            messages.success(request, f"The report is recorded as {case.reference}.")
            return redirect(case)
    return render(request, "ncii_cases/intake.html", {"form": form})


# --- Workflow steps --------------------------------------------------------------------------


@access_logged("case_transition")
@login_required
@GET_POST
def transition(request, pk, action):
    case = selectors.case_get_for_user(user=request.user, pk=pk)
    access_case(request, case)
    step = BY_ACTION.get(action)
    if step is None:
        raise Http404("No such step.")
    form = f.TransitionForm(request.POST if request.method == "POST" else None, transition=step)
    problem = selectors.transition_problem_for_user(user=request.user, case=case, action=action)
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            moved = workflow_transition(
                actor=request.user,
                case=case,
                action=action,
                reason=form.cleaned_data.get("reason", ""),
                detail=form.detail(),
            )
        except GuardFailed as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except (TransitionNotAllowed, TransitionForbidden) as exc:
            problem = str(exc)
        else:
            messages.success(request, f"Done: {step.label.lower()}.")
            if moved.notifications_delayed:
                messages.warning(request, NOTIFICATIONS_DELAYED)
            return redirect(case)
    context = {"case": case, "form": form, "step": step, "problem": problem}
    return render(request, "ncii_cases/transition.html", context)


# --- Records ---------------------------------------------------------------------------------


@access_logged("case_facts")
@login_required
@GET_POST
def facts(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.TRIAGE,),
        title="Assessment facts",
        intro="Record what the initial assessment found: the kind of imagery, whether it is "
        "intimate, and whether the district has jurisdiction, with the facts and reasoning.",
        form_class=f.FactsForm,
        form_kwargs=lambda case: {"case": case},
        save=lambda case, data: case_services.case_facts_update(
            actor=request.user, case=case, reason=data["reason"], **f.FactsForm.facts_of(data)
        ),
        success="The facts are saved.",
        anchor="facts-h",
    )


@access_logged("case_harm")
@login_required
@GET_POST
def harm(request, pk):
    def kwargs(case):
        return {
            "case": case,
            "existing": selectors.case_harm_for_user(user=request.user, case=case),
            "minors": selectors.case_minor_depicted_for_user(user=request.user, case=case),
        }

    def save(case, data):
        statement = data.pop("impact_statement", "")
        harm_assessment_record(
            actor=request.user, case=case, answers=HarmAnswers(**data), impact_statement=statement
        )

    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Harm assessment",
        intro="The level is worked out from these answers, and the reasons are shown with it.",
        form_class=f.HarmForm,
        form_kwargs=kwargs,
        save=save,
        success="The harm assessment is recorded.",
        anchor="harm-h",
    )


@access_logged("case_measure_add")
@login_required
@GET_POST
def measure_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.SUPPORT, Action.WORK),
        title="Add a measure",
        intro="Supportive measures and remedies are for the person shown; interim measures "
        "concern a respondent. Record the person's own choice.",
        form_class=f.MeasureAddForm,
        form_kwargs=lambda case: selectors.measure_form_scope(user=request.user, case=case),
        save=lambda case, data: measures.measure_add(
            actor=request.user,
            case=case,
            owner=request.user,
            **{**data, "party_choice": data["party_choice"] or None},
        ),
        success="The measure is recorded.",
        anchor="measures-h",
    )


def _measure_update(actor, data):
    measure = data["measure"]
    if data["op"] == "choice":
        return measures.measure_choice_record(actor=actor, measure=measure, choice=data["choice"])
    if data["op"] == "status":
        return measures.measure_status_set(
            actor=actor, measure=measure, status=data["status"], reason=data["note"]
        )
    return measures.measure_review(
        actor=actor,
        measure=measure,
        next_review_on=data["next_review_on"],
        end=data["end"],
        note=data["note"],
    )


@access_logged("case_measure_update")
@login_required
@GET_POST
def measure_update(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.SUPPORT, Action.WORK),
        title="Update a measure",
        form_class=f.MeasureUpdateForm,
        form_kwargs=lambda case: {
            "measures": selectors.case_measures_for_user(user=request.user, case=case)
        },
        save=lambda case, data: _measure_update(request.user, data),
        success="The measure is updated.",
        anchor="measures-h",
    )


@access_logged("case_takedown_add")
@login_required
@GET_POST
def takedown_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Add a takedown request",
        intro="One request per platform and place. For a person under 18, Take It Down works "
        "from their own device and the image never leaves it; for adults, StopNCII.",
        form_class=f.TakedownAddForm,
        form_kwargs=lambda case: {
            "case": case,
            "parties": selectors.case_parties_by_role(
                user=request.user, case=case, roles=[c.PartyRole.DEPICTED]
            ),
        },
        save=lambda case, data: takedowns.takedown_request_create(
            actor=request.user,
            case=case,
            owner=request.user,
            **{**data, "route": data["route"] or None},
        ),
        success="The takedown request is recorded.",
        anchor="takedowns-h",
    )


def _takedown_update(actor, data):
    if data["status"] == "submitted":
        return takedowns.takedown_request_submit(
            actor=actor,
            takedown=data["takedown"],
            platform_reference=data["platform_reference"],
            has_signature=data["has_signature"],
            identifies_content=data["identifies_content"],
            good_faith_statement=data["good_faith_statement"],
            has_contact_information=data["has_contact_information"],
        )
    return takedowns.takedown_request_update(
        actor=actor,
        takedown=data["takedown"],
        status=data["status"],
        waiver_reason=data["waiver_reason"],
        note=data["note"],
    )


@access_logged("case_takedown_update")
@login_required
@GET_POST
def takedown_update(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Update a takedown request",
        form_class=f.TakedownUpdateForm,
        form_kwargs=lambda case: {
            "takedowns": selectors.case_takedowns_for_user(user=request.user, case=case)
        },
        save=lambda case, data: _takedown_update(request.user, data),
        success="The takedown request is updated.",
        anchor="takedowns-h",
    )


@access_logged("case_takedowns", poll=True)
@login_required
@require_GET
def takedown_board(request, pk):
    """The takedown board alone, for htmx to refresh its clocks every minute."""
    detail = selectors.case_detail_for_user(user=request.user, pk=pk)
    if not detail.show_evidence:
        raise Http404("No such page.")
    access_case(request, detail.case)
    return render(request, "ncii_cases/partials/takedowns.html", {"d": detail})


def _report_update(actor, case, data):
    if data["op"] == "sync":
        return reports.external_reports_sync(actor=actor, case=case)
    if data["outcome"] == "made":
        return reports.external_report_record_made(
            actor=actor,
            report=data["report"],
            reported_at=data["reported_at"],
            reference_number=data["reference_number"],
            contact_name=data["contact_name"],
        )
    return reports.external_report_mark_not_required(
        actor=actor, report=data["report"], explanation=data["explanation"]
    )


@access_logged("case_report_update")
@login_required
@GET_POST
def report_update(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="External reports",
        intro="Check which reports the case requires (child-abuse report, CyberTipline, law "
        "enforcement), then record each: made, with the reference the agency gave, or not "
        "required, with an explanation.",
        form_class=f.ReportUpdateForm,
        form_kwargs=lambda case: {
            "reports": selectors.case_reports_for_user(user=request.user, case=case)
        },
        save=lambda case, data: _report_update(request.user, case, data),
        success="The external reports are updated.",
        anchor="reports-h",
    )


@access_logged("case_evidence_add")
@login_required
@GET_POST
def evidence_add(request, pk):
    def save(case, data):
        uploaded = data.pop("document")
        evidence.evidence_record_with_document(
            actor=request.user, case=case, uploaded_file=uploaded, **data
        )

    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Record evidence",
        intro="Record where and when it was seen and who holds the device. This system never "
        "keeps the imagery itself: do not attach screenshots, photos or videos.",
        form_class=f.EvidenceAddForm,
        form_kwargs=lambda case: {"case": case},
        save=save,
        success="The evidence is recorded.",
        anchor="evidence-h",
    )


@access_logged("case_notice_add")
@login_required
@GET_POST
def notice_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK, Action.SUPPORT),
        title="Log a notice",
        form_class=f.NoticeAddForm,
        form_kwargs=lambda case: selectors.notice_form_scope(user=request.user, case=case),
        save=lambda case, data: notices.party_notice_record(actor=request.user, case=case, **data),
        success="The notice is logged.",
        anchor="notices-h",
    )


@access_logged("case_determination")
@login_required
@GET_POST
def determination(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Record a determination",
        form_class=f.DeterminationForm,
        form_kwargs=lambda case: {
            "respondents": selectors.case_respondents_identified(user=request.user, case=case)
        },
        save=lambda case, data: determinations.determination_record(
            actor=request.user, case=case, **data
        ),
        success="The determination is recorded.",
        anchor="decisions-h",
    )


@access_logged("case_deadline_extend")
@login_required
@GET_POST
def deadline_extend(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Extend a deadline for good cause",
        form_class=forms_deadlines.DeadlineExtensionForm,
        form_kwargs=lambda case: {
            "determinations": selectors.case_determinations_for_user(user=request.user, case=case)
        },
        save=lambda case, data: deadlines.deadline_extend(
            actor=request.user,
            case=case,
            clock=data["clock"],
            new_due_at=data["new_due_at"],
            reason=data["reason"],
            notice=data["notice"],
            determination=data.get("determination"),
        ),
        success="The deadline is extended and the notice to the parties recorded.",
        anchor="deadlines-h",
        intro=deadlines.LEGAL_CLOCK_REFUSAL,
    )


@access_logged("case_sanction_add")
@login_required
@GET_POST
def sanction_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Add a sanction or corrective action",
        intro="Only the interventions of the case's respondent track are offered.",
        form_class=f.SanctionAddForm,
        form_kwargs=lambda case: {
            "case": case,
            "respondents": selectors.case_respondents_identified(user=request.user, case=case),
        },
        save=lambda case, data: determinations.sanction_add(actor=request.user, case=case, **data),
        success="The sanction is recorded.",
        anchor="decisions-h",
    )


@access_logged("case_offer")
@login_required
@GET_POST
def offer(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Record an offer and the person's choice",
        intro="Informal or restorative resolution happens only if the person shown chooses it.",
        form_class=f.OfferForm,
        form_kwargs=lambda case: {
            "parties": selectors.case_parties_by_role(
                user=request.user, case=case, roles=[c.PartyRole.DEPICTED, c.PartyRole.PARENT]
            )
        },
        save=lambda case, data: measures.resolution_offer_record(
            actor=request.user, case=case, **data
        ),
        success="The offer and the choice are recorded.",
        anchor="offers-h",
    )


@access_logged("case_party_add")
@login_required
@GET_POST
def party_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Add a person",
        form_class=f.PartyAddForm,
        save=lambda case, data: case_services.case_party_add_named(
            actor=request.user, case=case, **f.PartyAddForm.party_of(data)
        ),
        success="The person is added.",
        anchor="parties-h",
    )


@access_logged("case_assign")
@login_required
@GET_POST
def assign(request, pk):
    def kwargs(case):
        return {
            "staff": selectors.case_assignable_staff(user=request.user, case=case),
            "lead_open": selectors.case_lead_for_user(user=request.user, case=case) is None,
        }

    return _record_page(
        request,
        pk,
        actions=(Action.ASSIGN,),
        title="Assign staff",
        intro="An assignment lets the person read and work this case as its role says. Only "
        "active staff whose role works on this case are listed.",
        form_class=f.AssignForm,
        form_kwargs=kwargs,
        save=lambda case, data: case_services.case_assign(actor=request.user, case=case, **data),
        success="The assignment is saved.",
        anchor="assignments-h",
    )


@access_logged("case_lead_change")
@login_required
@GET_POST
def lead_change(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.ASSIGN,),
        title="Change the lead",
        intro="A case has one lead at a time. The current lead's lead assignment ends, and the "
        "reason is kept in the case's record.",
        form_class=f.LeadChangeForm,
        form_kwargs=lambda case: {
            "staff": selectors.case_assignable_staff(
                user=request.user, case=case, role=c.AssignmentRole.LEAD
            )
        },
        save=lambda case, data: case_services.case_lead_change(
            actor=request.user, case=case, **data
        ),
        success="The lead has changed.",
        anchor="assignments-h",
    )


@access_logged("case_unassign")
@login_required
@GET_POST
def unassign(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.ASSIGN,),
        title="End an assignment",
        form_class=f.UnassignForm,
        form_kwargs=lambda case: {
            "assignments": selectors.case_assignments_for_user(user=request.user, case=case)
        },
        save=lambda case, data: case_services.case_unassign(actor=request.user, **data),
        success="The assignment has ended.",
        anchor="assignments-h",
    )
