"""Evidence files (photos and scans that back a finding, e.g. a grading deduction's 扣分证据), in
the private storage (``compliance.storage``): never by path, never from a static URL — the pages
that show them check the scope, then stream the file.

A capability keeps its evidence in an ``EvidenceArea``: its own folder, the depth of its layout
(e.g. ``grading/<tenant>/<assessment>/<hex>.jpg``), the stored names its records refer to, and
its Celery task that makes thumbnails.

A photo gets its thumbnail beside it (``<name>.thumb.jpg``) from that task, started when the
save commits, not in the request: at the ``IMAGE_MAX_PIXELS`` limit a PNG takes about two
seconds to decode, and one save may carry fifty photos. A photo above the limit is refused at
upload from its header and checked again here before decoding (one stored before the limit is
listed by name instead). PDF reports embed thumbnails only: making them while a report runs cost
about a second per report of forty 2000×1500 photos; once at upload it is a few tens of
milliseconds per photo. Evidence stored without one gets it made when a report needs it.

The orphan sweep lists the area through the storage (``listdir``), so it works on the
filesystem and in an object store alike.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.module_loading import import_string

from compliance import storage
from compliance.files import image_open

log = logging.getLogger(__name__)

THUMB_PIXELS = 320  # longest side of an embedded evidence photo: sharp at 35 mm, small in the file
THUMB_SUFFIX = ".thumb.jpg"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
ORPHAN_GRACE_SECONDS = 24 * 3600
STORED_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z0-9]+)?")  # what ``EvidenceArea.store`` names a file


def suffix_of(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def is_image(name: str) -> bool:
    return suffix_of(name) in IMAGE_SUFFIXES


def display_name(name: str) -> str:
    return posixpath.basename(name)


def exists(name: str) -> bool:
    """Whether the stored evidence ``name`` is there (False for a name pointing outside)."""
    return storage.exists(name)


def open_stored(name: str):
    """The stored evidence file, open for reading, or None when it is gone (or the name points
    outside the private storage)."""
    return storage.open_stored(name)


def thumbnail_name(name: str) -> str:
    return name + THUMB_SUFFIX


@dataclass(frozen=True)
class EvidenceArea:
    directory: str  # top folder in the private storage, e.g. "grading"
    depth: int  # folders between it and the files, e.g. 2 for <tenant>/<assessment>/
    referenced: Callable[[], Iterable[str]]  # every stored name the capability's records name
    thumbnail_task: str  # dotted path of the Celery task ``task(name)`` calling ``store_thumbnail``

    def store(self, upload, *folders: str) -> tuple[str, str]:
        """Write an (already validated) upload; its stored name and the name to show for it.
        A photo's thumbnail is queued once the caller's transaction commits."""
        if len(folders) != self.depth:
            raise ValueError(f"evidence of {self.directory} is stored {self.depth} folders deep")
        suffix = suffix_of(upload.name or "")
        upload.seek(0)
        name = storage.save("/".join((self.directory, *folders, f"{uuid.uuid4().hex}{suffix}")), upload)
        if suffix in IMAGE_SUFFIXES:
            transaction.on_commit(lambda: self._thumbnail_later(name))
        return name, display_name(upload.name or "evidence")[:200]

    def _thumbnail_later(self, name: str) -> None:
        task = import_string(self.thumbnail_task)
        try:
            task.delay(name)
        except Exception as exc:
            if task.app.conf.task_always_eager:
                raise  # no broker involved: a bug to see
            # The save stands; a report makes the missing thumbnail when it needs it.
            log.warning("thumbnail of evidence %s not queued: broker unreachable (%r)", name, exc)

    def sweep_orphans(self, now: float | None = None) -> int:
        """Delete evidence files that no record refers to and that are older than a day; returns
        how many. They are left by a save whose transaction rolled back after its file was
        written (or by a process that died in between): the database never names them, so
        nothing else would ever remove them. The day's grace leaves alone the files of saves
        still in progress. Only files named as ``store`` names them, at its depth, are
        considered; thumbnails go with their photo."""
        cutoff = (now if now is not None else time.time()) - ORPHAN_GRACE_SECONDS
        referenced = set(self.referenced())
        removed = 0
        for name in storage.walk(self.directory, depth=self.depth):
            if not STORED_NAME.fullmatch(posixpath.basename(name)) or name in referenced:
                continue
            if storage.private_storage().get_modified_time(name).timestamp() > cutoff:
                continue
            remove([name])
            removed += 1
        if removed:
            log.info("removed %d evidence files of %s no record refers to", removed, self.directory)
        return removed


def store_thumbnail(name: str) -> None:
    """Make and store the thumbnail of the stored photo ``name`` (the thumbnail task's work);
    nothing when the photo is gone meanwhile (its record was dropped) or is no readable image.
    Safe to run twice: it overwrites."""
    stored = open_stored(name)
    if stored is None:
        return
    with stored:
        data = make_thumbnail(stored)
    if data:
        storage.save(thumbnail_name(name), data, overwrite=True)


def thumbnail(name: str) -> bytes:
    """The photo's thumbnail: the one stored with it, else made now; b"" for no readable image."""
    stored = storage.read_bytes(thumbnail_name(name))
    if stored is not None:
        return stored
    photo = open_stored(name)
    if photo is None:
        return b""
    with photo:
        return make_thumbnail(photo)


def make_thumbnail(source) -> bytes:
    """A small JPEG of a photo (a path or an open file; EXIF rotation applied); b"" when it is
    no readable image."""
    from PIL import Image, ImageOps

    try:
        with image_open(source) as image:
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
        log.warning(
            "evidence %s could not be made into a thumbnail", getattr(source, "name", source), exc_info=True
        )
        return b""
    return out.getvalue()


def remove(names: Iterable[str]) -> None:
    """Delete stored evidence files and their thumbnails."""
    for name in names:
        if storage.clean_name(name) is None:
            continue
        storage.delete(thumbnail_name(name))
        storage.delete(name)
