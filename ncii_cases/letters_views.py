"""Letters from templates: the case's letters (sent ones, and whom each kind may go to), the
letter prepared from the template (preview, edit for this letter, send), the letter and its
PDF; and the district's templates (list, edit with history, an old version).

A case page the user may not use does not exist for them (404), another district's template
version neither. Every request is access-logged; the PDF is an attachment no cache keeps.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ncii_cases.selectors import cases as selectors

from . import letters
from .access_log import access_case, access_logged
from .case_views import form_errors_add, form_save_once
from .errors import TransitionForbidden
from .forms_letters import LetterSendForm, LetterTemplateForm
from .models_letters import LetterKind, LetterLanguage
from .permissions import Action
from .services import letters as letter_services
from .services.corrections import StaleRecord

CASE_ACTIONS = (Action.WORK, Action.SUPPORT)


def _case_for(request, pk):
    case = selectors.case_get_for_user_any(user=request.user, pk=pk, actions=CASE_ACTIONS)
    access_case(request, case)
    return case


@access_logged("case_letters")
@login_required
@require_GET
def case_letters(request, pk):
    """The letters sent on the case, and for each kind the user may send, whom it may go to
    (a link to prepare it) or why it cannot go now."""
    case = _case_for(request, pk)
    kinds = [
        {"spec": spec, "label": LetterKind(spec.kind).label, "recipients": recipients}
        for spec in letters.kinds_for_user(request.user, case)
        for recipients in [letters.letter_recipients(user=request.user, case=case, kind=spec.kind)]
    ]
    return render(
        request,
        "ncii_cases/letters/case_letters.html",
        {
            "case": case,
            "kinds": kinds,
            "sent": list(letters.case_letters_for_user(user=request.user, case=case)),
            "may_edit_templates": letters.letter_district_for_user(request.user) is not None,
        },
    )


@access_logged("case_letter_compose")
@login_required
@require_http_methods(["GET", "POST"])
def letter_compose(request, pk, kind, recipient):
    """The letter of ``kind`` to ``recipient`` rendered from the template in force: a preview,
    the text to edit for this letter, and the send (text, PDF, notice and event stored). A
    form sent twice records one letter."""
    case = _case_for(request, pk)
    if kind not in LetterKind.values:
        raise Http404("No such kind of letter.")
    chosen = letters.letter_recipient(user=request.user, case=case, kind=kind, key=recipient)
    if chosen is None:
        raise Http404("No such recipient.")
    back = reverse("ncii_cases:case_letters", args=[case.pk])
    language = request.POST.get("language") or request.GET.get("language") or ""
    context = {
        "case": case,
        "kind_label": LetterKind(kind).label,
        "recipient": chosen,
        "back": back,
        "languages": LetterLanguage.choices,
    }
    if chosen.problem:
        context["problem"] = chosen.problem
        return render(request, "ncii_cases/letters/compose.html", context)
    try:
        draft = letters.letter_draft(
            case=case, kind=kind, recipient=chosen, sender=request.user, language=language
        )
    except letters.LetterTemplateError as exc:
        context["problem"] = _(
            "The district's template of this letter no longer renders: %(problems)s Ask who "
            "edits the templates to correct it."
        ) % {"problems": " ".join(exc.problems)}
        return render(request, "ncii_cases/letters/compose.html", context)
    context["draft"] = draft
    if request.method == "GET":
        form = LetterSendForm(
            initial={"subject": draft.subject, "body": draft.body, "language": draft.language}
        )
        context.update(form=form, preview_subject=draft.subject, preview_body=draft.body)
        return render(request, "ncii_cases/letters/compose.html", context)
    form = LetterSendForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "ncii_cases/letters/compose.html", context)
    context.update(
        preview_subject=form.cleaned_data["subject"], preview_body=form.cleaned_data["body"]
    )
    if "send" not in request.POST:
        context["edited_preview"] = True
        return render(request, "ncii_cases/letters/compose.html", context)
    token = form.cleaned_data.get("submission_token")

    def send() -> str:
        letter = letter_services.letter_send(
            actor=request.user,
            case=case,
            kind=kind,
            recipient_key=chosen.key,
            language=form.cleaned_data["language"],
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        return reverse("ncii_cases:case_letter", args=[case.pk, letter.pk])

    success = _("The letter to %(name)s is recorded with its PDF. Download it to send it.") % {
        "name": chosen.name
    }
    try:
        return form_save_once(request, token, back=back, save=send, success=success)
    except ValidationError as exc:
        form_errors_add(form, exc)
    except TransitionForbidden as exc:
        form.add_error(None, str(exc))
    return render(request, "ncii_cases/letters/compose.html", context)


@access_logged("case_letter")
@login_required
@require_GET
def case_letter(request, pk, letter_pk):
    """One letter as sent: its text, who sent it when, from which template, and its PDF."""
    case = _case_for(request, pk)
    letter = letters.case_letter_for_user(user=request.user, case=case, pk=letter_pk)
    if letter is None:
        raise Http404("No such letter.")
    return render(request, "ncii_cases/letters/letter.html", {"case": case, "letter": letter})


@access_logged("case_letter_download")
@login_required
@require_GET
def case_letter_download(request, pk, letter_pk):
    """The letter's PDF, an attachment named by the case reference and the letter's number
    (never a person's name)."""
    case = _case_for(request, pk)
    letter = letters.case_letter_for_user(user=request.user, case=case, pk=letter_pk)
    if letter is None or not letter.pdf:
        raise Http404("No such letter.")
    response = FileResponse(
        letter.pdf.open("rb"),
        as_attachment=True,
        filename=f"{case.reference}-letter-{letter.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _district_for(request):
    district = letters.letter_district_for_user(request.user)
    if district is None:
        raise Http404("No such page.")
    return district


@access_logged("letter_templates")
@login_required
@require_GET
def letter_templates(request):
    """The district's letter templates: each kind in each language, with its version in
    force."""
    district = _district_for(request)
    return render(
        request,
        "ncii_cases/letters/templates.html",
        {"district": district, "rows": letters.template_overview(district)},
    )


@access_logged("letter_template_edit")
@login_required
@require_http_methods(["GET", "POST"])
def letter_template_edit(request, kind, language):
    """Edits a template: the version in force (or the shipped default) in a form, the
    variables it may use, its history; a save checks it in the sandbox and keeps the next
    version. A form opened on an older version is refused, with the text kept."""
    district = _district_for(request)
    if kind not in LetterKind.values or language not in LetterLanguage.values:
        raise Http404("No such template.")
    current = letters.template_in_force(district_id=district.pk, kind=kind, language=language)
    subject, body = (
        (current.subject, current.body) if current else letters.default_template(kind, language)
    )
    initial = {"subject": subject, "body": body, "base_number": current.number if current else 0}
    form = LetterTemplateForm(request.POST or None, initial=initial)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            saved = letter_services.letter_template_save(
                actor=request.user,
                district=district,
                kind=kind,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                note=form.cleaned_data["note"],
                base_number=form.cleaned_data["base_number"],
            )
        except letters.LetterTemplateError as exc:
            for message in exc.problems:
                form.add_error(None, message)
        except StaleRecord as exc:
            problem = exc.messages[0]
        except (ValidationError, TransitionForbidden) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(
                request,
                _("Version %(n)d of this template is saved and now in force.")
                % {"n": saved.number},
            )
            return redirect(request.path)
    sample = None
    if current is not None or request.method == "GET":
        sample = _sample(kind, subject, body)
    return render(
        request,
        "ncii_cases/letters/template_edit.html",
        {
            "district": district,
            "kind": kind,
            "kind_label": LetterKind(kind).label,
            "language": language,
            "language_label": LetterLanguage(language).label,
            "form": form,
            "current": current,
            "problem": problem,
            "versions": list(
                letters.template_versions(district=district, kind=kind, language=language)
            ),
            "variables": letters.variables_of(kind),
            "sample": sample,
        },
    )


def _sample(kind, subject, body):
    try:
        return {
            "subject": letters.template_render(
                subject, kind=kind, context=letters.KIND_SAMPLES[kind]
            ),
            "body": letters.template_render(body, kind=kind, context=letters.KIND_SAMPLES[kind]),
        }
    except letters.LetterTemplateError:
        return None


@access_logged("letter_template_version")
@login_required
@require_GET
def letter_template_version(request, version_pk):
    """One saved version of a template of the user's district (404 for another district's)."""
    version = letters.template_version_for_user(user=request.user, pk=version_pk)
    if version is None:
        raise Http404("No such template version.")
    return render(
        request,
        "ncii_cases/letters/template_version.html",
        {"version": version, "sample": _sample(version.kind, version.subject, version.body)},
    )
