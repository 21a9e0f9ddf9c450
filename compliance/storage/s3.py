"""The private storage in an S3-compatible object store (django-storages + boto3), chosen in
settings when ``KUANGAN_S3_BUCKET`` is set.

Objects are written with no ACL, so they stay as private as the bucket (which must not be
public); a URL is never made, signed or not: a file reaches a user only through our views. Names
never overwrite (``file_overwrite=False``): a clash gets a new name, as on the filesystem.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # Downloads are spooled to a temporary file past this size instead of held in memory.
            "max_memory_size": 2 * 2**20,
        }

    def __init__(self, **settings):
        super().__init__(**settings)
        if self.default_acl not in (None, "private"):
            raise ValueError(f"the private storage may not give objects the ACL {self.default_acl!r}")

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("private files have no URL: they are served by views that check the scope")
