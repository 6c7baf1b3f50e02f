"""A private bucket of an S3-compatible object store (django-storages, boto3) for the
``documents`` and ``generated_pdfs`` aliases (``FILE_STORAGE=s3``, config/settings/base.py).

Kept apart from ``storage`` so that boto3 is imported only by an installation that uses it.
Whatever the options say, every object is written with the ``private`` canned ACL (no
public-read grant), requests are signed, and no URL is ever handed out: a file reaches a
reader only through a permission-checked, access-logged view that streams it from the bucket.
"""

from storages.backends.s3 import S3Storage

from .storage import NO_URL_MESSAGE


class PrivateS3Storage(S3Storage):
    """``S3Storage`` with its privacy fixed: ``default_acl="private"``,
    ``querystring_auth=True`` and no URL (``url`` raises ValueError)."""

    def __init__(self, **settings):
        settings["default_acl"] = "private"
        settings["querystring_auth"] = True
        super().__init__(**settings)

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        # An object parameter cannot make a file public either.
        params["ACL"] = "private"
        return params

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError(NO_URL_MESSAGE)
