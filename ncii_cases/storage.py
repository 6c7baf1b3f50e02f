"""Private storage for supporting documents: never served by URL, and a last refusal of any
image or video content that reached it without passing ``uploads.check_document``."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible
class DocumentStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @cached_property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Supporting documents are never served by URL; use the download view.")

    def _save(self, name, content):
        from .uploads import DocumentRefused, check_document

        content.seek(0)
        data = content.read()
        content.seek(0)
        try:
            check_document(data)
        except DocumentRefused as exc:
            raise ValueError(f"Refused to store a document: {exc.code}") from None
        return super()._save(name, content)
