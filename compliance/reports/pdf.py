"""PDF rendering (WeasyPrint), the same way for every report.

A report's HTML holds users' text (escaped, but still theirs), so WeasyPrint fetches nothing
but what the report hands over: named resources (bytes, e.g. the thumbnails of evidence photos)
and ``data:`` URIs written into the HTML (e.g. a QR code). No ``file:``, no ``http:`` — a
template that names anything else gets a visible gap, not a file of the server or a request to
another machine.

The font: templates include ``reports/_pdf_font.css``, which puts the CJK face on ``html``
(``@page`` margin boxes inherit from the root). ``fonts-wqy-microhei`` provides it (./dev installs
it); without a CJK font WeasyPrint still succeeds and prints boxes.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

FONT_CSS_TEMPLATE = "reports/_pdf_font.css"


def _fetcher(resources: Mapping[str, tuple[bytes, str]]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LockedFetcher(URLFetcher):
        """Hands over the report's own resources as bytes (rather than data: URIs, which the
        HTML parser would read character by character) and decodes data: URIs; refuses the rest."""

        def fetch(self, url, headers=None):
            if url in resources:
                body, content_type = resources[url]
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"a report fetches nothing else: {url[:80]}")

    return LockedFetcher(allowed_protocols=("data",), allow_redirects=False)


def render(html: str, *, resources: Mapping[str, tuple[bytes, str]] | None = None):
    """The laid-out WeasyPrint document of ``html`` (``.pages``, ``.write_pdf()``).
    ``resources``: address in the HTML (e.g. ``evidence:3``) → (bytes, content type)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_fetcher(resources or {})).render()


def render_pdf(html: str, *, resources: Mapping[str, tuple[bytes, str]] | None = None) -> bytes:
    return render(html, resources=resources).write_pdf()
