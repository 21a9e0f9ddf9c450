"""Uploaded files: size, extension and content are checked before anything is stored.

Every capability that accepts a file (Excel imports now; evidence photos and scans later) uses the
one validator here, through ``ValidatedFileField`` on forms and ``ValidatedFileSerializerField`` in
the API. The extension and the bytes must agree on the kind — a renamed file is refused — and the
size is bounded. So is the work a file can cause: an image is refused above ``IMAGE_MAX_PIXELS``
from its header, before a pixel is decoded (``image_open``), since a 17 KB PNG can declare
12000×12000 pixels and unpack to 1.6 GB. Accepted files are stored in the private storage
(``compliance.storage``: ``PRIVATE_MEDIA_ROOT`` outside the web root, or a private bucket), and
served only by views that check the scope (e.g. ``compliance.jobs.views.JobInputView``).
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# An .xlsx is a zip of XML parts; its XML compresses about tenfold, so a legitimate workbook never
# unpacks to anything near this. A larger total is a zip bomb, refused before openpyxl opens it.
XLSX_MAX_UNPACKED_BYTES = 256 * 2**20
XLSX_MAX_MEMBERS = 10_000
_XLSX_MAIN_PARTS = (
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
)


def _starts_with(signature: bytes) -> Callable[[IO[bytes]], bool]:
    def matches(file: IO[bytes]) -> bool:
        return file.read(len(signature)) == signature

    return matches


def _is_xlsx(file: IO[bytes]) -> bool:
    """A zip whose parts declare a spreadsheet: ``[Content_Types].xml`` naming the workbook
    part, and the ``xl/`` folder. A .docx or a plain zip renamed to .xlsx is not one."""
    if file.read(4) != b"PK\x03\x04":
        return False
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                return False
            if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNPACKED_BYTES:
                return False
            with archive.open("[Content_Types].xml") as part:
                content_types = part.read(2**20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False
    return any(main in content_types for main in _XLSX_MAIN_PARTS)


@dataclass(frozen=True)
class FileKind:
    key: str
    label: object  # lazy translation, shown in messages
    extensions: tuple[str, ...]
    content_type: str
    matches: Callable[[IO[bytes]], bool]


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS: dict[str, FileKind] = {
    kind.key: kind
    for kind in (
        FileKind("xlsx", _("Excel workbook (.xlsx)"), (".xlsx",), XLSX_CONTENT_TYPE, _is_xlsx),
        FileKind("png", _("PNG image (.png)"), (".png",), "image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
        FileKind(
            "jpeg", _("JPEG image (.jpg)"), (".jpg", ".jpeg"), "image/jpeg", _starts_with(b"\xff\xd8\xff")
        ),
        FileKind("pdf", _("PDF document (.pdf)"), (".pdf",), "application/pdf", _starts_with(b"%PDF-")),
    )
}


IMAGE_KINDS = ("png", "jpeg")


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _(
            "The image has more than %(limit)s megapixels (width × height), too many to process. "
            "Make it smaller and upload it again."
        ),
        code="too_many_pixels",
        params={"limit": f"{settings.IMAGE_MAX_PIXELS / 1_000_000:g}"},
    )


def image_open(file):
    """Open an image (a path or a file) for decoding; ``ValidationError`` (code
    ``too_many_pixels``) if it has more than ``IMAGE_MAX_PIXELS`` pixels. ``Image.open`` reads
    only the header, so the refusal costs nothing; Pillow's own guard (``guard_image_decoding``)
    refuses at the same size inside ``Image.open``. Pillow's ``UnidentifiedImageError`` (an
    ``OSError``) for no image."""
    from PIL import Image

    try:
        image = Image.open(file)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    width, height = image.size
    if width * height > settings.IMAGE_MAX_PIXELS:
        with image:  # closes a file it opened itself, never the caller's (``close()`` would)
            raise _too_many_pixels()
    return image


def guard_image_decoding() -> None:
    """Pillow's decompression-bomb guard for every image any code opens (WeasyPrint's too): at
    ``IMAGE_MAX_PIXELS``, and an error where Pillow would only warn (up to twice its limit)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def content_type_for(name: str) -> str:
    """The content type to serve a stored file with, from the extension it was accepted with."""
    suffix = Path(name).suffix.lower()
    for kind in KINDS.values():
        if suffix in kind.extensions:
            return kind.content_type
    return "application/octet-stream"


def validate_upload(upload, *, kinds: Iterable[str], max_bytes: int, field: str | None = None) -> FileKind:
    """Check an uploaded file; return its kind or raise ``ValidationError`` with a message the
    user can act on (on ``field`` when given, for services that name their input)."""
    allowed = [KINDS[k] for k in kinds]
    try:
        return _validate(upload, allowed, max_bytes)
    except ValidationError as exc:
        if field is None:
            raise
        raise ValidationError({field: exc.error_list}) from exc


def _validate(upload, allowed: list[FileKind], max_bytes: int) -> FileKind:
    types = "、".join(str(k.label) for k in allowed)
    size = getattr(upload, "size", None)
    if size is None:
        raise ValidationError(_("No file was uploaded."), code="missing")
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("The file is larger than the limit of %(limit)s."),
            code="too_large",
            params={"limit": filesizeformat(max_bytes)},
        )
    suffix = Path(upload.name or "").suffix.lower()
    kind = next((k for k in allowed if suffix in k.extensions), None)
    if kind is None:
        raise ValidationError(
            _("Only these file types are accepted: %(types)s."), code="extension", params={"types": types}
        )
    upload.seek(0)
    try:
        matches = kind.matches(upload)
    finally:
        upload.seek(0)
    if matches and kind.key in IMAGE_KINDS:
        # Only the size is judged here: an image Pillow cannot read at all costs nothing to decode
        # and is accepted by its signature, as before (its thumbnail is then left out).
        try:
            with image_open(upload):
                pass
        except (OSError, ValueError):
            pass
        finally:
            upload.seek(0)
    if not matches:
        raise ValidationError(
            _("The file's content is not a valid %(type)s. Was another file renamed?"),
            code="content",
            params={"type": kind.label},
        )
    return kind


def _limit(max_bytes: int | Callable[[], int]) -> int:
    return max_bytes() if callable(max_bytes) else max_bytes


class ValidatedFileField(forms.FileField):
    """A form's file field that accepts only ``kinds`` up to ``max_bytes`` (an int, or a callable
    reading a setting when the form is validated)."""

    def __init__(self, *, kinds: Iterable[str], max_bytes: int | Callable[[], int], **kwargs):
        self.kinds = tuple(kinds)
        self.max_bytes = max_bytes
        accept = ",".join(ext for key in self.kinds for ext in KINDS[key].extensions)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": accept}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            validate_upload(upload, kinds=self.kinds, max_bytes=_limit(self.max_bytes))
        return upload


class ValidatedFileSerializerField(serializers.FileField):
    """The API's counterpart of ``ValidatedFileField``: errors come back on the field."""

    def __init__(self, *, kinds: Iterable[str], max_bytes: int | Callable[[], int], **kwargs):
        self.kinds = tuple(kinds)
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        upload = super().to_internal_value(data)
        try:
            validate_upload(upload, kinds=self.kinds, max_bytes=_limit(self.max_bytes))
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.error_list[0].code) from exc
        return upload


@checks.register(checks.Tags.security)
def check_private_media_root(app_configs=None, **kwargs):
    """Uploaded files must never be reachable as static files (WhiteNoise serves those without
    any permission check). Only the filesystem backend has a directory to check; an object store's
    files have no URL (``compliance.storage``)."""
    from compliance.storage import PrivateFileSystemStorage, private_storage

    if not isinstance(private_storage(), PrivateFileSystemStorage):
        return []
    private = Path(private_storage().location).resolve()
    served = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS, getattr(settings, "WHITENOISE_ROOT", None)]
    served += [getattr(settings, "MEDIA_ROOT", None)]
    errors = []
    for root in filter(None, served):
        root = Path(root if not isinstance(root, tuple) else root[1]).resolve()
        if private == root or private.is_relative_to(root) or root.is_relative_to(private):
            errors.append(
                checks.Error(
                    f"PRIVATE_MEDIA_ROOT ({private}) overlaps a directory served without a permission "
                    f"check ({root}).",
                    hint="Keep uploads outside STATIC_ROOT, STATICFILES_DIRS and MEDIA_ROOT.",
                    id="kuangan.E001",
                )
            )
    return errors
