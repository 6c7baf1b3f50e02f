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
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ncii_cases.selectors import cases as selectors
from ncii_cases.selectors import roster as selectors_roster
from policies.selectors import platforms_for_district

from . import choices as c
from . import forms as f
from . import forms_deadlines
from .access_log import access_case, access_logged
from .errors import GuardFailed, TransitionForbidden, TransitionNotAllowed
from .forms_rows import ROWS_TEMPLATE
from .models import TakedownRequest
from .permissions import Action
from .services import cases as case_services
from .services import (
    corrections,
    deadlines,
    determinations,
    evidence,
    measures,
    notices,
    parents,
    reports,
    submissions,
    takedowns,
)
from .services.harm import HarmAnswers, harm_assessment_record
from .workflow import (
    BY_ACTION,
    Blocker,
    case_transition,
    stage_todo,
    transition_detail_from_case,
)

GET_POST = require_http_methods(["GET", "POST"])
NOTIFICATIONS_DELAYED = (
    "Notifications delayed: the step is saved, but the background service is unavailable "
    "right now. The e-mails to the assigned staff will go out as soon as it is back."
)
FORM_TEMPLATE = "ncii_cases/case_form.html"
# The case page shows this many of the newest events; the audit review pages through the rest.
TIMELINE_NEWEST = 20


def blocker_links(case, action: str, blockers) -> list[dict]:
    """What a refusal or the to-do panel shows of each ``Blocker``: its message and the URL of
    the form that records it (None when no form does; plain strings have none)."""
    links = []
    for b in blockers:
        target = b.target if isinstance(b, Blocker) else None
        if target is not None and target.url_name is None and not action:
            target = None  # the step's own form, but no step page was open
        links.append({"message": str(b), "url": target.url(case, action) if target else None})
    return links


def case_todo(case, transitions, *, parties=None, offers=None) -> list[dict]:
    """The to-do panel of the case page: each next step the user may take, with every
    condition of its guards (``workflow.stage_todo``) done or open, an open one linking to
    the form that satisfies it. ``direct``: the step is taken by the panel's own button (a
    POST, no step page); ``primary``: the first ready step (the main path's when it is
    ready), the only one shown as the page's main button. ``parties``, ``offers``: as
    ``workflow.stage_todo`` takes them."""
    panel = []
    primary_taken = False
    for step in stage_todo(case, transitions, parties=parties, offers=offers):
        action = step.transition.action
        items = [
            {
                "title": item.title,
                "done": item.done,
                "blockers": blocker_links(case, action, item.blockers),
            }
            for item in step.items
        ]
        primary = step.ready and not primary_taken
        primary_taken = primary_taken or primary
        panel.append(
            {
                "transition": step.transition,
                "ready": step.ready,
                "direct": step.direct,
                "primary": primary,
                "items": items,
            }
        )
    return panel


def form_errors_add(form, exc: ValidationError) -> None:
    """Puts a service's ``ValidationError`` on the form: a message keyed by a field the form
    has stands next to that field, every other one at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
        return
    for message in exc.messages:
        form.add_error(None, message)


def case_record_or_404(request, pk, *, action: str, kind: str, record_pk, missing: str):
    """The case ``pk`` (404 unless the user may take ``action`` on it) and its record of
    ``kind`` numbered ``record_pk``; raises Http404 with the text ``missing`` when the user may
    not see such a record. Logs the access to the case. Returns ``(case, record)``."""
    case = selectors.case_get_for_user(user=request.user, pk=pk, action=action)
    record = selectors.case_record_for_user(user=request.user, case=case, kind=kind, pk=record_pk)
    if record is None:
        raise Http404(missing)
    access_case(request, case)
    return case, record


ALREADY_SENT = "This form was already sent and its record is saved; nothing new was recorded."


def form_save_once(
    request, token, *, back: str, save: Callable[[], str], success: str
) -> HttpResponse:
    """Saves a create form at most once per one-time token (``forms.OneSubmission``). When the
    token was sent before, adds the ALREADY_SENT message and redirects to the first result
    (``back`` when it has none), saving nothing. Otherwise claims the token and calls ``save()``
    in one transaction; ``save`` returns the URL of the saved record, stored as the token's
    result; then adds the ``success`` message and redirects there. An error raised by ``save``
    rolls the claim back and propagates, with no message."""
    earlier = submissions.form_submission_find(user=request.user, token=token)
    if earlier is not None:
        messages.info(request, ALREADY_SENT)
        return redirect(earlier.result_url or back)
    with transaction.atomic():
        claim = submissions.form_submission_claim(
            user=request.user, token=token, form=request.resolver_match.url_name
        )
        if claim is None:
            messages.info(request, ALREADY_SENT)
            return redirect(back)
        url = save()
        submissions.form_submission_complete(submission=claim, result_url=url)
    messages.success(request, success)
    return redirect(url)


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
    more_context: Callable = lambda case: {},
):
    """Shows the form of one record type for the case and, on a valid POST, saves it through
    the given service call. The case answers 404 unless the user may take one of ``actions``.
    ``more_context(case)``: further context for the page (such as the takedown suggestions).
    A create form's one-time token (``forms.OneSubmission``) is claimed in the save's own
    transaction, so the same form sent twice records one thing."""
    case = selectors.case_get_for_user_any(user=request.user, pk=pk, actions=actions)
    access_case(request, case)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = form_class(data, files, initial=request.GET.dict(), **form_kwargs(case))
    target = case.get_absolute_url() + (f"#{anchor}" if anchor else "")
    problem, blockers = "", []
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.pop("submission_token", None)

        def record() -> str:
            save(case, form.cleaned_data)
            return target

        try:
            return form_save_once(request, token, back=target, save=record, success=success)
        except corrections.StaleRecord as exc:
            # Nothing saved: the form comes back with the current values and the refusal.
            case = selectors.case_get_for_user_any(user=request.user, pk=pk, actions=actions)
            form = form_class(None, None, **form_kwargs(case))
            problem = exc.messages[0]
        except ValidationError as exc:
            form_errors_add(form, exc)
        except GuardFailed as exc:
            blockers = blocker_links(case, "", exc.blockers)
        except (TransitionForbidden, TransitionNotAllowed) as exc:
            form.add_error(None, str(exc))
    context = {
        "case": case,
        "form": form,
        "title": title,
        "intro": intro,
        "problem": problem,
        "blockers": blockers,
    }
    context.update(more_context(case))
    return render(request, FORM_TEMPLATE, context)


# --- Intake ----------------------------------------------------------------------------------


@access_logged("case_intake")
@login_required
@GET_POST
def intake(request):
    schools = selectors.intake_schools_for_user(user=request.user)
    if not schools.exists():
        raise Http404("No such page.")
    data = request.POST if request.method == "POST" else None
    add_row = data is not None and ("add_person" in data or "find_person" in data)
    extra = 1 if data is not None and "add_person" in data else 0
    person_schools = selectors.schools_of_district(user=request.user)
    lookup = {
        "people": selectors_roster.people_lookup_scope_for(user=request.user),
        "user": request.user,
    }
    if add_row:
        form = f.IntakeForm(
            initial=f.unbound_values(
                f.IntakeForm(
                    data,
                    schools=schools,
                    platforms=platforms_for_district(district=request.user.district),
                )
            ),
            schools=schools,
            platforms=platforms_for_district(district=request.user.district),
        )
    else:
        form = f.IntakeForm(
            data, schools=schools, platforms=platforms_for_district(district=request.user.district)
        )
    people = f.people_formset(data, schools=person_schools, add_row=add_row, extra=extra, **lookup)
    # A report sent without the people rows (another client, an old page) names nobody.
    rows_sent = data is not None and "people-TOTAL_FORMS" in data
    if not rows_sent:
        people = f.people_formset(None, schools=person_schools, school=None, **lookup)
    if (
        data is not None
        and not add_row
        and form.is_valid()
        and (not rows_sent or people.is_valid())
    ):
        token = form.cleaned_data.get("submission_token")
        earlier = submissions.form_submission_find(user=request.user, token=token)
        if earlier is not None and earlier.result_url:
            messages.info(request, ALREADY_SENT)
            return redirect(earlier.result_url)
        rows = [row.party() for row in people.forms if rows_sent and row.is_named]
        try:
            with transaction.atomic():
                claim = submissions.form_submission_claim(
                    user=request.user, token=token, form="intake"
                )
                if claim is None:
                    messages.info(request, ALREADY_SENT)
                    return redirect("ncii_cases:home")
                case = case_services.case_intake(actor=request.user, **form.intake(rows))
                submissions.form_submission_complete(
                    submission=claim, result_url=case.get_absolute_url()
                )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            access_case(request, case)
            messages.success(
                request,
                _("The report is recorded as %(reference)s.") % {"reference": case.reference},
            )
            return redirect(case)
    return render(request, "ncii_cases/intake.html", {"form": form, "people": people})


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
    posted = request.method == "POST"
    form = f.TransitionForm(
        request.POST if posted else None,
        transition=step,
        initial=transition_detail_from_case(case, action),
    )
    # The stage the sent page showed (the to-do panel's button and the step page carry it):
    # a second click, or a page overtaken by someone else's step, records nothing.
    shown_stage = request.POST.get("from_stage", "") if posted else ""
    problem = selectors.transition_problem_for_user(
        user=request.user, case=case, action=action, submitted=posted, shown_stage=shown_stage
    )
    blockers = []
    if posted and problem is None and form.is_valid():
        try:
            moved = case_transition(
                actor=request.user,
                case=case,
                action=action,
                reason=form.cleaned_data.get("reason", ""),
                detail=form.detail(),
                expected_stage=shown_stage or None,
            )
        except GuardFailed as exc:
            blockers = blocker_links(case, action, exc.blockers)
        except (TransitionNotAllowed, TransitionForbidden) as exc:
            # A race lost between the page's check and the locked row: the same words.
            problem = str(exc)
        else:
            messages.success(
                request,
                _("%(step)s: done. The case is now at %(stage)s.")
                % {"step": step.label, "stage": moved.get_stage_display()},
            )
            if moved.notifications_delayed:
                messages.warning(request, NOTIFICATIONS_DELAYED)
            return redirect(case)
    context = {"case": case, "form": form, "step": step, "problem": problem, "blockers": blockers}
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
        title=_("Assessment facts"),
        intro=_(
            "Record what the initial assessment found: the kind of imagery, whether it is "
            "intimate, and whether the district has jurisdiction, with the facts and reasoning."
        ),
        form_class=f.FactsForm,
        form_kwargs=lambda case: {"case": case},
        save=lambda case, data: case_services.case_facts_update(
            actor=request.user,
            case=case,
            reason=data["reason"],
            version=data.get("version"),
            **f.FactsForm.facts_of(data),
        ),
        success=_("The facts are saved."),
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
        version = data.pop("version", None)
        harm_assessment_record(
            actor=request.user,
            case=case,
            answers=HarmAnswers(**data),
            impact_statement=statement,
            version=version,
        )

    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title=_("Harm assessment"),
        intro=_("The level is worked out from these answers, and the reasons are shown with it."),
        form_class=f.HarmForm,
        form_kwargs=kwargs,
        save=save,
        success=_("The harm assessment is recorded."),
        anchor="harm-h",
    )


def _measures_add(actor, case, data):
    fields = {k: v for k, v in data.items() if k != "party"}
    return measures.measures_add_for_parties(
        actor=actor,
        case=case,
        owner=actor,
        parties=data["party"],
        **{**fields, "party_choice": fields["party_choice"] or None},
    )


@access_logged("case_measure_add")
@login_required
@GET_POST
def measure_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.SUPPORT, Action.WORK),
        title=_("Add a measure"),
        intro=_(
            "Supportive measures are for the people shown, respondents and witnesses; remedies "
            "for the people shown; interim measures concern a respondent. Tick each person the "
            "measure is for: one is recorded for each. Record the people's own choice."
        ),
        form_class=f.MeasureAddForm,
        form_kwargs=lambda case: {
            **selectors.measure_form_scope(user=request.user, case=case),
            "picked": request.GET.getlist("party"),
        },
        save=lambda case, data: _measures_add(request.user, case, data),
        success=_("The measures are recorded: one for each person ticked."),
        anchor="measures-h",
    )


def _measure_update(actor, data):
    measure, version = data["measure"], data.get("version")
    if data["op"] == f.MeasureUpdateForm.CHOICE:
        return measures.measure_choice_record(
            actor=actor, measure=measure, choice=data["choice"], version=version
        )
    if data["op"] == f.MeasureUpdateForm.STATUS:
        return measures.measure_status_set(
            actor=actor,
            measure=measure,
            status=data["status"],
            reason=data["note"],
            version=version,
        )
    return measures.measure_review(
        actor=actor,
        measure=measure,
        next_review_on=data["next_review_on"],
        end=data["end"],
        note=data["note"],
        version=version,
    )


@access_logged("case_measure_update")
@login_required
@GET_POST
def measure_update(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.SUPPORT, Action.WORK),
        title=_("Update a measure"),
        form_class=f.MeasureUpdateForm,
        form_kwargs=lambda case: {
            "measures": selectors.case_measures_for_user(user=request.user, case=case)
        },
        save=lambda case, data: _measure_update(request.user, data),
        success=_("The measure is updated."),
        anchor="measures-h",
    )


@access_logged("case_measure_review")
@login_required
@GET_POST
def measure_review(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.SUPPORT, Action.WORK),
        title=_("Review the measures"),
        intro=_(
            "Each measure still in place or never reviewed has a row. Record a review with "
            "the next review date, or end the measure at this review; rows left as they are "
            "record nothing."
        ),
        form_class=f.MeasureReviewForm,
        form_kwargs=lambda case: {
            "measures": selectors.case_measures_for_user(user=request.user, case=case)
        },
        save=lambda case, data: measures.measure_reviews_record(
            actor=request.user, reviews=data["reviews"]
        ),
        success=_("The reviews are recorded."),
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
        title=_("Add a takedown request"),
        intro=_(
            "One request per platform, place and route. Take It Down (NCMEC) is for imagery "
            "made under 18, even of a person who is an adult now, and works from their own device: "
            "the image never leaves it. StopNCII is for imagery made at 18 or over. Neither starts "
            "a legal clock: a covered platform's own notice under the TAKE IT DOWN Act does."
        ),
        form_class=f.TakedownAddForm,
        more_context=lambda case: {
            "takedown_suggestions": selectors.takedown_suggestions_for_user(
                user=request.user, case=case
            )
        },
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
        success=_("The takedown request is recorded."),
        anchor="takedowns-h",
    )


def _takedown_update(actor, data):
    if data["status"] == TakedownRequest.Status.SUBMITTED:
        return takedowns.takedown_request_submit(
            actor=actor,
            takedown=data["takedown"],
            platform_reference=data["platform_reference"],
            has_signature=data["has_signature"],
            identifies_content=data["identifies_content"],
            good_faith_statement=data["good_faith_statement"],
            has_contact_information=data["has_contact_information"],
            version=data.get("version"),
        )
    return takedowns.takedown_request_update(
        actor=actor,
        takedown=data["takedown"],
        status=data["status"],
        waiver_reason=data["waiver_reason"],
        note=data["note"],
        version=data.get("version"),
    )


@access_logged("case_takedown_update")
@login_required
@GET_POST
def takedown_update(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title=_("Update a takedown request"),
        form_class=f.TakedownUpdateForm,
        form_kwargs=lambda case: {
            "takedowns": selectors.case_takedowns_for_user(user=request.user, case=case)
        },
        save=lambda case, data: _takedown_update(request.user, data),
        success=_("The takedown request is updated."),
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


@access_logged("case_report_update")
@login_required
@GET_POST
def report_update(request, pk):
    """Every external report of the case that waits for a decision, on one page: a row each
    (made, with its reference; or not required, with the explanation), rows left undecided
    skipped. Which reports the case requires is read without writing for the page and
    checked again within the save (``reports.external_reports_decide``: the rows created and
    the decisions recorded in one transaction); a row changed since the page showed it is
    refused and nothing is saved."""
    case = selectors.case_get_for_user_any(user=request.user, pk=pk, actions=(Action.WORK,))
    access_case(request, case)
    rows = selectors.case_reports_to_decide_for_user(user=request.user, case=case)
    posted = request.method == "POST"
    formset = f.report_decisions_formset(request.POST if posted else None, rows=rows)
    problem = ""
    if posted and formset.is_valid():
        decisions = [d for form in formset.forms if (d := form.decision()) is not None]
        try:
            reports.external_reports_decide(actor=request.user, case=case, decisions=decisions)
        except corrections.StaleRecord as exc:
            # Nothing saved: the page comes back with the reports waiting now.
            problem = exc.messages[0]
            rows = selectors.case_reports_to_decide_for_user(user=request.user, case=case)
            formset = f.report_decisions_formset(None, rows=rows)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
        except TransitionForbidden as exc:
            problem = str(exc)
        else:
            messages.success(request, _("The external reports are updated."))
            return redirect(case.get_absolute_url() + "#reports-h")
    shown = {r.key: r for r in rows}
    lines = [(shown.get(form["key"].value()), form) for form in formset.forms]
    context = {"case": case, "formset": formset, "lines": lines, "problem": problem}
    return render(request, "ncii_cases/reports_decide.html", context)


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
        title=_("Record evidence"),
        intro=_(
            "Record where and when it was seen and who holds the device. This system never "
            "keeps the imagery itself: do not attach screenshots, photos or videos."
        ),
        form_class=f.EvidenceAddForm,
        form_kwargs=lambda case: {"case": case},
        save=save,
        success=_("The evidence is recorded."),
        anchor="evidence-h",
    )


@access_logged("case_notice_add")
@login_required
@GET_POST
def notice_add(request, pk):
    # ``?kind=outcome&party=3&party=7`` (the to-do panel's link) opens the form with the kind
    # chosen and those people ticked.
    return _record_page(
        request,
        pk,
        actions=(Action.WORK, Action.SUPPORT),
        title=_("Log a notice"),
        intro=_(
            "One notice for each person ticked: the kind, how, when and what was said are the "
            "same for all of them."
        ),
        form_class=f.NoticeAddForm,
        form_kwargs=lambda case: {
            **selectors.notice_form_scope(user=request.user, case=case),
            "ticked": request.GET.getlist("party"),
        },
        save=lambda case, data: notices.party_notices_record(
            actor=request.user,
            case=case,
            **{k: data[k] for k in ("kind", "method", "summary", "sent_at", "rows")},
        ),
        success=_("The notices are logged."),
        anchor="notices-h",
        more_context=lambda case: {"fields_template": ROWS_TEMPLATE},
    )


@access_logged("case_determination")
@login_required
@GET_POST
def determination(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title=_("Record a determination"),
        form_class=f.DeterminationForm,
        form_kwargs=lambda case: {
            "respondents": selectors.case_respondents_identified(user=request.user, case=case)
        },
        save=lambda case, data: determinations.determination_record(
            actor=request.user, case=case, **data
        ),
        success=_("The determination is recorded."),
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
        title=_("Extend a deadline for good cause"),
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
        success=_("The deadline is extended and the notice to the parties recorded."),
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
        title=_("Add a sanction or corrective action"),
        intro=_("Only the interventions of the case's respondent track are offered."),
        form_class=f.SanctionAddForm,
        form_kwargs=lambda case: {
            "case": case,
            "respondents": selectors.case_respondents_identified(user=request.user, case=case),
        },
        save=lambda case, data: determinations.sanctions_add(actor=request.user, case=case, **data),
        success=_("The sanctions are recorded."),
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
        title=_("Record an offer and the choice"),
        intro=_(
            "Informal or restorative resolution happens only if the person shown chooses it. "
            "Choose the option once, then each person's own choice; a row left blank records "
            "nothing for that person."
        ),
        form_class=f.OfferRowsForm,
        form_kwargs=lambda case: {
            "parties": selectors.case_parties_by_role(
                user=request.user, case=case, roles=[c.PartyRole.DEPICTED, c.PartyRole.PARENT]
            ),
            "picked": request.GET.getlist("party"),
        },
        save=lambda case, data: measures.resolution_offers_record(
            actor=request.user, case=case, option=data["option"], rows=data["rows"]
        ),
        success=_("The offers and the choices are recorded."),
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
        title=_("Add a person"),
        form_class=f.PartyAddForm,
        form_kwargs=lambda case: {
            "case": case,
            "schools": selectors.schools_of_district(user=request.user),
            "people": selectors_roster.people_lookup_scope_for(user=request.user),
            "user": request.user,
        },
        save=lambda case, data: case_services.case_party_add_named(
            actor=request.user, case=case, **f.PartyAddForm.party_of_data(data)
        ),
        success=_("The person is added."),
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
        title=_("Assign staff"),
        intro=_(
            "An assignment lets the person read and work this case as its role says. Only "
            "active staff whose role works on this case are listed."
        ),
        form_class=f.AssignForm,
        form_kwargs=kwargs,
        save=lambda case, data: case_services.case_assign(actor=request.user, case=case, **data),
        success=_("The assignment is saved."),
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
        title=_("Change the lead"),
        intro=_(
            "A case has one lead at a time. The current lead's lead assignment ends, and the "
            "reason is kept in the case's record."
        ),
        form_class=f.LeadChangeForm,
        form_kwargs=lambda case: {
            "staff": selectors.case_assignable_staff(
                user=request.user, case=case, role=c.AssignmentRole.LEAD
            ),
            "lead_assignment_id": getattr(
                selectors.case_lead_for_user(user=request.user, case=case), "pk", None
            ),
        },
        save=lambda case, data: case_services.case_lead_change(
            actor=request.user, case=case, **data
        ),
        success=_("The lead has changed."),
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
        title=_("End an assignment"),
        form_class=f.UnassignForm,
        form_kwargs=lambda case: {
            "assignments": selectors.case_assignments_for_user(user=request.user, case=case)
        },
        save=lambda case, data: case_services.case_unassign(actor=request.user, **data),
        success=_("The assignment has ended."),
        anchor="assignments-h",
    )


# --- Corrections and withdrawals -------------------------------------------------------------

# Which right opens the correction pages of each kind of record (the service checks the
# record's own right again, such as SUPPORT for a supportive measure).
KIND_ACTIONS = {
    "party": (Action.WORK,),
    "measure": (Action.SUPPORT, Action.WORK),
    "evidence": (Action.WORK,),
    "document": (Action.WORK,),
    "takedown": (Action.WORK,),
    "report": (Action.WORK,),
    "notice": (Action.WORK, Action.SUPPORT),
    "determination": (Action.DECIDE,),
    "sanction": (Action.DECIDE,),
    "offer": (Action.WORK,),
    "harm": (Action.WORK,),
    "takedown_notice": (Action.WORK,),
    "parent_decision": (Action.WORK,),
    "no_support": (Action.SUPPORT,),
}


def _record_of(request, case, kind):
    """The record named by ``?record=`` (GET) or ``record`` (POST) among those of ``kind``
    the user may see; None when none is named; Http404 for one they may not see."""
    raw = request.POST.get("record") or request.GET.get("record")
    if not raw:
        return None
    record = selectors.case_record_for_user(user=request.user, case=case, kind=kind, pk=raw)
    if record is None:
        raise Http404("No such record.")
    return record


def _correction_page(request, pk, kind, *, withdraw: bool):
    if kind not in KIND_ACTIONS:
        raise Http404("No such page.")
    case = selectors.case_get_for_user_any(user=request.user, pk=pk, actions=KIND_ACTIONS[kind])
    access_case(request, case)
    record = _record_of(request, case, kind)
    spec = corrections.REGISTRY[kind]
    choices = selectors.case_records_for_user(user=request.user, case=case, kind=kind)
    noun = spec.label
    title = (_("Withdraw a %(noun)s") if withdraw else _("Correct a %(noun)s")) % {"noun": noun}
    context = {"case": case, "title": title, "choices": choices, "record": record, "kind": kind}
    if record is None:
        intro = (
            _("Choose the %(noun)s to withdraw.")
            if withdraw
            else _("Choose the %(noun)s to correct.")
        )
        context["intro"] = intro % {"noun": noun}
        return render(request, "ncii_cases/record_change.html", context)
    form_class = f.WithdrawForm if withdraw else f.correction_form_class(kind)
    form_kwargs = {} if withdraw else {"case": case, "record": record}
    data = request.POST if request.method == "POST" else None
    form = (
        form_class(data, record=record, **form_kwargs)
        if withdraw
        else form_class(data, **form_kwargs)
    )
    if data is not None and form.is_valid():
        try:
            if withdraw:
                corrections.record_withdraw(actor=request.user, record=record, **form.cleaned_data)
            else:
                form.save_through_service(actor=request.user)
        except corrections.StaleRecord as exc:
            fresh = selectors.case_record_for_user(
                user=request.user, case=case, kind=kind, pk=record.pk
            )
            # The current values, unbound, with the refusal above them: nothing was saved.
            form = f.WithdrawForm(record=fresh) if withdraw else form_class(case=case, record=fresh)
            context["problem"] = exc.messages[0]
        except ValidationError as exc:
            form_errors_add(form, exc)
        except TransitionForbidden as exc:
            form.add_error(None, str(exc))
        else:
            done = _("The %(noun)s is withdrawn.") if withdraw else _("The %(noun)s is corrected.")
            messages.success(request, done % {"noun": noun})
            return redirect(case.get_absolute_url() + f"#{kind}-{record.pk}")
    context.update(form=form, withdraw=withdraw)
    return render(request, "ncii_cases/record_change.html", context)


@access_logged("case_record_correct")
@login_required
@GET_POST
def record_correct(request, pk, kind):
    """Corrects one record of the case with a reason (never a deletion)."""
    return _correction_page(request, pk, kind, withdraw=False)


@access_logged("case_record_withdraw")
@login_required
@GET_POST
def record_withdraw(request, pk, kind):
    """Withdraws one record of the case with a reason; it stays visible as withdrawn."""
    return _correction_page(request, pk, kind, withdraw=True)


@access_logged("case_sanction_status")
@login_required
@GET_POST
def sanction_status(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title=_("Change a sanction's status"),
        intro=_(
            "A sanction is planned, then in effect, then completed; it may be vacated (set "
            "aside) with the reason."
        ),
        form_class=f.SanctionStatusForm,
        form_kwargs=lambda case: {
            "sanctions": selectors.case_sanctions_for_user(user=request.user, case=case)
        },
        save=lambda case, data: determinations.sanction_status_set(actor=request.user, **data),
        success=_("The sanction's status is saved."),
        anchor="decisions-h",
    )


@access_logged("case_track")
@login_required
@GET_POST
def track(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.TRIAGE,),
        title=_("Respondent track"),
        intro=_(
            "Choose the procedure for the respondent, with the reason. A respondent who is "
            "both a student and an employee (an aide) can go either way: say why this one. The "
            "sanctions offered follow the track chosen."
        ),
        form_class=f.TrackForm,
        form_kwargs=lambda case: {"case": case},
        save=lambda case, data: determinations.case_respondent_track_set(
            actor=request.user, case=case, **data
        ),
        success=_("The respondent track is saved."),
        anchor="decisions-h",
    )


@access_logged("case_move_school")
@login_required
@GET_POST
def move_school(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.TRIAGE,),
        title=_("Move the case to another school"),
        intro=_(
            "Staff of the old school lose access at once (their assignments end); staff of "
            "the new school who triage cases gain it."
        ),
        form_class=f.MoveSchoolForm,
        form_kwargs=lambda case: {
            "case": case,
            "schools": selectors.schools_of_district(user=request.user),
        },
        save=lambda case, data: case_services.case_move_school(
            actor=request.user, case=case, **data
        ),
        success=_("The case is moved."),
        anchor="summary-h",
    )


@access_logged("case_document_download")
@login_required
@require_GET
def document_download(request, pk, document_pk):
    """Sends a supporting document to a user who may read the case's evidence, as an
    attachment no cache keeps and no browser sniffs into another type. The file name is the
    reference and the document's number (the uploaded name may hold a person's name)."""
    case, document = case_record_or_404(
        request,
        pk,
        action=Action.VIEW_EVIDENCE,
        kind="document",
        record_pk=document_pk,
        missing="No such document.",
    )
    extension = {
        "application/pdf": "pdf",
        "text/plain": "txt",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    }.get(document.content_type, "bin")
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{case.reference}-document-{document.pk}.{extension}",
        content_type=document.content_type,
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Parent-notification decisions and support not offered ----------------------------------


@access_logged("case_parent_decision_add")
@login_required
@GET_POST
def parent_decision_add(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title=_("Parent or guardian notification: the decision"),
        intro=_(
            "For each student under 18 without a decision: whether their parents or guardians "
            "are told now, later, or not, with the student's wishes and the risks weighed. A "
            "student left without a decision is not recorded. A student of 18 or over is an "
            "eligible student whose rights are their own: tell them directly."
        ),
        form_class=f.ParentDecisionForm,
        form_kwargs=lambda case: selectors.parent_decision_form_scope(user=request.user, case=case),
        save=lambda case, data: parents.parent_decisions_record(
            actor=request.user, case=case, approved_by=data["approved_by"], rows=data["rows"]
        ),
        success=_("The decisions are recorded."),
        anchor="parent-decisions-h",
        more_context=lambda case: {"fields_template": ROWS_TEMPLATE},
    )


@access_logged("case_support_not_offered")
@login_required
@GET_POST
def support_not_offered(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.SUPPORT,),
        title=_("No supportive measure offered: the reason"),
        intro=_(
            "Every person shown is offered supportive measures. When none was offered, "
            "write down why: the record shows the response was considered, not overlooked."
        ),
        form_class=f.SupportNotOfferedForm,
        form_kwargs=lambda case: selectors.support_not_offered_form_scope(
            user=request.user, case=case
        ),
        save=lambda case, data: parents.support_not_offered_record(
            actor=request.user, case=case, **data
        ),
        success=_("The reason is recorded."),
        anchor="measures-h",
    )
