"""Stored files: uploads, evidence, thumbnails, job inputs and outputs.

Every stored file is written and read through Django's storage API, on the ``private`` storage
(``STORAGES["private"]`` in settings), never by filesystem path: by default the filesystem under
``PRIVATE_MEDIA_ROOT`` (``var/private``), with ``KUANGAN_S3_BUCKET`` set an S3-compatible object
store (``compliance.storage.s3``), so web servers and Celery workers on several machines share
the files. Names are storage names (``jobs/<uuid>.xlsx``, ``grading/<tenant>/<assessment>/<hex>.jpg``).

Nothing stored is ever public: both backends refuse to make a URL (``url()`` raises), objects in
the bucket get no ACL (the bucket's own, private), and a file reaches a user only through a view
that checked the scope and streams it from here (``file_response``).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse

from compliance.http import no_store

PRIVATE = "private"


def private_storage() -> Storage:
    return storages[PRIVATE]


class PrivateFileSystemStorage(FileSystemStorage):
    """The filesystem backend of the private storage: under ``PRIVATE_MEDIA_ROOT`` unless given
    a ``location`` (follows the setting when a test changes it), and with no URL at all."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("private files have no URL: they are served by views that check the scope")


def clean_name(name: str) -> str | None:
    """``name`` if it is a plain relative storage name (no absolute path, no ``..``), else None.
    Stored names come from the database; one edited to point elsewhere must reach nothing."""
    if not name or "\\" in name or "\x00" in name:
        return None
    normal = posixpath.normpath(name)
    if normal != name or normal.startswith(("/", "../")) or normal in (".", ".."):
        return None
    return name


def exists(name: str) -> bool:
    name = clean_name(name)
    try:
        return name is not None and private_storage().exists(name)
    except SuspiciousOperation:
        return False


def open_stored(name: str) -> File | None:
    """The stored file ``name`` opened for reading, or None when it is not there (or the name
    points outside the storage). The caller closes it (``FileResponse`` does)."""
    name = clean_name(name)
    if name is None:
        return None
    try:
        return private_storage().open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, SuspiciousOperation):
        return None


def read_bytes(name: str) -> bytes | None:
    stored = open_stored(name)
    if stored is None:
        return None
    with stored:
        return stored.read()


def save(name: str, content: bytes | File, *, overwrite: bool = False) -> str:
    """Store ``content`` under ``name``; the name it got. With ``overwrite`` a file already there
    is replaced (a retried job writes its output again); otherwise the storage picks a free name
    beside it, as it does for any clash."""
    storage = private_storage()
    if overwrite:
        storage.delete(name)
    if isinstance(content, bytes):
        content = ContentFile(content)
    return storage.save(name, content)


def delete(name: str) -> None:
    name = clean_name(name)
    if name is not None:
        private_storage().delete(name)


def size(name: str) -> int:
    return private_storage().size(name)


def walk(directory: str, *, depth: int | None = None) -> Iterator[str]:
    """Every stored file under ``directory`` (storage names), through ``listdir`` so it works on
    every backend. ``depth``: only files exactly that many folders below ``directory``."""
    storage = private_storage()
    try:
        folders, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    if depth is None or depth == 0:
        yield from (posixpath.join(directory, f) for f in sorted(files))
    if depth is None or depth > 0:
        for folder in sorted(folders):
            yield from walk(posixpath.join(directory, folder), depth=None if depth is None else depth - 1)


def file_response(
    stored: File, *, filename: str, content_type: str, as_attachment: bool = True
) -> FileResponse:
    """Stream a stored file to the user who was allowed it: never cached, never sniffed."""
    response = FileResponse(stored, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)
