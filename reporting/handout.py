"""The family handout: a printable one-page PDF of the district's policy page, in the
language of the request. It holds no case data, so it is rendered synchronously, and the PDF is
kept in the cache: the key names the district, the language and the policy version, plus a
digest of the rendered HTML, so that any change to what it says (the coordinator's contact, a
resource, a translation, the report link) makes a new PDF instead of serving a stale one.
"""

import hashlib
import logging

from django.core.cache import cache
from django.template.loader import render_to_string

from ncii_cases.pdf_render import PREFIX, html_pdf_build

logger = logging.getLogger(__name__)

HANDOUT_TEMPLATE = "reporting/family_handout_pdf.html"
# A day: the key changes with the content, so this only bounds how long an unused PDF is kept.
HANDOUT_CACHE_SECONDS = 24 * 60 * 60


def public_report_path(*, district_slug: str) -> str:
    """The path of the district's public report page (the anonymous report form),
    ``/report/<slug>/``.

    The one place that builds it: the page belongs to the public reporting work (URL name
    ``ncii_cases:public_report``, argument ``district_slug``); until that URL exists on this
    branch the same path is built by hand. Once it does, this becomes
    ``reverse("ncii_cases:public_report", kwargs={"district_slug": district_slug})``."""
    return f"/report/{district_slug}/"


def family_handout_html(*, policy, language: str, report_url: str, policy_url: str) -> str:
    """The handout's HTML in the active language. ``policy`` is a
    ``policies.selectors_public.PublicPolicy``; the URLs are absolute (printed on paper)."""
    return render_to_string(
        HANDOUT_TEMPLATE,
        {
            "p": policy,
            "language": language,
            "report_url": report_url,
            "policy_url": policy_url,
            "stylesheet": f"{PREFIX}css/handout.css",
        },
    )


def family_handout_pdf(*, policy, language: str, report_url: str, policy_url: str) -> bytes:
    """Returns the handout as PDF bytes (tagged PDF/UA-1), from the cache when the same
    content was rendered before. Rendering happens through reporting.pdf's locked-down
    fetcher (project stylesheets and fonts only)."""
    html = family_handout_html(
        policy=policy, language=language, report_url=report_url, policy_url=policy_url
    )
    digest = hashlib.sha256(html.encode()).hexdigest()
    key = f"family-handout:{policy.district_pk}:{language}:{policy.policy_pk}:{digest}"
    content = cache.get(key)
    if content is None:
        rendered = html_pdf_build(html)
        if rendered.pages > 1:
            # Still served (every word of it matters), but a printed handout is one sheet:
            # the district's own resources or contact text are too long for it.
            logger.warning(
                "The family handout of district %s (%s) runs to %d pages.",
                policy.district_pk,
                language,
                rendered.pages,
            )
        content = rendered.content
        cache.set(key, content, HANDOUT_CACHE_SECONDS)
    return content
