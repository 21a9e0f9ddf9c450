"""The printed certificate: a CJK font is embedded, the Chinese comes back out, and the QR code
points at the public verification page. Neither kind imitates a government certificate (issue 13,
"Honest documents"): a statutory certificate prints as its registration record, the group's own
exam as an internal training record issued by the group; the QR code stays inside the frame."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.utils import translation
from django.utils.translation import gettext

from compliance.training.models import Certificate
from tenants import roles
from tenants.models import Person

from ..conftest import login
from .test_certificates import make_cert

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not shutil.which("pdffonts"), reason="poppler-utils (pdffonts, pdftotext) not installed"
    ),
]


def _pdf(world, tmp_path, kind="special_operation", **extra):
    person = world.a.people[1]
    cert = make_cert(person, number="KA-2026-000123", kind=kind, **extra)
    response = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/training/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "cert.pdf"
    path.write_bytes(response.content)
    return cert, person, path


def test_pdf_embeds_a_cjk_font_and_chinese_text_comes_back(world, tmp_path):
    cert, person, path = _pdf(world, tmp_path)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert any("WenQuanYi" in line or "CJK" in line or "Micro" in line for line in fonts.splitlines()[2:]), (
        fonts
    )
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), "every font embedded"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert person.name in text
    with translation.override("zh-hans"):
        kind = str(Certificate.Kind.SPECIAL_OPERATION.label)
        operation = str(Person.OperationType.ELECTRICIAN.label)
        title = gettext("Certificate registration record")
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in (kind, operation, title)), "translated"
    assert kind in text and operation in text and title in text
    assert "KA-2026-000123" in text


def _text(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return "".join(out.stdout.split())


def test_a_statutory_certificate_prints_as_its_registration_not_as_the_certificate(world, tmp_path):
    cert, person, path = _pdf(world, tmp_path, issuer="贵州省应急管理厅")
    text = _text(path)
    # 证书登记信息: who issued it, its number and dates; said plainly not to be the certificate.
    assert text.startswith("证书登记信息")
    for words in ("发证机关贵州省应急管理厅", "证书编号KA-2026-000123", "发证日期2025-03-01",
                  "复审日期2028-03-01", "有效期至2031-03-01", "本页不是证书本身", "登记单位"):  # fmt: skip
        assert words in text, words
    # Nothing of a certificate's own face: no 合格证 title, no 操作证 claimed by the group.
    assert "合格证" not in text and "安全培训合格证" not in text


def test_an_internal_record_is_the_groups_own_and_says_it_is_no_government_certificate(world, tmp_path):
    cert, person, path = _pdf(
        world, tmp_path, kind="internal", operation_type="", source=Certificate.Source.EXAM, issuer="A矿业"
    )
    text = _text(path)
    assert text.startswith("企业内部培训考核合格证明")
    assert "出具单位：A矿业" in text
    assert "不是政府部门颁发的证书" in text and "不能代替特种作业操作证" in text
    # No authority is imitated: no 发证机关, no certificate-of-the-state title.
    assert "发证机关" not in text and "安全培训合格证" not in text and "证书登记信息" not in text


@pytest.mark.parametrize("kind", ["internal", "special_operation", "principal"])
def test_the_qr_code_and_every_word_stay_inside_the_frame_on_one_page(world, kind):
    """Laid out by WeasyPrint: one page, and the QR code, its caption and the issuer's line lie
    inside the frame's border box (nothing printed below it in the page margin)."""
    from compliance.reports import pdf
    from compliance.training import certificates as certs

    extra = {"operation_type": "", "source": Certificate.Source.EXAM} if kind == "internal" else {}
    cert = make_cert(world.a.people[1], number=f"FRAME-{kind}", kind=kind, **extra)
    document = pdf.render(
        certs.certificate_html(cert, verify_link="https://kuangan.example.cn/training/verify/x/")
    )
    assert len(document.pages) == 1
    page = document.pages[0]
    frame = qr = None
    texts = []
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        classes = (element.get("class") or "").split() if element is not None else []
        if "frame" in classes and frame is None:
            frame = box
        if "qr" in classes and box.element_tag == "td" and qr is None:
            qr = box
        if type(box).__name__ == "TextBox":
            texts.append(box)
    assert frame is not None and qr is not None
    top, bottom = frame.border_box_y(), frame.border_box_y() + frame.border_height()
    left, right = frame.border_box_x(), frame.border_box_x() + frame.border_width()
    for box in [qr, *texts]:
        assert top <= box.position_y and box.position_y + box.height <= bottom, box
        assert left <= box.position_x and box.position_x + box.width <= right, box


def test_qr_code_encodes_the_verification_url(world):
    from compliance.training import certificates as certs

    cert = make_cert(world.a.people[2], number="QR-1", kind="principal")
    url = f"http://testserver/training/verify/{cert.verify_token}/"
    uri = certs.qr_data_uri(url)
    assert uri.startswith("data:image/svg+xml")
    # The detail page shows the same absolute link the QR code carries.
    page = (
        login(world.a.users[roles.SAFETY_MANAGER]).get(f"/training/certificates/{cert.pk}/").content.decode()
    )
    assert url in page


def test_site_url_is_used_for_the_qr_link(world, settings):
    settings.SITE_URL = "https://kuangan.example.cn/"
    cert = make_cert(world.a.people[2], number="QR-2", kind="principal")
    page = (
        login(world.a.users[roles.SAFETY_MANAGER]).get(f"/training/certificates/{cert.pk}/").content.decode()
    )
    assert f"https://kuangan.example.cn/training/verify/{cert.verify_token}/" in page


def test_the_public_page_says_what_the_qr_code_verifies(world):
    """The QR code of a registration record checks the registration, not the certificate; that of
    an internal record says it is the group's own."""
    from django.test import Client

    statutory = make_cert(world.a.people[1], number="PUB-1")
    internal = make_cert(
        world.a.people[2], number="PUB-2", kind="internal", operation_type="", source=Certificate.Source.EXAM
    )
    page = Client().get(f"/training/verify/{statutory.verify_token}/").content.decode()
    assert "本页核验的是持证人所在企业登记的证书信息" in page and "发证机关" in page
    page = Client().get(f"/training/verify/{internal.verify_token}/").content.decode()
    assert "内部培训记录，不是政府部门颁发的证书" in page
