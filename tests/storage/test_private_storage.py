"""The private storage on its default backend: names that point elsewhere reach nothing, no URL
is ever made, listing works through the storage API."""

from __future__ import annotations

import pytest
from django.conf import settings

from compliance import storage


def test_names_that_leave_the_storage_reach_nothing(tmp_path):
    outside = settings.PRIVATE_MEDIA_ROOT.parent / "secret.txt"
    outside.write_text("secret")
    for name in ("../secret.txt", "/etc/hostname", "a/../../secret.txt", "", "a\\..\\b", "./x"):
        assert storage.clean_name(name) is None, name
        assert storage.open_stored(name) is None and not storage.exists(name), name
    storage.delete("../secret.txt")
    assert outside.exists()


def test_files_are_saved_read_listed_and_deleted_by_name():
    name = storage.save("jobs/a.xlsx", b"one")
    assert name == "jobs/a.xlsx" and storage.read_bytes(name) == b"one"
    assert storage.save("jobs/a.xlsx", b"two") != name  # never overwritten by accident …
    assert storage.save("jobs/a.xlsx", b"three", overwrite=True) == name  # … only when asked
    assert storage.read_bytes(name) == b"three"
    storage.save("grading/1/2/x.jpg", b"x")
    assert list(storage.walk("grading", depth=2)) == ["grading/1/2/x.jpg"]
    assert list(storage.walk("grading", depth=1)) == []
    assert "grading/1/2/x.jpg" in list(storage.walk(""))
    storage.delete(name)
    assert not storage.exists(name) and storage.read_bytes(name) is None
    assert list(storage.walk("nothing-here")) == []


def test_no_url_is_ever_made_for_a_private_file():
    with pytest.raises(ValueError):
        storage.private_storage().url("jobs/a.xlsx")


def test_the_s3_backend_refuses_a_public_acl():
    from compliance.storage.s3 import PrivateS3Storage

    assert PrivateS3Storage(bucket_name="b").default_acl is None
    with pytest.raises(ValueError):
        PrivateS3Storage(bucket_name="b", default_acl="public-read")


def test_the_environment_chooses_the_object_store(tmp_path):
    """The variables the README documents configure the bucket; unset, the filesystem as before."""
    import json
    import os
    import subprocess
    import sys

    fields = (
        "bucket_name endpoint_url region_name addressing_style location access_key default_acl file_overwrite"
    )
    code = (
        "import django, json; django.setup(); from compliance import storage; s = storage.private_storage(); "
        f"print(json.dumps([type(s).__name__] + [getattr(s, f, None) for f in {fields.split()!r}]))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KUANGAN_S3_", "AWS_"))}
    base |= {"DJANGO_SETTINGS_MODULE": "compliance.settings", "KUANGAN_VAR_DIR": str(tmp_path)}

    def chosen(**env) -> list:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env={**base, **env},
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr[-800:]
        return json.loads(out.stdout)

    default = chosen()
    assert default[0] == "PrivateFileSystemStorage" and default[5] == str(tmp_path / "private")
    assert chosen(
        KUANGAN_S3_BUCKET="kuangan-private",
        KUANGAN_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        KUANGAN_S3_REGION="cn-north-1",
        KUANGAN_S3_ADDRESSING_STYLE="path",
        KUANGAN_S3_PREFIX="/site-a/",
        KUANGAN_S3_ACCESS_KEY_ID="key",
        KUANGAN_S3_SECRET_ACCESS_KEY="secret",
    ) == [
        "PrivateS3Storage",
        "kuangan-private",
        "http://127.0.0.1:9000",
        "cn-north-1",
        "path",
        "site-a",
        "key",
        None,
        False,
    ]
    # Credentials may come from the AWS variables instead.
    assert (
        chosen(KUANGAN_S3_BUCKET="b", AWS_ACCESS_KEY_ID="aws-key", AWS_SECRET_ACCESS_KEY="s")[6] == "aws-key"
    )
