"""The shared report machinery: the PDF fetcher reads only what a report hands over, and charts
are standalone SVG with no script."""

from __future__ import annotations

import base64
import re

from compliance.reports import charts, pdf

from ..grading.pdf_factories import image_bytes


def _images(document: bytes) -> int:
    return document.count(b"/Subtype /Image")


def test_the_pdf_fetcher_hands_over_the_reports_resources_and_data_uris_only(tmp_path):
    photo = image_bytes("PNG", size=(40, 30))
    on_disk = tmp_path / "secret.png"
    on_disk.write_bytes(photo)
    data_uri = "data:image/png;base64," + base64.b64encode(photo).decode()

    def render(src: str) -> bytes:
        html = f'<html><body><p>证书</p><img src="{src}"></body></html>'
        return pdf.render_pdf(html, resources={"evidence:0": (photo, "image/png")})

    assert _images(render("evidence:0")) == 1
    assert _images(render(data_uri)) == 1
    # Not a file of the server, not a relative path resolved against the project, not the network.
    for src in (on_disk.as_uri(), "secret.png", "compliance/settings.py", "http://127.0.0.1:9/x.png"):
        assert _images(render(src)) == 0, src


def test_a_report_template_gets_the_cjk_font_on_the_root():
    from django.template.loader import render_to_string

    css = render_to_string(pdf.FONT_CSS_TEMPLATE)
    assert re.search(r'html\s*\{\s*font-family:\s*"WenQuanYi Micro Hei"', css)


def test_charts_are_svg_without_script_and_keep_their_labels():
    line = charts.line_svg(
        ["2026-01", "2026-02"],
        [("考试", [80.0, None]), ("逢查必考", [50.0, 75.0])],
        title="合格率",
        y_range=(0, 100),
    )
    bars = charts.count_bar_svg([("一级", 2), ("二级", 0)], title="各级矿井", series="矿井")
    for svg in (line, bars):
        assert svg.startswith("<svg") and "<script" not in svg
    assert "逢查必考" in line and "合格率" in line and "一级" in bars
    response = charts.svg_response(bars)
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
