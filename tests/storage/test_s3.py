"""The private storage in an S3-compatible object store, against a real server: moto's server
mode, started on a free local port for this module, speaks the S3 protocol over HTTP. The
storage is pointed at a bucket there (as ``KUANGAN_S3_BUCKET`` does in production) and the files
of a people import, a grading PDF report and its download, and evidence with its thumbnail all
go through it. Nothing here reaches the filesystem's private root."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from compliance import storage
from compliance.grading import evidence
from compliance.grading.models import Deduction
from compliance.jobs.models import Job
from compliance.reports import evidence as stored_evidence
from compliance.storage.s3 import PrivateS3Storage
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..grading.factories import coal_like_version, items
from ..grading.pdf_factories import image_bytes
from ..grading.test_assessments import save, start
from ..grading.test_report import _job_of, _start, scored  # noqa: F401 — the fixture
from ..jobs.test_people_import import _imported, good_row, upload, xlsx

pytestmark = pytest.mark.django_db

BUCKET = "kuangan-private"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server in its own process on a free local port, up until the module ends."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    moto_server = Path(sys.executable).with_name("moto_server")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:  # ready once it accepts a connection
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.05)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=CREDENTIALS["access_key"],
            aws_secret_access_key=CREDENTIALS["secret_key"],
            region_name=CREDENTIALS["region_name"],
            config=Config(s3={"addressing_style": "path"}),
        )
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_server, settings):
    """The private storage pointed at the bucket, under a prefix of this test's own (as
    ``KUANGAN_S3_PREFIX``), so tests sharing the server never see each other's files."""
    endpoint, client = s3_server
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "compliance.storage.s3.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "addressing_style": "path",
                "location": prefix,
                **CREDENTIALS,
            },
        },
    }
    # Files must not fall back to the filesystem: the private root is made unusable.
    settings.PRIVATE_MEDIA_ROOT = Path("/nonexistent/kuangan-private")
    assert isinstance(storage.private_storage(), PrivateS3Storage)

    def keys(under: str = "") -> list[str]:
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/{under}")
        return sorted(o["Key"].removeprefix(f"{prefix}/") for o in listed.get("Contents", []))

    keys.client = client
    keys.prefix = prefix
    return keys


def test_the_people_import_reads_its_upload_from_the_bucket(world, bucket):
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    job = upload(manager, world.a.mine, xlsx([good_row(n) for n in range(1, 6)]))
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["imported"] == 5 and _imported() == 5
    assert bucket("jobs/") == [job.input_file]
    # The uploaded sheet comes back through the job's download view, from the bucket.
    admin = login(world.a.users[roles.TENANT_ADMIN])
    response = admin.get(f"/jobs/{job.pk}/input/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"PK\x03\x04")


def test_a_grading_report_is_written_to_the_bucket_and_downloaded_through_the_view(world, bucket, scored):  # noqa: F811
    assessment, _items = scored
    assert bucket("grading/evidence/")  # the fixture's photos and scan went to the bucket
    client = login(world.a.users[roles.SAFETY_MANAGER])
    job = _job_of(_start(client, assessment))
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["output_file"] in bucket("jobs/")
    response = client.get(f"/jobs/{job.pk}/output/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-") and len(body) == job.result["output_bytes"]
    # The photos' thumbnails were read from the bucket into the report.
    assert body.count(b"/Subtype /Image") == 2
    # Another tenant: not found, whatever the backend.
    assert login(world.b.users[roles.TENANT_ADMIN]).get(f"/jobs/{job.pk}/output/").status_code == 404


def test_evidence_and_its_thumbnail_are_stored_in_the_bucket_privately_and_swept_there(world, bucket):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    photo = SimpleUploadedFile("巷道.jpg", image_bytes(size=(800, 600)), content_type="image/jpeg")
    with TestCase.captureOnCommitCallbacks(execute=True):  # the thumbnail task runs on commit
        save(world, assessment, item, [{"points": 1, "reason": "巷道积水", "evidence": photo}])
    with dangerously_platform_scope():
        deduction = Deduction.objects.get(item_score__assessment=assessment)
    name = deduction.evidence
    folder = f"grading/{world.a.tenant.pk}/{assessment.pk}/"
    assert name.startswith(folder)
    assert bucket("grading/") == [name, name + stored_evidence.THUMB_SUFFIX]

    # Served through the scope-checked view, streamed from the bucket.
    url = f"/grading/assessments/{assessment.pk}/evidence/{deduction.pk}/"
    response = login(world.a.users[roles.SAFETY_MANAGER]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == storage.read_bytes(name)
    assert login(world.b.users[roles.TENANT_ADMIN]).get(url).status_code == 404

    # Never public: no grant to everyone on the object, and no URL can be made for it.
    acl = bucket.client.get_object_acl(Bucket=BUCKET, Key=f"{bucket.prefix}/{name}")
    assert not [g for g in acl["Grants"] if "AllUsers" in g["Grantee"].get("URI", "")]
    with pytest.raises(ValueError):
        storage.private_storage().url(name)

    # A rolled-back save leaves a file no deduction names: the sweep lists the bucket and removes it.
    lost = SimpleUploadedFile("回滚.jpg", image_bytes(size=(200, 150)), content_type="image/jpeg")
    with pytest.raises(RuntimeError), TestCase.captureOnCommitCallbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            save(world, assessment, item, [{"points": 2, "reason": "回滚", "evidence": lost}])
            raise RuntimeError
    assert len(bucket(folder)) == 3
    assert evidence.sweep_orphans() == 0  # within the day's grace
    assert evidence.sweep_orphans(now=time.time() + 2 * 86400) == 1
    assert bucket("grading/") == [name, name + stored_evidence.THUMB_SUFFIX]
