"""Documents and PDF summaries in a private bucket of an S3-compatible object store
(FILE_STORAGE=s3), against moto's standalone server on loopback (tests/object_store.py).

Files go in through the real views and services and come out only through the
permission-checked, access-logged download views: the objects are private (an unsigned GET is
refused), encrypted at rest by the store, never given a URL, and nothing lands on local disk.
"""

import hashlib
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ncii_cases.events import EventType
from ncii_cases.models import AccessEvent, SupportingDocument
from ncii_cases.storage import document_storage, generated_pdf_save
from reporting import tasks
from reporting.models import PdfJob
from reporting.services import pdf_job_request
from tests.access.helpers import login_verified
from tests.recorded import Event, records

STATEMENT = b"Witness statement: the messages were shared on Monday.\n"


def upload_statement(client, case, investigator) -> SupportingDocument:
    with records(
        Event(
            EventType.EVIDENCE_RECORDED,
            investigator,
            {"evidence_id", "has_pdq", "has_sha256", "platform"},
        ),
        Event(
            EventType.DOCUMENT_ATTACHED,
            investigator,
            {"content_type", "document_id", "sha256", "size"},
        ),
        queries=52,
    ):
        response = client.post(
            reverse("ncii_cases:case_evidence_add", args=[case.pk]),
            {
                "description": "Written statement of a witness",
                "document": SimpleUploadedFile("statement.txt", STATEMENT, "text/plain"),
                "document_title": "Witness statement",
                "submission_token": str(uuid.uuid4()),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SupportingDocument.objects.get(case=case)


def assert_no_bucket_address(response, bucket) -> None:
    """Neither the body nor a header names the object store or carries a signature."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    texts = [body, *(f"{k}: {v}".encode() for k, v in response.items())]
    for text in texts:
        assert bucket.endpoint.encode() not in text
        assert bucket.name.encode() not in text
        assert b"X-Amz-" not in text and b"Signature=" not in text


def files_under(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_document_uploaded_through_the_page_is_a_private_encrypted_object(
    client, case, investigator, object_store, private_root
):
    login_verified(client, investigator)
    document = upload_statement(client, case, investigator)

    key = document.file.name
    assert object_store.keys() == [key]
    assert key.startswith(f"documents/{case.pk}/") and "statement" not in key
    assert object_store.read(key) == STATEMENT
    assert hashlib.sha256(STATEMENT).hexdigest() == document.sha256
    assert object_store.unsigned_get(key) == 403
    assert object_store.public_grants(key) == []
    assert object_store.encryption(key) == "AES256"
    assert files_under(private_root) == []


def test_a_document_downloads_through_the_checked_view_and_is_logged(
    client,
    case,
    investigator,
    coordinator,
    object_store,
    private_root,
    django_assert_max_num_queries,
):
    login_verified(client, investigator)
    document = upload_statement(client, case, investigator)
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_document_download", args=[case.pk, document.pk])

    with django_assert_max_num_queries(20):
        response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == STATEMENT
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store, private"
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.user, entry.action, entry.case_id, entry.allowed) == (
        coordinator,
        "case_document_download",
        case.pk,
        True,
    )
    response = client.get(url)
    assert_no_bucket_address(response, object_store)


def test_a_pdf_summary_is_stored_in_the_bucket_and_downloads_through_the_view(
    client, case, coordinator, object_store, private_root, django_assert_max_num_queries
):
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    assert tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    assert job.status == PdfJob.Status.READY, job.error

    key = f"pdf/{case.district_id}/{job.pk}.pdf"
    assert job.file_path == key and object_store.keys() == [key]
    stored = object_store.read(key)
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == job.sha256
    assert object_store.unsigned_get(key) == 403
    assert object_store.public_grants(key) == []
    assert object_store.encryption(key) == "AES256"
    assert files_under(private_root) == []

    login_verified(client, coordinator)
    url = reverse("reporting:pdf_job_download", args=[case.pk, job.pk])
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.action, entry.case_id, entry.allowed) == ("pdf_download", case.pk, True)
    job_page = client.get(reverse("reporting:pdf_job", args=[case.pk, job.pk]))
    for answer in (client.get(url), job_page):
        assert_no_bucket_address(answer, object_store)


def test_another_districts_user_gets_404_for_both_files_and_the_refusal_is_logged(
    client, case, investigator, coordinator, outsider, object_store, private_root
):
    login_verified(client, investigator)
    document = upload_statement(client, case, investigator)
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    login_verified(client, outsider)

    for name, url in (
        (
            "case_document_download",
            reverse("ncii_cases:case_document_download", args=[case.pk, document.pk]),
        ),
        ("pdf_download", reverse("reporting:pdf_job_download", args=[case.pk, job.pk])),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert_no_bucket_address(response, object_store)
        entry = AccessEvent.objects.order_by("pk").last()
        assert (entry.user, entry.action, entry.allowed) == (outsider, name, False)


def test_a_pdf_altered_in_the_bucket_is_not_served_and_is_made_again(
    client, case, coordinator, object_store, private_root
):
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    assert tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    object_store.write(job.file_path, b"%PDF-1.7 altered")
    login_verified(client, coordinator)
    url = reverse("reporting:pdf_job_download", args=[case.pk, job.pk])

    assert client.get(url).status_code == 404
    assert tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    assert hashlib.sha256(object_store.read(job.file_path)).hexdigest() == job.sha256
    assert client.get(url).status_code == 200


def test_no_stored_file_is_ever_given_a_url(object_store):
    from django.core.files.storage import storages

    name = generated_pdf_save(name="pdf/0/probe.pdf", content=b"%PDF-1.7 probe")
    for storage in (storages["generated_pdfs"], storages["documents"], document_storage()):
        with pytest.raises(ValueError, match="never served by URL"):
            storage.url(name)
    assert object_store.unsigned_get(name) == 403


def test_an_image_is_refused_before_it_reaches_the_bucket(object_store):
    from django.core.files.base import ContentFile

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(ValueError, match="Refused"):
        document_storage().save("documents/1/x.pdf", ContentFile(png))
    assert object_store.keys() == []
