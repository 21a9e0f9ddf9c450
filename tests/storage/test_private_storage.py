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
