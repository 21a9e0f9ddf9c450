"""The project's format modules (settings.FORMAT_MODULE_PATH), one per language.

Django renders a date, time or datetime widget's value with the first of the language's
*_INPUT_FORMATS. Django's zh_Hans list starts with ``%Y/%m/%d``, which ``<input type="date">``
cannot read: the browser showed the field blank and submitted nothing, so saving an untouched
form erased every date on it (a mine's licence expiry dates, a person's post dates). Here the
formats the HTML inputs read come first in every language; the language's own forms stay
accepted after them, for text typed where no date picker exists.

Numbers need nothing here: a form field renders its number unlocalized unless it sets
``localize=True`` (none does), and USE_THOUSAND_SEPARATOR stays off, so a hand-written
``<input type="number">`` gets ``1234.5`` in every language too (``|unlocalize`` says so where
a template prints one).
"""

# The value strings of the HTML inputs (HTML Living Standard, "dates and times"): a date; a time
# to the minute; a local date and time, normalized with "T" and to the minute, since the input's
# default step is 60 s and a value with seconds would not pass the browser's own validation.
HTML_DATE = "%Y-%m-%d"
HTML_TIME = "%H:%M"
HTML_DATETIME = "%Y-%m-%dT%H:%M"


def _first(first: str, formats) -> list[str]:
    return [first, *(f for f in formats if f != first)]


def html_input_formats(language_formats) -> tuple[list[str], list[str], list[str]]:
    """DATE_, TIME_ and DATETIME_INPUT_FORMATS of a language, the HTML input formats first."""
    return (
        _first(HTML_DATE, language_formats.DATE_INPUT_FORMATS),
        _first(HTML_TIME, language_formats.TIME_INPUT_FORMATS),
        _first(HTML_DATETIME, language_formats.DATETIME_INPUT_FORMATS),
    )
