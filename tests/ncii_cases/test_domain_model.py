import threading

import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent, SupportingDocument
from ncii_cases.services.cases import PartyInput, case_create
from ncii_cases.storage import DocumentStorage


def test_no_model_has_a_field_that_can_hold_image_bytes():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            assert not isinstance(field, models.BinaryField), f"{model.__name__}.{field.name}"
            assert not isinstance(field, models.ImageField), f"{model.__name__}.{field.name}"
            if isinstance(field, models.FileField):
                # Checked uploads, and the generated TAKE IT DOWN Act notice letters and
                # letters from templates (PDF).
                assert model.__name__.removeprefix("Historical") in {
                    SupportingDocument.__name__,
                    "TakedownNotice",
                    "Letter",
                }
                assert isinstance(field.storage, DocumentStorage)


def test_document_storage_refuses_image_bytes_even_when_called_directly(tmp_path, settings):
    from django.core.files.base import ContentFile

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    storage = DocumentStorage()
    png_header = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(ValueError, match="Refused"):
        storage.save("documents/x.pdf", ContentFile(png_header))
    assert list(tmp_path.rglob("*")) == []


def test_every_case_data_model_keeps_history():
    case_models = [
        m
        for m in apps.get_app_config("ncii_cases").get_models()
        if not m.__name__.startswith("Historical")
        and m.__name__
        not in {
            "CaseEvent",
            "AccessEvent",
            "ReferenceCounter",
            "AuditChainHead",
            "AuditVerification",  # verification runs of the audit chains, not case data
            # Second-factor enrollment links and resets: account security, not case data;
            # every step of them is in the access log.
            "EnrollmentLink",
            "SecondFactorReset",
            "FormSubmission",  # one-time tokens of sent forms, not case data
            "CaseUserObjectPermission",
            "CaseGroupObjectPermission",
            "NotificationOutbox",  # a delivery queue of task ids, not case data
            # Single sign-on: an account's link to its provider and the device standing for
            # the provider's multi-factor step are account security, not case data; every
            # link made, used or removed is in the access log (docs/sso.md).
            "SsoIdentity",
            "SsoSignInDevice",
            # A district's letter template: each save is a new row never changed afterwards,
            # so its versions are its history (ncii_cases/models_letters.py).
            "LetterTemplate",
            # The kept counts per school and stage: kept by the database from the cases,
            # whose stage and school changes keep their history.
            "CaseStageCount",
            # The kept analytics facts: a derived copy of each case's records, worked out
            # again from them at any time (ncii_cases/analytics_facts.py); the records it
            # is computed from keep their history.
            "CaseFacts",
            # The kept month tallies of those facts: counted again from them at any time
            # (ncii_cases/analytics_months.py).
            "AnalyticsMonth",
            # Signed-in browsers' sessions: account security, not case data; each sign-in
            # and sign-out is in the access log.
            "AccountSession",
        }
    ]
    missing = [m.__name__ for m in case_models if not hasattr(m, "history")]
    assert missing == []


def test_case_create_gives_a_readable_reference_and_records_the_event(school, coordinator):
    case = case_create(
        actor=coordinator,
        school=school,
        title="Shared images",
        narrative="A report.",
        reported_at=timezone.now(),
        parties=[PartyInput(c.PartyRole.DEPICTED, None, c.Affiliation.STUDENT, True, "A student")],
    )
    year = timezone.localdate().year
    assert case.reference == f"NCII-{year}-0001"
    assert case.stage == c.Stage.INTAKE
    # (the first event; the child reports it triggers follow it)
    event = CaseEvent.objects.filter(case=case).first()
    assert event.event_type == EventType.CASE_CREATED and event.actor == coordinator
    assert case.history.count() == 1
    assert case.history.first().history_user == coordinator


def test_references_count_per_district(school, coordinator, other_district):
    from tests.factories import SchoolFactory, UserFactory

    first = case_create(
        actor=coordinator, school=school, title="a", narrative="n", reported_at=timezone.now()
    )
    second = case_create(
        actor=coordinator, school=school, title="b", narrative="n", reported_at=timezone.now()
    )
    far = SchoolFactory(district=other_district, code="far")
    outsider = UserFactory(district=other_district, role=c.Role.COORDINATOR)
    elsewhere = case_create(
        actor=outsider, school=far, title="c", narrative="n", reported_at=timezone.now()
    )
    assert [first.reference[-4:], second.reference[-4:], elsewhere.reference[-4:]] == [
        "0001",
        "0002",
        "0001",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_case_creation_never_reuses_a_reference(school, coordinator):
    errors = []

    def create(i):
        try:
            case_create(
                actor=coordinator,
                school=school,
                title=f"t{i}",
                narrative="n",
                reported_at=timezone.now(),
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    refs = list(Case.objects.values_list("reference", flat=True))
    assert len(refs) == 6 and len(set(refs)) == 6
