"""Where the application's files live: supporting documents and generated PDFs, always through
Django's storage API, so that every web process and worker on every machine reads and writes
the same files.

Two aliases of ``settings.STORAGES`` hold them (config/settings/base.py, ``FILE_STORAGE``):

- ``documents``: supporting documents and the takedown notice letters (the model fields use
  ``DocumentStorage``, which looks the alias up on each call and refuses any image or video
  content that reached it without passing ``uploads.check_document``);
- ``generated_pdfs``: PDF case summaries and other generated letters, written and read with
  ``generated_pdf_save`` / ``generated_pdf_read`` (a job keeps the returned name).

Either alias is a private folder (``PrivateFileSystemStorage`` under PRIVATE_MEDIA_ROOT, the
default) or a private bucket of an S3-compatible object store (``PrivateS3Storage``). No file
ever gets a URL: a file reaches a reader only through a permission-checked, access-logged view
that streams it from the storage.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible

DOCUMENTS = "documents"
GENERATED_PDFS = "generated_pdfs"

NO_URL_MESSAGE = "Private files are never served by URL; use the permission-checked view."


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder under PRIVATE_MEDIA_ROOT (read at each call, so that it follows the setting),
    files mode 600 and folders 700, no URL. With ``allow_overwrite`` a file is written to a
    temporary file beside it, fsynced and renamed onto its name, so that a reader never sees
    half a file and a delivery killed mid-write leaves only a temporary file, removed by the
    next write of the same name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError(NO_URL_MESSAGE)

    @staticmethod
    def _temp_prefix(name: str) -> str:
        return f".tmp-{Path(name).stem}-"

    def _write_temp(self, directory: str, name: str, content) -> str:
        """Writes ``content`` to a new temporary file in ``directory`` and returns its path."""
        handle, temp = tempfile.mkstemp(
            dir=directory, prefix=self._temp_prefix(name), suffix=Path(name).suffix
        )
        try:
            with os.fdopen(handle, "wb") as out:
                content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, self.file_permissions_mode or 0o600)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return temp

    def _save(self, name, content):
        if not self._allow_overwrite:
            return super()._save(name, content)
        full_path = Path(self.path(name))
        directory = full_path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self._write_temp(str(directory), name, content)
        os.replace(temp, full_path)
        # Temporary files of an earlier write of the same name whose process died.
        for leftover in directory.glob(f"{self._temp_prefix(name)}*"):
            leftover.unlink(missing_ok=True)
        folder = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return str(full_path.relative_to(self.location)).replace("\\", "/")


@deconstructible
class DocumentStorage(Storage):
    """The storage of the ``documents`` alias (or ``alias``), looked up on each call so that
    the files follow ``settings.STORAGES``. It never gives a URL, and it refuses to store
    image or video content (a last refusal behind ``uploads.check_document``)."""

    def __init__(self, alias: str = DOCUMENTS):
        self.alias = alias

    @property
    def backend(self) -> Storage:
        return storages[self.alias]

    def _check(self, content) -> None:
        from .uploads import DocumentRefused, check_document

        content.seek(0)
        data = content.read()
        content.seek(0)
        try:
            check_document(data)
        except DocumentRefused as exc:
            raise ValueError(f"Refused to store a document: {exc.code}") from None

    def save(self, name, content, max_length=None):
        if not hasattr(content, "chunks"):
            content = ContentFile(content.read() if hasattr(content, "read") else content)
        self._check(content)
        return self.backend.save(name, content, max_length=max_length)

    def _save(self, name, content):
        self._check(content)
        return self.backend.save(name, content)

    def _open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def delete(self, name):
        return self.backend.delete(name)

    def exists(self, name):
        return self.backend.exists(name)

    def listdir(self, path):
        return self.backend.listdir(path)

    def size(self, name):
        return self.backend.size(name)

    def path(self, name):
        return self.backend.path(name)

    def url(self, name):
        raise ValueError(NO_URL_MESSAGE)

    def get_valid_name(self, name):
        return self.backend.get_valid_name(name)

    def get_alternative_name(self, file_root, file_ext):
        return self.backend.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name, max_length=None):
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend.generate_filename(filename)

    def get_accessed_time(self, name):
        return self.backend.get_accessed_time(name)

    def get_created_time(self, name):
        return self.backend.get_created_time(name)

    def get_modified_time(self, name):
        return self.backend.get_modified_time(name)


def document_storage() -> DocumentStorage:
    """The storage of supporting documents and notice letters (the model fields' callable)."""
    return DocumentStorage(DOCUMENTS)


def generated_pdf_save(*, name: str, content: bytes) -> str:
    """Stores the PDF bytes of a generated document (a case summary, a letter) under ``name``
    (a relative path such as ``"pdf/3/17.pdf"``, never holding a person's name) in the
    ``generated_pdfs`` storage, replacing any file of that name, and returns the stored name:
    the reference to keep (with the bytes' SHA-256) and later pass to ``generated_pdf_read``.
    The write is whole or nothing (an object store's PUT; a rename on disk)."""
    return storages[GENERATED_PDFS].save(name, ContentFile(content, name=Path(name).name))


def generated_pdf_read(name: str) -> bytes:
    """The bytes of a generated PDF stored by ``generated_pdf_save``. Raises
    ``FileNotFoundError`` (or the storage's own error, an ``OSError``) when it is missing."""
    if not name:
        raise FileNotFoundError("No file was recorded.")
    storage = storages[GENERATED_PDFS]
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except OSError:
        raise
    except Exception as error:  # an object store's "no such key" is not an OSError
        raise FileNotFoundError(f"The file {name} could not be read: {error}") from error
