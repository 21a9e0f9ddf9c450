"""The importers: each registers what the one import page, its template download and the job
page need to know about it. Registration also registers the importer's job handler, so a Celery
worker (which never loads the URLconf) knows the job kind once the importer's module is imported
(from its ``AppConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from compliance.files import validate_upload
from compliance.jobs.models import Job
from compliance.jobs.services import job_handler, job_start


@dataclass(frozen=True)
class Importer:
    kind: str  # the job kind, unique
    perm: str  # needed somewhere in the scope to open the page and download the template
    start: Callable[..., Job]  # (scope=, user=, org_unit=, upload=) → the job; checks the permission
    prepare: Callable  # the job's check of every row (no writes); raises JobRejected with the errors
    apply: Callable  # the job's writes, in one transaction
    template: Callable[[], bytes]  # the template workbook, in the current language
    template_filename: str
    form: str  # dotted path of the upload form: (data, files, scope=); fields "file" and maybe "org_unit"
    page_template: str  # the upload page (its help text)
    page_url_name: str  # the upload page, to try again after a refused file
    job_url_name: str = "job-detail"  # where the upload leads: the job's progress and result
    result_template: str | None = None  # shown on the job page once the job succeeded
    input_perm: str | None = None  # to download the uploaded file again (see ``job_handler``)
    label: object = ""  # what the jobs page calls it ("导入人员"); the kind when empty
    # URL kwargs of the upload page from the job's params, for a page about one object:
    # (("pk", "engagement"),) leads back to the page of the job's engagement.
    page_url_params: tuple[tuple[str, str], ...] = ()

    def form_class(self):
        return import_string(self.form)

    def page_url(self, job: Job) -> str:
        """The upload page to try again from, after ``job`` refused a file."""
        return reverse(self.page_url_name, kwargs={k: job.params.get(p) for k, p in self.page_url_params})


_importers: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    _importers[importer.kind] = importer
    job_handler(
        importer.kind,
        prepare=importer.prepare,
        apply=importer.apply,
        input_perm=importer.input_perm,
        label=importer.label,
    )


def importer_for(kind: str) -> Importer | None:
    return _importers.get(kind)


def importers() -> list[Importer]:
    return list(_importers.values())


def start_import(*, scope, user, kind: str, org_unit, upload, params: dict | None = None) -> Job:
    """Check the upload (an .xlsx within IMPORT_MAX_BYTES) and start the import job at
    ``org_unit``; ``params``: what else the job needs to know (e.g. the engagement a staff list
    is for). The caller has checked the permission to import there."""
    validate_upload(upload, kinds=["xlsx"], max_bytes=settings.IMPORT_MAX_BYTES, field="file")
    return job_start(
        scope=scope,
        user=user,
        kind=kind,
        org_unit=org_unit,
        params={**(params or {}), "filename": upload.name[:200]},
        input_bytes=upload.read(),
        input_suffix=".xlsx",
    )
