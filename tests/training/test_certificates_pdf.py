"""The printed certificate: a CJK font is embedded, the Chinese comes back out, and the QR code
points at the public verification page."""

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


def _pdf(world, tmp_path, kind="special_operation"):
    person = world.a.people[1]
    cert = make_cert(person, number="KA-2026-000123", kind=kind)
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
        title = gettext("Safety training certificate")
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in (kind, operation, title)), "translated"
    assert kind in text and operation in text and title in text
    assert "KA-2026-000123" in text


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
