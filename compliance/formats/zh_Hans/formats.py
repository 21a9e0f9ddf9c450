from django.conf.locale.zh_Hans import formats as django_formats

from compliance.formats import html_input_formats

DATE_INPUT_FORMATS, TIME_INPUT_FORMATS, DATETIME_INPUT_FORMATS = html_input_formats(django_formats)
