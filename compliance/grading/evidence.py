"""Evidence files of deductions (扣分证据): stored under PRIVATE_MEDIA_ROOT, never served from a
static URL (the assessment pages check the scope, then stream the file).

A photo gets its thumbnail beside it (``<file>.thumb.jpg``) from a task started when the save
commits (``grading.tasks.make_evidence_thumbnail``, with the jobs' time limits), not in the
request: at the ``IMAGE_MAX_PIXELS`` limit a PNG takes about two seconds to decode, and one save
may carry fifty photos. A photo above the limit is refused at upload from its header and checked
again here before decoding (a file stored before the limit is listed by name instead). The PDF report
embeds thumbnails only: making them while the report runs cost about a second per report of
forty 2000×1500 photos; once at upload it is a few tens of milliseconds per photo. Evidence
stored without one (before thumbnails were made at upload) gets it made when a report needs it.
"""

from __future__ import annotations

import io
import logging
import re
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from compliance.files import image_open

log = logging.getLogger(__name__)

EVIDENCE_DIR = "grading"
THUMB_PIXELS = 320  # longest side of an embedded evidence photo: sharp at 35 mm, small in the file
THUMB_SUFFIX = ".thumb.jpg"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
ORPHAN_GRACE_SECONDS = 24 * 3600
STORED_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z0-9]+)?")  # what ``store`` names a file


def store(tenant_id, assessment_id, upload) -> tuple[str, str]:
    """Write an (already validated) upload; its stored name and the name to show for it."""
    suffix = Path(upload.name or "").suffix.lower()
    relative = Path(EVIDENCE_DIR) / str(tenant_id) / str(assessment_id) / f"{uuid.uuid4().hex}{suffix}"
    target = Path(settings.PRIVATE_MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.seek(0)
    with open(target, "wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            out.write(chunk)
    if suffix in IMAGE_SUFFIXES:
        transaction.on_commit(lambda: _thumbnail_later(str(relative)))
    return str(relative), Path(upload.name or "evidence").name[:200]


def _thumbnail_later(name: str) -> None:
    from .tasks import make_evidence_thumbnail

    try:
        make_evidence_thumbnail.delay(name)
    except Exception as exc:
        if make_evidence_thumbnail.app.conf.task_always_eager:
            raise  # no broker involved: a bug to see
        # The save stands; a report makes the missing thumbnail when it needs it.
        log.warning("thumbnail of evidence %s not queued: broker unreachable (%r)", name, exc)


def path_of(name: str) -> Path | None:
    """The stored file of an evidence name, only if it lies under PRIVATE_MEDIA_ROOT."""
    if not name:
        return None
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def _thumbnail_path(path: Path) -> Path:
    return path.with_name(path.name + THUMB_SUFFIX)


def store_thumbnail(path: Path | None) -> None:
    if path is None:  # removed meanwhile (the deduction was dropped)
        return
    data = make_thumbnail(path)
    if data:
        _thumbnail_path(path).write_bytes(data)


def thumbnail(path: Path) -> bytes:
    """The photo's thumbnail: the one stored with it, else made now; b"" for no readable image."""
    stored = _thumbnail_path(path)
    if stored.is_file():
        return stored.read_bytes()
    return make_thumbnail(path)


def make_thumbnail(path: Path) -> bytes:
    """A small JPEG of a photo (EXIF rotation applied); b"" when it is no readable image."""
    from PIL import Image, ImageOps

    try:
        with image_open(path) as image:
            # JPEG decodes straight to about the size needed: far faster than a full decode.
            image.draft("RGB", (THUMB_PIXELS, THUMB_PIXELS))
            # In place: otherwise a full-size copy is made even of a photo that needs no turning.
            ImageOps.exif_transpose(image, in_place=True)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((THUMB_PIXELS, THUMB_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=70)
    except Exception:  # a damaged or hostile file is listed by name instead of breaking the report
        log.warning("evidence %s could not be made into a thumbnail", path.name, exc_info=True)
        return b""
    return out.getvalue()


def remove(names) -> None:
    """Delete stored evidence files and their thumbnails."""
    for name in names:
        path = path_of(name)
        if path is not None:
            _thumbnail_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)


def sweep_orphans(now: float | None = None) -> int:
    """Delete evidence files that no deduction refers to and that are older than a day; returns
    how many. They are left by a save whose transaction rolled back after its file was written
    (or by a process that died in between): the database never names them, so nothing else would
    ever remove them. The day's grace leaves alone the files of saves still in progress.

    Only files named as ``store`` names them, in its directory layout, are considered. A daily
    job for every tenant: the references are read in the platform scope."""
    from tenants.scope import dangerously_platform_scope

    from .models import Deduction

    root = Path(settings.PRIVATE_MEDIA_ROOT)
    base = root / EVIDENCE_DIR
    if not base.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - ORPHAN_GRACE_SECONDS
    with dangerously_platform_scope():
        referenced = set(
            Deduction.dangerously_unscoped.exclude(evidence="").values_list("evidence", flat=True).iterator()
        )
    removed = 0
    for path in base.glob("*/*/*"):
        if path.name.endswith(THUMB_SUFFIX) or not STORED_NAME.fullmatch(path.name) or not path.is_file():
            continue
        name = str(path.relative_to(root))
        if name in referenced or path.stat().st_mtime > cutoff:
            continue
        remove([name])
        removed += 1
    if removed:
        log.info("removed %d evidence files no deduction refers to", removed)
    return removed
