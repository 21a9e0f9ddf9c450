"""Uploads are checked for size, extension and content before anything is stored; the messages say
what is wrong, in Chinese, on the file field."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from openpyxl import Workbook

from compliance import files, storage
from compliance.jobs.models import Job
from tenants import people_io, roles
from tenants.scope import activate, dangerously_platform_scope

from .conftest import login
from .factories import resident_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n<<>>\nendobj\n"


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "工号", "岗位类别"])
    wb.active.append(["甲", resident_id(seq=801), "F-1", "其他从业人员"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


DOCX = zip_bytes(
    {
        "[Content_Types].xml": '<Types><Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": "<w:document/>",
    }
)
PLAIN_ZIP = zip_bytes({"people.csv": "姓名,工号\n甲,1\n"})

# Chinese messages, as the user sees them (the default language).
TOO_LARGE = "文件超过了"
WRONG_TYPE = "只接受以下类型的文件：Excel 工作簿（.xlsx）。"
NOT_XLSX = "文件内容不是有效的Excel 工作簿（.xlsx），是否把别的文件改了扩展名？"

REFUSED = {
    "oversize": ("big.xlsx", None, TOO_LARGE),  # a real workbook, over a 1 KB limit
    "wrong extension": ("people.csv", None, WRONG_TYPE),
    "no extension": ("people", None, WRONG_TYPE),
    "renamed PDF": ("people.xlsx", PDF, NOT_XLSX),
    "renamed PNG": ("people.xlsx", PNG, NOT_XLSX),
    "plain zip": ("people.xlsx", PLAIN_ZIP, NOT_XLSX),
    "Word document": ("people.xlsx", DOCX, NOT_XLSX),
    "broken zip": ("people.xlsx", b"PK\x03\x04 and then nothing", NOT_XLSX),
}


def uploaded(name: str, content: bytes | None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes() if content is None else content)


# --- the validator --------------------------------------------------------------------------------
def test_a_real_workbook_passes():
    assert files.validate_upload(uploaded("人员.XLSX", None), kinds=["xlsx"], max_bytes=2**20).key == "xlsx"


@pytest.mark.parametrize("case", REFUSED)
def test_refused_with_a_message_that_says_why(case):
    name, content, message = REFUSED[case]
    upload = uploaded(name, content)
    with pytest.raises(ValidationError) as refused:
        files.validate_upload(upload, kinds=["xlsx"], max_bytes=1024 if case == "oversize" else 2**20)
    assert message in refused.value.messages[0]
    assert upload.tell() == 0  # left rewound for whoever reads it next


def test_oversize_is_refused_before_the_content_is_read_and_names_the_limit():
    big = uploaded("big.xlsx", b"x" * (5 * 2**20 + 1))
    with pytest.raises(ValidationError) as refused:
        files.validate_upload(big, kinds=["xlsx"], max_bytes=5 * 2**20)
    assert refused.value.messages == ["文件超过了 5.0\xa0MB 的大小上限。"]  # filesizeformat: a no-break space
    assert refused.value.error_list[0].code == "too_large"


def test_the_limit_is_inclusive_and_empty_files_are_refused():
    content = xlsx_bytes()
    files.validate_upload(uploaded("ok.xlsx", content), kinds=["xlsx"], max_bytes=len(content))
    with pytest.raises(ValidationError, match="文件是空的"):
        files.validate_upload(uploaded("empty.xlsx", b""), kinds=["xlsx"], max_bytes=2**20)


def test_a_zip_that_unpacks_too_far_is_refused(monkeypatch):
    monkeypatch.setattr(files, "XLSX_MAX_UNPACKED_BYTES", 1000)  # a real workbook unpacks to more
    with pytest.raises(ValidationError, match="文件内容不是有效的"):
        files.validate_upload(uploaded("bomb.xlsx", None), kinds=["xlsx"], max_bytes=2**20)


@pytest.mark.parametrize(
    "kind,name,content",
    [
        ("png", "photo.png", PNG),
        ("jpeg", "photo.JPG", JPEG),
        ("jpeg", "photo.jpeg", JPEG),
        ("pdf", "scan.pdf", PDF),
    ],
)
def test_evidence_kinds_are_recognised_by_their_signature(kind, name, content):
    evidence = ["png", "jpeg", "pdf"]
    assert files.validate_upload(uploaded(name, content), kinds=evidence, max_bytes=2**20).key == kind
    wrong = {"png": JPEG, "jpeg": PDF, "pdf": PNG}[kind]
    with pytest.raises(ValidationError, match="文件内容不是有效的"):
        files.validate_upload(uploaded(name, wrong), kinds=evidence, max_bytes=2**20)
    with pytest.raises(ValidationError, match="只接受以下类型的文件"):
        files.validate_upload(uploaded("photo.gif", content), kinds=evidence, max_bytes=2**20)


def test_served_content_types_come_from_the_accepted_extension():
    assert files.content_type_for("jobs/x.xlsx") == files.XLSX_CONTENT_TYPE == people_io.XLSX
    assert files.content_type_for("a.JPG") == "image/jpeg"
    assert files.content_type_for("a.html") == "application/octet-stream"


def test_private_files_may_not_live_under_a_served_directory(settings, tmp_path):
    assert files.check_private_media_root() == []
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "static" / "private"
    assert [e.id for e in files.check_private_media_root()] == ["kuangan.E001"]


# --- the import page, the API and the service -------------------------------------------------------
def _stored(settings) -> list:
    return list(storage.walk(""))


def _jobs() -> int:
    with dangerously_platform_scope():
        return Job.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED)
def test_the_import_page_refuses_on_the_file_field_and_stores_nothing(world, settings, case):
    name, content, message = REFUSED[case]
    if case == "oversize":
        settings.IMPORT_MAX_BYTES = 1024
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/people/import/", {"org_unit": str(world.a.mine.pk), "file": uploaded(name, content)}
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" data-field="file">{message}' in html.replace("&#x27;", "'")
    assert _stored(settings) == [] and _jobs() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED)
def test_the_import_api_refuses_on_the_file_field_and_stores_nothing(world, settings, case):
    name, content, message = REFUSED[case]
    if case == "oversize":
        settings.IMPORT_MAX_BYTES = 1024
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/people/import/", {"org_unit": str(world.a.mine.pk), "file": uploaded(name, content)}
        )
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["file"] and message in errors["file"][0]
    assert _stored(settings) == [] and _jobs() == 0


@pytest.mark.django_db
def test_the_service_checks_too(world, settings):
    """Belt and braces: a caller that skipped the form still cannot store a disguised file."""
    user = world.a.users[roles.SAFETY_MANAGER]
    scope = world.a.scope(roles.SAFETY_MANAGER)
    with activate(scope), pytest.raises(ValidationError) as refused:
        people_io.people_import_start(
            scope=scope, user=user, org_unit=world.a.mine, upload=uploaded("p.xlsx", DOCX)
        )
    assert NOT_XLSX in refused.value.message_dict["file"][0]
    assert _stored(settings) == [] and _jobs() == 0


# --- images: refused above IMAGE_MAX_PIXELS from the header, before any pixel is decoded -------


def png_of(width: int, height: int) -> bytes:
    """A real, valid black-and-white PNG: 12000×12000 is 17.5 KB and would decode to 1.6 GB."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress((b"\x00" * (1 + (width + 7) // 8)) * height, 6)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


HUGE_PNG = png_of(12000, 12000)
TOO_MANY_PIXELS = "图片超过 40 百万像素（宽 × 高），无法处理。请缩小后重新上传。"


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if any pixel is decoded (every Pillow decode goes through ``load``)."""
    from unittest import mock

    from PIL import Image, ImageFile

    loads = []
    for cls in (Image.Image, ImageFile.ImageFile):
        monkeypatch.setattr(cls, "load", mock.Mock(side_effect=lambda *a: loads.append(a)))
    return loads


def test_an_image_above_the_pixel_limit_is_refused_from_its_header(no_decoding):
    assert len(HUGE_PNG) < 20_000
    with pytest.raises(ValidationError) as refused:
        files.validate_upload(
            uploaded("巷道.png", HUGE_PNG), kinds=["png", "jpeg"], max_bytes=2**20, field="photo"
        )
    assert refused.value.message_dict == {"photo": [TOO_MANY_PIXELS]}
    assert no_decoding == []


def test_the_pixel_limit_is_a_setting_and_inclusive(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    assert (
        files.validate_upload(uploaded("a.png", png_of(100, 100)), kinds=["png"], max_bytes=2**20).key
        == "png"
    )
    with pytest.raises(ValidationError, match="0.01 百万像素"):
        files.validate_upload(uploaded("a.png", png_of(101, 100)), kinds=["png"], max_bytes=2**20)


def test_pillows_own_guard_is_an_error_at_the_limit_not_a_warning(settings):
    import warnings

    from PIL import Image

    # Set when the app loads, for every image any code opens (WeasyPrint's too).
    assert Image.MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(HUGE_PNG))
    # 48 megapixels: over the 40 MP limit, under twice it, where Pillow by itself only warns. (The
    # test runner resets warning filters around each test; the app sets this one when it loads.)
    with warnings.catch_warnings():
        files.guard_image_decoding()
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(io.BytesIO(png_of(8000, 6000)))
