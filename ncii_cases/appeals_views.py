"""The appeal pages of a case (file, name the decision-maker, record the other party's
response, decide) and the page of Process A's dated steps. Each reads like the other record
pages (``case_views._record_page``): the case through a selector (404 unless the user may take
the page's action), one service call, a message, back to the case page."""

from django.contrib.auth.decorators import login_required

from ncii_cases.selectors import cases as selectors

from . import forms_appeals as fa
from .access_log import access_logged
from .case_views import GET_POST, _record_page
from .permissions import Action
from .services import appeals


def _scope(request):
    return lambda case: selectors.appeal_form_scope(user=request.user, case=case)


@access_logged("case_appeal_file")
@login_required
@GET_POST
def appeal_file(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Record an appeal",
        intro="Either party may appeal a determination, or a dismissal, within the district's "
        "appeal window. While an appeal of a determination is pending, its sanctions are stayed "
        "unless the district decided otherwise; supportive measures continue.",
        form_class=fa.AppealFileForm,
        form_kwargs=_scope(request),
        save=lambda case, data: appeals.appeal_file(actor=request.user, case=case, **data),
        success="The appeal is recorded; the case is at the appeal stage.",
        anchor="appeals-h",
    )


@access_logged("case_appeal_decision_maker")
@login_required
@GET_POST
def appeal_decision_maker(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Name the appeal decision-maker",
        intro=appeals.INDEPENDENCE_SOURCE,
        form_class=fa.AppealDecisionMakerForm,
        form_kwargs=_scope(request),
        save=lambda case, data: appeals.appeal_decision_maker_set(
            actor=request.user, case=case, user=data["decision_maker"]
        ),
        success="The appeal decision-maker is named.",
        anchor="appeals-h",
    )


@access_logged("case_appeal_response")
@login_required
@GET_POST
def appeal_response(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Record the other party's response to the appeal",
        form_class=fa.AppealResponseForm,
        form_kwargs=_scope(request),
        save=lambda case, data: appeals.appeal_response_record(
            actor=request.user, case=case, **data
        ),
        success="The response is recorded.",
        anchor="appeals-h",
    )


@access_logged("case_appeal_decide")
@login_required
@GET_POST
def appeal_decide(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.DECIDE,),
        title="Decide the appeal",
        intro="Only the named appeal decision-maker records the decision. Both parties are "
        "told of it at the same time; one notice per party is recorded with it.",
        form_class=fa.AppealDecisionForm,
        form_kwargs=_scope(request),
        save=lambda case, data: appeals.appeal_decide(actor=request.user, case=case, **data),
        success="The appeal is decided and both parties' notices are recorded.",
        anchor="appeals-h",
    )


@access_logged("case_process_a_milestone")
@login_required
@GET_POST
def process_a_milestone(request, pk):
    return _record_page(
        request,
        pk,
        actions=(Action.WORK,),
        title="Record a step of the formal process (Process A)",
        intro="The formal Title IX grievance process (34 CFR 106.45) runs on its own timeline; "
        "record when each step happened. The parties have 10 days to review the evidence "
        "before the report, and 10 days with the report before the determination.",
        form_class=fa.MilestoneForm,
        save=lambda case, data: appeals.process_a_milestone_record(
            actor=request.user, case=case, **data
        ),
        success="The step is recorded.",
        anchor="process-a-h",
    )
