"""Filters for the audit pages: the words for the codes of the audit record
(``ncii_cases.audit_labels``) and for a stage code."""

from django import template

from .. import audit_labels, choices

register = template.Library()


@register.filter
def event_label(code):
    """``transition`` -> "Stage changed"."""
    return audit_labels.event_label(code)


@register.filter
def access_label(code):
    """``case_detail`` -> "Case viewed"."""
    return audit_labels.access_label(code)


@register.filter
def stage_label(code):
    """``harm_assessment`` -> "Harm assessment"; "" stays empty."""
    return choices.stage_label(code) if code else ""
