"""Charts drawn on the server as SVG (pygal), so the same chart shows on a page (as an <img>) and
in a PDF. Standalone SVG with no script: pygal writes its tooltips' config as an inline script
even with ``js=[]``, and an image neither needs nor runs one. Chinese legends sit below the plot
(``legend_at_bottom``): beside it they overlap the axis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.http import HttpResponse

FONT_FAMILY = "'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif"
_SCRIPT = re.compile(r"<script\b.*?</script>", flags=re.S)


def _style():
    from pygal.style import DefaultStyle

    return DefaultStyle(font_family=FONT_FAMILY)


def _render(chart) -> str:
    return _SCRIPT.sub("", chart.render(disable_xml_declaration=True))


def line_svg(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    y_range: tuple[float, float] | None = None,
    width: int = 800,
    height: int = 320,
) -> str:
    """Lines over ``x_labels``, one per (name, values); a None value leaves a gap."""
    import pygal

    chart = pygal.Line(
        js=[],
        legend_at_bottom=True,
        range=y_range,
        show_y_guides=True,
        height=height,
        width=width,
        title=title,
        style=_style(),
        allow_interruptions=True,
    )
    chart.x_labels = list(x_labels)
    for name, values in series:
        chart.add(name, list(values))
    return _render(chart)


def count_bar_svg(
    rows: Sequence[tuple[str, int]], *, title: str, series: str, width: int = 640, height: int = 320
) -> str:
    """One bar per (label, count), values printed on the bars, whole-number ticks only."""
    import pygal

    chart = pygal.Bar(
        js=[],
        show_legend=False,
        height=height,
        width=width,
        title=title,
        print_values=True,
        show_y_guides=True,
        min_scale=1,
        style=_style(),
    )
    chart.x_labels = [label for label, _n in rows]
    chart.y_labels = list(range(0, max([n for _label, n in rows] + [1]) + 1))
    chart.add(series, [n for _label, n in rows])
    return _render(chart)


def svg_response(svg: str) -> HttpResponse:
    """A chart as an image response. The view adds the CSP that allows pygal's inline styles for
    this response only (``csp_replace`` with ``style-src 'self' 'unsafe-inline'``, no script)."""
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _chart_csp():
    from csp.constants import NONE, SELF, UNSAFE_INLINE
    from csp.decorators import csp_replace

    return csp_replace({"style-src": [SELF, UNSAFE_INLINE], "script-src": [NONE], "default-src": [NONE]})


# Decorates the view function (``method_decorator(chart_csp, name="get")`` on a class) that serves
# a chart: pygal's styles are inside the SVG, allowed for that response only; never a script.
chart_csp = _chart_csp()
