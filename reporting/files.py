"""The stored files of PDF jobs: where a job's file goes, reading it back and checking it
against the SHA-256 recorded on the job. Files live in the ``generated_pdfs`` storage (a
private folder or bucket, ``ncii_cases.storage``); nothing here renders, publishes a task or
checks a permission: callers fetch the job through a selector first.
"""

import hashlib

from ncii_cases.storage import generated_pdf_read, generated_pdf_save

from .models import PdfJob


def pdf_job_file_name(job: PdfJob) -> str:
    """The one name of the job's file in the storage: ``pdf/<district id>/<job id>.pdf``."""
    return f"pdf/{job.case.district_id}/{job.pk}.pdf"


def pdf_job_file_store(job: PdfJob, content: bytes) -> str:
    """Stores ``content`` whole under the job's one name; returns the name the storage kept
    (the job's ``file_path``)."""
    return generated_pdf_save(name=pdf_job_file_name(job), content=content)


def pdf_job_content(job: PdfJob) -> bytes:
    """The bytes of a job's file, read from the ``generated_pdfs`` storage. Raises
    FileNotFoundError (an OSError) when the job has no file or it cannot be read."""
    return generated_pdf_read(job.file_path)


def pdf_job_content_verified(job: PdfJob) -> bytes | None:
    """The bytes of the job's file when it exists and has the recorded SHA-256; otherwise
    None (missing, unreadable, or altered in the storage)."""
    try:
        content = pdf_job_content(job)
    except OSError:
        return None
    if not job.sha256 or hashlib.sha256(content).hexdigest() != job.sha256:
        return None
    return content


def pdf_job_file_ok(job: PdfJob) -> bool:
    """Whether the job's file exists and has the recorded SHA-256."""
    return pdf_job_content_verified(job) is not None
