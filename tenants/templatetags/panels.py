"""``{% render_panel panel %}``: one registered person-page panel, rendered inside the page's own
context (request, CSRF token, ``person``, ``scope``) plus what its provider returned."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel):
    tmpl = context.template.engine.get_template(panel.template)
    with context.push(**panel.context):
        return tmpl.render(context)
