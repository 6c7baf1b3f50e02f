"""Letters from templates: every kind renders its shipped wording in English and Spanish; the
sandbox refuses what a district's template may not do (tags, unknown variables, a model's
attributes); templates are edited per district with their history; a letter is previewed,
edited, sent once, stored with its notice, event and PDF (whose text is the stored text);
another district's user finds none of it; and each page's query count."""

import datetime as dt
import subprocess
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import letters
from ncii_cases.events import EventType
from ncii_cases.models import (
    AccessEvent,
    CaseEvent,
    CaseParty,
    FormSubmission,
    Letter,
    LetterTemplate,
    ParentNotificationDecision,
    PartyNotice,
    TakedownNotice,
)
from ncii_cases.models import TakedownRequest as TR
from ncii_cases.models_letters import LetterKind
from ncii_cases.services.corrections import StaleRecord
from ncii_cases.services.letters import letter_send, letter_template_save
from ncii_cases.services.takedown_notices import takedown_notice_create
from ncii_cases.services.takedowns import takedown_request_create
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_records import SanctionFactory
from tests.factories_workflow import intervention, platform
from tests.recorded import Event, records

LOCATION = "https://social.example/p/48213 posted by @fake.account.2029"
SPANISH_MARKS = {
    LetterKind.TAKEDOWN: "Declaración de buena fe",
    LetterKind.NO_CONTACT: "orden de no contacto",
}


@pytest.fixture
def letter_case(ready_case, coordinator, private_root):
    """``ready_case`` (a depicted employee, a student respondent found responsible, a measure
    for the depicted person, "notify now" for the respondent's parents) with a parent of the
    respondent who reads Spanish and a sanction."""
    case = ready_case
    respondent = CaseParty.objects.get(case=case, role=c.PartyRole.RESPONDENT)
    depicted = CaseParty.objects.get(case=case, role=c.PartyRole.DEPICTED)
    parent = CasePartyFactory(
        case=case,
        role=c.PartyRole.PARENT,
        person=PersonFactory(
            district=case.district,
            first_name="Lupe",
            last_name="Guardian",
            affiliation=c.Affiliation.NON_AFFILIATED,
        ),
        affiliation=c.Affiliation.NON_AFFILIATED,
        is_minor=False,
        related_to=respondent,
        preferred_language=c.PreferredLanguage.SPANISH,
    )
    SanctionFactory(
        case=case,
        respondent=respondent,
        intervention=intervention("student-suspension"),
        details="Three school days.",
        decided_by=coordinator,
        decided_at=timezone.now(),
    )
    return {"case": case, "depicted": depicted, "respondent": respondent, "parent": parent}


@pytest.fixture
def with_takedown(letter_case, coordinator):
    """A platform takedown request of ``letter_case`` with its TAKE IT DOWN Act notice (a PDF
    rendered: only the tests that need it ask for it)."""
    case, depicted = letter_case["case"], letter_case["depicted"]
    takedown = takedown_request_create(
        actor=coordinator,
        case=case,
        platform=platform("snapchat"),
        location=LOCATION,
        depicted_party=depicted,
        route=TR.Route.PLATFORM,
    )
    takedown_notice_create(
        actor=coordinator,
        case=case,
        takedown=takedown,
        version=takedown.version,
        authority=TakedownNotice.Authority.DEPICTED,
        authorized_by_name="The person shown",
        authorized_on=timezone.localdate(),
        name_depicted=False,
        depicted_name="",
        content_location=f"Platform: Snapchat\nLocation: {LOCATION}",
        statement="The person depicted did not consent to this image being shared.",
        signer_name="Avery Coordinator",
        signer_title="Title IX coordinator",
        signature="/s/ Avery Coordinator",
        contact_email="titleix@district.example",
    )
    return takedown


def _recipient(user, case, kind):
    usable = [
        r for r in letters.letter_recipients(user=user, case=case, kind=kind) if not r.problem
    ]
    assert usable, f"no recipient for {kind}"
    return usable[0]


def _same_shape(real, expected, path="context"):
    """Asserts that ``real`` has the keys and value types of ``expected`` (an empty list has
    no items to compare)."""
    if isinstance(expected, dict):
        assert isinstance(real, dict) and set(real) == set(expected), path
        for key in expected:
            _same_shape(real[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(real, list), path
        for item in real:
            _same_shape(item, expected[0], f"{path}[]")
    else:
        assert type(real) is type(expected), path


# --- Every kind, both languages ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", LetterKind.values)
def test_every_kind_renders_its_shipped_template(request, letter_case, coordinator, kind, language):
    if kind == LetterKind.TAKEDOWN:
        request.getfixturevalue("with_takedown")
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, kind)
    draft = letters.letter_draft(
        case=case, kind=kind, recipient=recipient, sender=coordinator, language=language
    )
    assert draft.language == language and draft.template is None
    assert draft.subject and case.reference in draft.subject + draft.body
    assert "{{" not in draft.body and "{%" not in draft.body
    if kind == LetterKind.TAKEDOWN:
        assert LOCATION in draft.body and "Snapchat" in draft.body
    else:
        assert recipient.name in draft.body
    mark = SPANISH_MARKS.get(kind, "Atentamente" if language == "es" else "Sincerely")
    if language == "es":
        assert mark in draft.body
    else:
        assert "Atentamente" not in draft.body and "Para:" not in draft.body


def test_the_takedown_letter_prints_the_notice_builders_sections(
    letter_case, with_takedown, coordinator
):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.TAKEDOWN)
    draft = letters.letter_draft(
        case=case, kind=LetterKind.TAKEDOWN, recipient=recipient, sender=coordinator, language="en"
    )
    notice = TakedownNotice.objects.get()
    # The stored notice's text and the letter say the same, section by section.
    for section in ("1. The content to remove", "3. Statement of good faith", "5. Signature"):
        assert section in notice.text and section in draft.body
    assert draft.subject == "Removal request under the TAKE IT DOWN Act (Pub. L. 119-12), section 3"


def test_the_notice_of_allegations_carries_what_106_45_b_2_asks(letter_case, coordinator):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.ALLEGATIONS)
    body = letters.letter_draft(
        case=case, kind=LetterKind.ALLEGATIONS, recipient=recipient, sender=coordinator
    ).body
    assert letter_case["respondent"].display_name in body  # identities of the parties
    assert letter_case["depicted"].display_name in body
    assert "sharing an intimate image" in body  # the conduct alleged
    assert "presumed not responsible" in body
    assert "advisor of your choice" in body
    assert "false statements" in body


def _second_party(case, role, first, last):
    return CasePartyFactory(
        case=case,
        role=role,
        person=PersonFactory(district=case.district, first_name=first, last_name=last),
        affiliation=c.Affiliation.STUDENT,
    )


def _allegations_to(coordinator, case, party, language="en") -> str:
    recipient = next(
        r
        for r in letters.letter_recipients(user=coordinator, case=case, kind=LetterKind.ALLEGATIONS)
        if r.party is not None and r.party.pk == party.pk
    )
    return letters.letter_draft(
        case=case,
        kind=LetterKind.ALLEGATIONS,
        recipient=recipient,
        sender=coordinator,
        language=language,
    ).body


def test_a_notice_to_a_person_shown_names_them_and_only_counts_the_others(letter_case, coordinator):
    case, depicted = letter_case["case"], letter_case["depicted"]
    others = [
        _second_party(case, c.PartyRole.DEPICTED, "Other", f"Shown{n}") for n in ("A", "B", "C")
    ]
    body = _allegations_to(coordinator, case, depicted)
    assert f"complainant: {depicted.display_name}, and 3 other people shown" in body
    for other in others:
        assert other.display_name not in body
    assert "complainants:" not in body


def test_a_notice_to_the_respondent_names_no_person_shown(letter_case, coordinator):
    case, respondent = letter_case["case"], letter_case["respondent"]
    other = _second_party(case, c.PartyRole.DEPICTED, "Other", "Shown")
    body = _allegations_to(coordinator, case, respondent)
    assert "2 people shown in the imagery, not named here" in body
    assert letter_case["depicted"].display_name not in body
    assert other.display_name not in body
    assert f"respondent: {respondent.display_name}" in body
    context = letters.letter_context(
        case=case,
        kind=LetterKind.ALLEGATIONS,
        recipient=letters.Recipient(key="x", name="x", label="x", party=respondent),
        language="en",
        sender=coordinator,
    )
    assert (context["complainants"], context["other_complainants"]) == ([], 2)


def test_the_respondents_label_follows_their_number(letter_case, coordinator):
    case, depicted = letter_case["case"], letter_case["depicted"]
    second = _second_party(case, c.PartyRole.RESPONDENT, "Second", "Respondent")
    body = _allegations_to(coordinator, case, depicted)
    assert f"respondents: {letter_case['respondent'].display_name}, {second.display_name}" in body
    spanish = _allegations_to(coordinator, case, depicted, language="es")
    assert "demandados: " in spanish
    _second_party(case, c.PartyRole.DEPICTED, "Other", "Shown")
    spanish = _allegations_to(coordinator, case, depicted, language="es")
    assert f"demandante: {depicted.display_name}, y 1 otra persona que aparece" in spanish


@pytest.mark.parametrize("kind", LetterKind.values)
def test_the_real_context_has_the_shape_the_sandbox_checks_against(
    request, letter_case, coordinator, kind
):
    if kind == LetterKind.TAKEDOWN:
        request.getfixturevalue("with_takedown")
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, kind)
    context = letters.letter_context(
        case=case, kind=kind, recipient=recipient, language="en", sender=coordinator
    )
    _same_shape(context, letters.KIND_SAMPLES[kind])


def test_the_complainants_outcome_letter_names_no_sanction(letter_case, coordinator):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.OUTCOME_COMPLAINANT)
    context = letters.letter_context(
        case=case,
        kind=LetterKind.OUTCOME_COMPLAINANT,
        recipient=recipient,
        language="en",
        sender=coordinator,
    )
    assert "sanctions" not in context
    body = letters.letter_draft(
        case=case, kind=LetterKind.OUTCOME_COMPLAINANT, recipient=recipient, sender=coordinator
    ).body
    assert "Three school days" not in body and "Suspension" not in body
    respondent_letter = letters.letter_draft(
        case=case,
        kind=LetterKind.OUTCOME_RESPONDENT,
        recipient=_recipient(coordinator, case, LetterKind.OUTCOME_RESPONDENT),
        sender=coordinator,
    ).body
    assert "Three school days" in respondent_letter


# --- Language ---------------------------------------------------------------------------------


def test_a_parent_who_reads_spanish_gets_the_spanish_letter(letter_case, coordinator):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.PARENT)
    assert recipient.party == letter_case["parent"]
    draft = letters.letter_draft(
        case=case, kind=LetterKind.PARENT, recipient=recipient, sender=coordinator
    )
    assert draft.language == "es" and not draft.language_note
    assert "Sobre su hijo(a)" in draft.subject and "Atentamente" in draft.body
    assert letters.date_words(timezone.now(), "es", letters._zone(case)) in draft.body
    assert "padre, madre o tutor" not in draft.body  # the student's role, not the recipient's
    assert "demandado" in draft.body  # the respondent's role, in Spanish
    assert letter_case["respondent"].display_name in draft.body


def test_dates_are_written_out_in_the_letters_language():
    day = dt.date(2026, 3, 5)
    assert letters.date_words(day, "en") == "March 5, 2026"
    assert letters.date_words(day, "es") == "5 de marzo de 2026"


def test_a_language_without_a_template_falls_back_to_english_with_a_note(letter_case, coordinator):
    parent = letter_case["parent"]
    parent.preferred_language = c.PreferredLanguage.VIETNAMESE
    parent.save()
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.PARENT)
    draft = letters.letter_draft(
        case=case, kind=LetterKind.PARENT, recipient=recipient, sender=coordinator
    )
    assert draft.language == "en" and "Sincerely" in draft.body
    assert "Vietnamese" in draft.language_note and "English" in draft.language_note
    letter = letter_send(
        actor=coordinator,
        case=case,
        kind=LetterKind.PARENT,
        recipient_key=recipient.key,
        language=draft.language,
        subject=draft.subject,
        body=draft.body,
    )
    assert "Vietnamese" in letter.language_note


def test_the_preferred_language_is_corrected_on_the_party_page(client, letter_case, coordinator):
    parent = letter_case["parent"]
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_record_correct", args=[letter_case["case"].pk, "party"])
    form = client.get(url, {"record": parent.pk}).context["form"]
    assert form.initial["preferred_language"] == c.PreferredLanguage.SPANISH
    data = {k: v for k, v in form.initial.items() if v is not None and k != "affiliations"}
    data.update(
        preferred_language=c.PreferredLanguage.ENGLISH,
        reason="The parent asked for letters in English.",
        affiliations=[c.Affiliation.NON_AFFILIATED],
    )
    with records(
        Event(EventType.RECORD_CORRECTED, coordinator, {"changes", "label", "record", "record_id"}),
        queries=41,
    ):
        response = client.post(url + f"?record={parent.pk}", data)
    assert response.status_code == 302, response.context["form"].errors
    parent.refresh_from_db()
    assert parent.preferred_language == c.PreferredLanguage.ENGLISH
    event = CaseEvent.objects.filter(event_type=EventType.RECORD_CORRECTED).latest("pk")
    assert event.detail["changes"]["preferred_language"] == ["es", "en"]


def test_no_parent_letter_while_the_decision_says_do_not_notify(letter_case, coordinator):
    case = letter_case["case"]
    ParentNotificationDecision.objects.filter(case=case).update(
        decision=ParentNotificationDecision.Decision.DO_NOT_NOTIFY, explanation="Risk at home."
    )
    (recipient,) = letters.letter_recipients(user=coordinator, case=case, kind=LetterKind.PARENT)
    assert "Do not notify" in recipient.problem
    with pytest.raises(ValidationError, match="Do not notify"):
        letter_send(
            actor=coordinator,
            case=case,
            kind=LetterKind.PARENT,
            recipient_key=recipient.key,
            language="es",
            subject="Subject",
            body="Text",
        )
    assert (
        not Letter.objects.exists()
        and not PartyNotice.objects.filter(
            method="letter", kind="parent", party=letter_case["parent"]
        ).exists()
    )


# --- The sandbox ------------------------------------------------------------------------------

FORBIDDEN_TAGS = {
    "load": "{% load static %}{% static 'x' %}",
    "include": "{% include 'base.html' %}",
    "extends": "{% extends 'base.html' %}",
    "debug": "{% debug %}",
    "ssi": "{% ssi '/etc/passwd' %}",
    "url": "{% url 'ncii_cases:home' %}",
    "csrf_token": "{% csrf_token %}",
    "now": '{% now "Y" %}',
}


@pytest.mark.parametrize("tag", FORBIDDEN_TAGS)
def test_the_sandbox_refuses_each_forbidden_tag_by_name(tag):
    with pytest.raises(letters.LetterTemplateError) as refused:
        letters.template_check(FORBIDDEN_TAGS[tag], kind=LetterKind.ALLEGATIONS)
    assert f"{{% {tag} %}}" in refused.value.problems[0]


@pytest.mark.parametrize(
    "source, named",
    [
        ("{{ case.district.coordinator_email }}", "case.district.coordinator_email"),
        ("{{ student.name }}", "student.name"),  # another kind's variable
        ("{{ recipient.email }}", "recipient.email"),
        ("{{ recipient.name.upper }}", "recipient.name.upper"),  # a str's method
        ("{% for p in respondents %}{{ p.person }}{% endfor %}", "p.person"),
        ("{% if district.secret %}x{% endif %}", "district.secret"),
        ("{{ recipient.name|default:case }}", "case"),
        ("{% with x=district %}{{ x.id }}{% endwith %}", "x.id"),
    ],
)
def test_the_sandbox_refuses_an_unknown_variable_naming_it(source, named):
    with pytest.raises(letters.LetterTemplateError) as refused:
        letters.template_check(source, kind=LetterKind.ALLEGATIONS)
    assert f"“{named}”" in " ".join(refused.value.problems)


@pytest.mark.parametrize(
    "source", ["{{ x.__class__ }}", "{{ recipient.__class__.__mro__ }}", "{{ _private }}"]
)
def test_the_sandbox_refuses_underscore_attributes(source):
    with pytest.raises(letters.LetterTemplateError, match="underscore"):
        letters.template_check(source, kind=LetterKind.ALLEGATIONS)


def test_the_sandbox_refuses_a_filter_outside_its_list():
    with pytest.raises(letters.LetterTemplateError, match="“safe”"):
        letters.template_check("{{ recipient.name|safe }}", kind=LetterKind.ALLEGATIONS)


def test_the_context_never_holds_a_model_instance(letter_case):
    with pytest.raises(TypeError, match="plain values"):
        letters.template_render(
            "{{ reference }}",
            kind=LetterKind.ALLEGATIONS,
            context={**letters.KIND_SAMPLES["allegations"], "reference": letter_case["case"]},
        )


def test_a_template_renders_plain_text_without_escaping():
    text = letters.template_render(
        "{{ recipient.name }} & {{ district.name }}",
        kind=LetterKind.ALLEGATIONS,
        context={
            **letters.KIND_SAMPLES["allegations"],
            "recipient": {"name": "O'Neil <A>", "role": "x"},
        },
    )
    assert text == "O'Neil <A> & Riverside Unified School District"


# --- Templates per district -------------------------------------------------------------------


def test_each_save_keeps_a_new_version_and_the_history(district, coordinator):
    first = letter_template_save(
        actor=coordinator,
        district=district,
        kind="no_contact",
        language="en",
        subject="Directive {{ reference }}",
        body="Dear {{ recipient.name }}, do not contact {{ protected|join:', ' }}.",
        base_number=0,
    )
    second = letter_template_save(
        actor=coordinator,
        district=district,
        kind="no_contact",
        language="en",
        subject="No-contact directive {{ reference }}",
        body="Dear {{ recipient.name }}: no contact with {{ protected|join:', ' }}.",
        note="Clearer subject",
        base_number=1,
    )
    assert (first.number, second.number) == (1, 2)
    versions = list(letters.template_versions(district=district, kind="no_contact", language="en"))
    assert versions == [second, first]
    assert first.subject == "Directive {{ reference }}"  # the old version is kept as it was
    assert letters.template_in_force(district_id=district.pk, kind="no_contact", language="en") == (
        second
    )


def test_a_save_from_an_older_version_is_refused(district, coordinator):
    kwargs = {
        "actor": coordinator,
        "district": district,
        "kind": "support",
        "language": "es",
        "subject": "Apoyo {{ reference }}",
        "body": "Hola {{ recipient.name }}",
    }
    letter_template_save(**kwargs, base_number=0)
    with pytest.raises(StaleRecord):
        letter_template_save(**kwargs, base_number=0)
    assert LetterTemplate.objects.count() == 1


def test_an_invalid_template_is_not_saved_and_the_error_names_it(district, coordinator):
    with pytest.raises(letters.LetterTemplateError) as refused:
        letter_template_save(
            actor=coordinator,
            district=district,
            kind="support",
            language="en",
            subject="{{ reference }}",
            body="{% load static %}{{ case.narrative }}",
            base_number=0,
        )
    assert "{% load %}" in " ".join(refused.value.problems)
    with pytest.raises(letters.LetterTemplateError) as refused:
        letter_template_save(
            actor=coordinator,
            district=district,
            kind="support",
            language="en",
            subject="{{ reference }}",
            body="{{ case.narrative }}",
            base_number=0,
        )
    assert "“case.narrative”" in " ".join(refused.value.problems)
    assert not LetterTemplate.objects.exists()


@pytest.mark.parametrize("persona", ["investigator", "counselor", "auditor", "it_admin"])
def test_only_who_may_manage_letters_saves_a_template(request, district, persona):
    from ncii_cases.errors import TransitionForbidden

    with pytest.raises(TransitionForbidden):
        letter_template_save(
            actor=request.getfixturevalue(persona),
            district=district,
            kind="support",
            language="en",
            subject="{{ reference }}",
            body="Text",
            base_number=0,
        )


def test_a_saved_template_is_used_for_the_next_letter(letter_case, coordinator):
    case = letter_case["case"]
    letter_template_save(
        actor=coordinator,
        district=case.district,
        kind="support",
        language="en",
        subject="Your support — {{ reference }}",
        body="Hello {{ recipient.name }}.{% for m in measures %} {{ m.name }}.{% endfor %}",
        base_number=0,
    )
    recipient = _recipient(coordinator, case, LetterKind.SUPPORT)
    draft = letters.letter_draft(
        case=case, kind=LetterKind.SUPPORT, recipient=recipient, sender=coordinator
    )
    assert draft.template.number == 1
    assert draft.body.startswith(f"Hello {recipient.name}.")
    assert draft.subject == f"Your support — {case.reference}"


# --- Sending ----------------------------------------------------------------------------------


def _pdftotext(letter) -> str:
    with letter.pdf.open("rb") as handle:
        content = handle.read()
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True
    )
    return out.stdout.decode()


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_pdfs_text_is_the_stored_text(letter_case, coordinator, language):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.ALLEGATIONS)
    draft = letters.letter_draft(
        case=case,
        kind=LetterKind.ALLEGATIONS,
        recipient=recipient,
        sender=coordinator,
        language=language,
    )
    letter = letter_send(
        actor=coordinator,
        case=case,
        kind=LetterKind.ALLEGATIONS,
        recipient_key=recipient.key,
        language=language,
        subject=draft.subject,
        body=draft.body,
    )
    assert _words(_pdftotext(letter)) == _words(letter.text)
    assert not letter.edited


def test_a_sent_letter_is_logged_as_its_notice_with_one_event(letter_case, coordinator):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.NO_CONTACT)
    letter = letter_send(
        actor=coordinator,
        case=case,
        kind=LetterKind.NO_CONTACT,
        recipient_key=recipient.key,
        language="en",
        subject="No-contact directive",
        body="Edited by hand.\n\nSecond paragraph.",
    )
    assert letter.edited and letter.body == "Edited by hand.\n\nSecond paragraph."
    notice = letter.notice
    assert notice.method == PartyNotice.Method.LETTER and notice.party == recipient.party
    assert notice.kind == PartyNotice.Kind.OTHER and notice.recipient_name == recipient.name
    event = CaseEvent.objects.get(case=case, event_type=EventType.LETTER_SENT)
    assert event.actor == coordinator
    assert event.detail["letter_id"] == letter.pk and event.detail["notice_id"] == notice.pk
    assert event.detail["pdf_sha256"] == letter.pdf_sha256
    assert letter.history.count() == 1


def test_a_forged_recipient_is_refused(letter_case, coordinator, foreign_case):
    case = letter_case["case"]
    stranger = CasePartyFactory(case=foreign_case, role=c.PartyRole.RESPONDENT)
    for key in (f"party-{stranger.pk}", f"party-{letter_case['parent'].pk}", "party-x"):
        with pytest.raises(ValidationError, match="cannot get this letter"):
            letter_send(
                actor=coordinator,
                case=case,
                kind=LetterKind.ALLEGATIONS,
                recipient_key=key,
                language="en",
                subject="S",
                body="B",
            )
    assert not Letter.objects.exists()


# --- The pages --------------------------------------------------------------------------------


def _compose_url(case, kind, key):
    return reverse("ncii_cases:case_letter_compose", args=[case.pk, kind, key])


def test_the_coordinator_previews_edits_and_sends_a_letter(
    client, letter_case, coordinator, django_assert_max_num_queries
):
    case = letter_case["case"]
    login_verified(client, coordinator)
    with django_assert_max_num_queries(60):
        listing = client.get(reverse("ncii_cases:case_letters", args=[case.pk]))
    assert listing.status_code == 200
    recipient = _recipient(coordinator, case, LetterKind.ALLEGATIONS)
    url = _compose_url(case, LetterKind.ALLEGATIONS, recipient.key)
    assert url in listing.content.decode()
    with django_assert_max_num_queries(30):
        page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    body = form.initial["body"].replace("You may have an advisor", "You may bring an advisor")
    data = {
        "subject": form.initial["subject"],
        "body": body,
        "language": "en",
        "submission_token": form.initial["submission_token"],
    }
    with records(queries=15):
        preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200 and "You may bring an advisor" in preview.content.decode()
    assert not Letter.objects.exists()
    with records(
        Event(
            EventType.LETTER_SENT,
            coordinator,
            {
                "edited",
                "kind",
                "language",
                "letter_id",
                "notice_id",
                "party_id",
                "pdf_sha256",
                "takedown_id",
                "template_id",
            },
        ),
        queries=49,
    ):
        sent = client.post(url, {**data, "send": "1"})
    letter = Letter.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("ncii_cases:case_letter", args=[case.pk, letter.pk])
    assert "You may bring an advisor" in letter.body and letter.edited
    with django_assert_max_num_queries(20):
        shown = client.get(sent["Location"])
    assert shown.status_code == 200 and "You may bring an advisor" in shown.content.decode()
    download_url = reverse("ncii_cases:case_letter_download", args=[case.pk, letter.pk])
    with django_assert_max_num_queries(20):
        pdf = client.get(download_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment")
    assert f"{case.reference}-letter-{letter.pk}.pdf" in pdf["Content-Disposition"]
    assert pdf["Cache-Control"] == "no-store, private"
    for action in ("case_letters", "case_letter_compose", "case_letter", "case_letter_download"):
        assert AccessEvent.objects.filter(action=action, case_id=case.pk, allowed=True).exists()


def test_the_letters_page_reads_as_many_queries_whatever_the_number_of_people(
    client, letter_case, coordinator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = letter_case["case"]
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_letters", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(3):
        respondent = CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT)
        CasePartyFactory(case=case, role=c.PartyRole.PARENT, is_minor=False, related_to=respondent)
        CasePartyFactory(case=case, role=c.PartyRole.WITNESS)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    # Four respondents now, each under each kind that goes to respondents.
    assert page.content.decode().count("(respondent)") >= 4 * 3
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_same_letter_form_sent_twice_records_one_letter(client, letter_case, coordinator):
    case = letter_case["case"]
    login_verified(client, coordinator)
    recipient = _recipient(coordinator, case, LetterKind.SUPPORT)
    url = _compose_url(case, LetterKind.SUPPORT, recipient.key)
    form = client.get(url).context["form"]
    data = {
        "subject": form.initial["subject"],
        "body": form.initial["body"],
        "language": form.initial["language"],
        "submission_token": form.initial["submission_token"],
        "send": "1",
    }
    with records(
        Event(
            EventType.LETTER_SENT,
            coordinator,
            {
                "edited",
                "kind",
                "language",
                "letter_id",
                "notice_id",
                "party_id",
                "pdf_sha256",
                "takedown_id",
                "template_id",
            },
        ),
        queries=45,
    ):
        first = client.post(url, data)
    with records(queries=25):
        second = client.post(url, data, follow=True)
    assert first.status_code == 302
    assert Letter.objects.count() == 1 and FormSubmission.objects.count() == 1
    assert "already sent" in second.content.decode()
    assert CaseEvent.objects.filter(event_type=EventType.LETTER_SENT).count() == 1
    assert PartyNotice.objects.filter(method="letter", kind="support").count() == 1


def test_the_compose_page_shows_why_a_letter_cannot_go(client, letter_case, coordinator):
    case = letter_case["case"]
    ParentNotificationDecision.objects.filter(case=case).update(
        decision=ParentNotificationDecision.Decision.DELAY,
        delay_until=timezone.localdate() + dt.timedelta(days=10),
    )
    login_verified(client, coordinator)
    key = f"party-{letter_case['parent'].pk}"
    page = client.get(_compose_url(case, LetterKind.PARENT, key))
    assert page.status_code == 200 and "Delay until a date" in page.content.decode()
    assert "form" not in page.context
    with records(queries=12):
        posted = client.post(
            _compose_url(case, LetterKind.PARENT, key),
            {"subject": "S", "body": "B", "language": "es", "send": "1"},
        )
    assert posted.status_code == 200 and not Letter.objects.exists()


@pytest.fixture
def sent_letter(letter_case, coordinator):
    case = letter_case["case"]
    recipient = _recipient(coordinator, case, LetterKind.ALLEGATIONS)
    return letter_send(
        actor=coordinator,
        case=case,
        kind=LetterKind.ALLEGATIONS,
        recipient_key=recipient.key,
        language="en",
        subject="Notice of allegations",
        body="Text of the letter.",
    )


@pytest.mark.parametrize("persona", ["outsider", "auditor", "it_admin", "staff_reporter"])
def test_another_districts_user_and_roles_without_the_right_find_nothing(
    client, request, letter_case, sent_letter, coordinator, persona
):
    case = letter_case["case"]
    version = letter_template_save(
        actor=coordinator,
        district=case.district,
        kind="support",
        language="en",
        subject="{{ reference }}",
        body="Text",
        base_number=0,
    )
    login_verified(client, request.getfixturevalue(persona))
    key = f"party-{letter_case['respondent'].pk}"
    gets = [
        reverse("ncii_cases:case_letters", args=[case.pk]),
        _compose_url(case, LetterKind.ALLEGATIONS, key),
        reverse("ncii_cases:case_letter", args=[case.pk, sent_letter.pk]),
        reverse("ncii_cases:case_letter_download", args=[case.pk, sent_letter.pk]),
        reverse("ncii_cases:letter_template_version", args=[version.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    with records(queries=10):
        send = client.post(
            _compose_url(case, LetterKind.ALLEGATIONS, key),
            {
                "subject": "S",
                "body": "B",
                "language": "en",
                "send": "1",
                "submission_token": str(uuid.uuid4()),
            },
        )
    assert send.status_code == 404
    assert Letter.objects.count() == 1
    assert not AccessEvent.objects.filter(action="case_letter_download", allowed=True).exists()


def test_the_other_districts_coordinator_edits_only_their_own_templates(
    client, district, coordinator, outsider
):
    letter_template_save(
        actor=coordinator,
        district=district,
        kind="support",
        language="en",
        subject="Ours {{ reference }}",
        body="Our text",
        base_number=0,
    )
    login_verified(client, outsider)
    page = client.get(reverse("ncii_cases:letter_template_edit", args=["support", "en"]))
    assert page.status_code == 200 and "Our text" not in page.content.decode()
    assert page.context["current"] is None
    with records(queries=18):
        saved = client.post(
            reverse("ncii_cases:letter_template_edit", args=["support", "en"]),
            {"subject": "Theirs {{ reference }}", "body": "Their text", "base_number": 0},
        )
    assert saved.status_code == 302
    assert LetterTemplate.objects.get(subject__startswith="Theirs").district == outsider.district
    assert LetterTemplate.objects.get(subject__startswith="Ours").number == 1


def test_a_support_staff_member_prepares_only_the_supportive_measures_letter(
    client, letter_case, counselor
):
    case = letter_case["case"]
    kinds = {spec.kind for spec in letters.kinds_for_user(counselor, case)}
    assert kinds == {LetterKind.SUPPORT}
    login_verified(client, counselor)
    key = f"party-{letter_case['depicted'].pk}"
    assert client.get(_compose_url(case, LetterKind.SUPPORT, key)).status_code == 200
    assert client.get(_compose_url(case, LetterKind.ALLEGATIONS, key)).status_code == 404


def test_the_template_pages(client, district, coordinator, django_assert_max_num_queries):
    login_verified(client, coordinator)
    with django_assert_max_num_queries(20):
        listing = client.get(reverse("ncii_cases:letter_templates"))
    assert listing.status_code == 200
    assert len(listing.context["rows"]) == len(LetterKind.values) * 2
    url = reverse("ncii_cases:letter_template_edit", args=["no_contact", "es"])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["body"] == letters.default_template("no_contact", "es")[1]
    with records(queries=16):
        refused = client.post(
            url,
            {
                "subject": "{{ reference }}",
                "body": "{% include 'x.html' %}{{ recipient.address }}",
                "base_number": 0,
            },
        )
    assert refused.status_code == 200
    content = refused.content.decode()
    assert "{% include %}" in content and "is not allowed" in content
    assert not LetterTemplate.objects.exists()
    with records(queries=18):
        saved = client.post(
            url,
            {
                "subject": "Orden — {{ reference }}",
                "body": "{{ recipient.name }}: no contacte a {{ protected|join:', ' }}.",
                "note": "Más breve",
                "base_number": 0,
            },
        )
    assert saved.status_code == 302
    version = LetterTemplate.objects.get()
    assert (version.number, version.created_by, version.note) == (1, coordinator, "Más breve")
    with records(queries=17):
        stale = client.post(url, {"subject": "Otra", "body": "Texto", "base_number": 0})
    assert stale.status_code == 200 and "newer version" in stale.content.decode()
    with django_assert_max_num_queries(20):
        shown = client.get(reverse("ncii_cases:letter_template_version", args=[version.pk]))
    assert shown.status_code == 200 and "no contacte" in shown.content.decode()
    assert AccessEvent.objects.filter(action="letter_template_edit", allowed=True).exists()


@pytest.mark.parametrize("persona", ["investigator", "counselor", "auditor", "it_admin"])
def test_the_template_pages_do_not_exist_without_the_right(client, request, persona):
    login_verified(client, request.getfixturevalue(persona))
    assert client.get(reverse("ncii_cases:letter_templates")).status_code == 404
    url = reverse("ncii_cases:letter_template_edit", args=["support", "en"])
    assert client.get(url).status_code == 404
    with records(queries=9):
        assert client.post(url, {"subject": "s", "body": "b", "base_number": 0}).status_code == 404
    assert not LetterTemplate.objects.exists()
