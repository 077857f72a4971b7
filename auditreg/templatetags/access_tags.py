"""Access checks for templates, through auditreg.access (never a role compared in a template)."""

from django import template

from auditreg import access

register = template.Library()


@register.filter
def is_office(user) -> bool:
    return access.is_office(user)


@register.filter
def is_auditor(user) -> bool:
    return access.is_auditor(user)
