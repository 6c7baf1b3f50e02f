"""The platform's own notice under the TAKE IT DOWN Act: the letter of a takedown request to a
covered platform, as plain text to paste into the platform's web form and as a PDF.

The Act (Pub. L. 119-12, signed 19 May 2025; sec. 3(a)(1)(B)) makes a removal request valid
when it includes, in writing: (i) a physical or electronic signature of the identifiable
individual or of an authorized person acting on their behalf; (ii) an identification of, and
information reasonably sufficient for the platform to locate, the intimate visual depiction;
(iii) a brief statement of good-faith belief that the depiction is not consensual; (iv)
information sufficient to contact the individual or the authorized person. From 19 May 2026 a
covered platform must remove it within 48 hours of such a request (sec. 3(a)(3)); the clock
itself is ``clocks.takedown_clock``, started when the request is recorded as submitted.

One letter, two forms: ``notice_letter`` builds the sections once; ``NoticeLetter.text`` is
the paste-in version and the PDF template prints the same sections, so both say the same.
The letter never holds an image, never names the depicted person unless the coordinator
chose to (off by default for a minor), and never names who authorized the district (that is
kept in the record only). Choices and sources: docs/policy-rules.md.
"""

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import choices as c
from .. import event_details
from ..dates import date_errors
from ..models import Case, TakedownNotice, TakedownRequest
from ..obligations import party_age_in_imagery
from ..permissions import Action
from .common import require, require_open, row_add_recorded
from .corrections import TAKEDOWN_NOTICE_INPUTS, require_version

ACT = "TAKE IT DOWN Act (Pub. L. 119-12), section 3"
# The fields a coordinator fills in (and may correct later); the rest is derived.
INPUT_FIELDS = TAKEDOWN_NOTICE_INPUTS
AUTHORITY_WORDS = {
    TakedownNotice.Authority.DEPICTED: "with the authorization of the person depicted",
    TakedownNotice.Authority.PARENT: (
        "with the authorization of a parent or guardian of the person depicted"
    ),
    TakedownNotice.Authority.OTHER: "with the authorization of a person the depicted "
    "person authorized to act for them",
}


@dataclass(frozen=True)
class NoticeSection:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class NoticeLetter:
    """The letter: a title, a short header block (to, date, reference) and its sections."""

    title: str
    header: tuple[str, ...]
    sections: tuple[NoticeSection, ...]

    @property
    def text(self) -> str:
        """The letter as plain text (sections separated by blank lines), for a web form."""
        blocks = [self.title, "\n".join(self.header)]
        for section in self.sections:
            blocks.append(section.heading)
            blocks.extend(section.paragraphs)
        return "\n\n".join(b.strip() for b in blocks if b.strip()) + "\n"


def good_faith_statement_default(*, minor: bool | None) -> str:
    """The statement offered in the form (element iii); the coordinator may edit it."""
    text = (
        "The person depicted has a good-faith belief, which I share as the person authorized "
        "to act on their behalf, that the intimate visual depiction identified above is not "
        "consensual: it was published without their consent."
    )
    if minor:
        text += " The person depicted was under 18 when it was made and could not consent."
    return text


def content_location_default(takedown: TakedownRequest) -> str:
    """The identification of the content offered in the form (element ii): the platform and
    the location recorded on the request."""
    return f"Platform: {takedown.platform}\nLocation: {takedown.location}"


def depicted_minor(takedown: TakedownRequest) -> bool | None:
    """Whether the person depicted was under 18 in the imagery, as far as the case records it
    (None: not known or nobody named): the age in the imagery by the rule report duties and
    takedown routes follow (``obligations.party_age_in_imagery``), not the age now."""
    party = takedown.depicted_party
    if party is None:
        return None
    age = party_age_in_imagery(party)
    return {c.AgeInImagery.UNDER_18: True, c.AgeInImagery.ADULT: False}.get(age)


def notice_letter(
    *, takedown: TakedownRequest, data: dict, minor: bool | None, at: dt.datetime
) -> NoticeLetter:
    """Builds the letter from the form's values (``INPUT_FIELDS``) and the request. ``at`` is
    the letter's date (an aware datetime, printed in the district's time zone)."""
    case = takedown.case
    zone = zoneinfo.ZoneInfo(case.district.time_zone)
    date = timezone.localtime(at, zone).strftime("%B %-d, %Y")
    if data.get("name_depicted") and (data.get("depicted_name") or "").strip():
        who = f"The person depicted is {data['depicted_name'].strip()}."
    else:
        who = (
            "To protect their privacy this notice does not give the name of the person "
            "depicted. The district will confirm their identity to your trust and safety "
            "team on request, through the contact below."
        )
    if minor:
        who += (
            " The person depicted is a student who was under 18 when the imagery was made. "
            "Content depicting a minor may be child sexual abuse material, which federal law "
            "requires providers to report to NCMEC's CyberTipline (18 U.S.C. 2258A)."
        )
    authority = AUTHORITY_WORDS.get(data["authority"], AUTHORITY_WORDS["other"])
    contact = [
        f"{data['signer_name'].strip()}, {data['signer_title'].strip()}",
        str(case.district),
        f"E-mail: {data['contact_email'].strip()}",
    ]
    if (data.get("contact_phone") or "").strip():
        contact.append(f"Phone: {data['contact_phone'].strip()}")
    if (data.get("contact_address") or "").strip():
        contact.append(" ".join(data["contact_address"].split()))
    return NoticeLetter(
        title=f"Removal request under the {ACT}",
        header=(
            f"To: {takedown.platform}",
            f"Date: {date}",
            f"Our reference: {case.reference}-T{takedown.pk}",
        ),
        sections=(
            NoticeSection(
                "1. The content to remove",
                (
                    data["content_location"].strip(),
                    "No copy of the image is attached to this notice. Please remove the "
                    "content at the location above within 48 hours, as the Act requires, "
                    "and make reasonable efforts to remove known identical copies.",
                ),
            ),
            NoticeSection("2. The person depicted", (who,)),
            NoticeSection("3. Statement of good faith", (data["statement"].strip(),)),
            NoticeSection("4. Contact information", ("\n".join(contact),)),
            NoticeSection(
                "5. Signature",
                (
                    data["signature"].strip(),
                    f"Electronic signature of {data['signer_name'].strip()}, "
                    f"{data['signer_title'].strip()}, {case.district}, acting on behalf of "
                    f"the person depicted {authority}.",
                ),
            ),
        ),
    )


def notice_inputs_check(data: dict) -> None:
    """Raises ``ValidationError`` keyed by field when an element of a valid request is
    missing or when the letter would carry something it must not."""
    errors = {}
    required = {
        "authorized_by_name": "Say who authorized the district to act for the person.",
        "content_location": "Say where the content is, so the platform can find it.",
        "statement": "A brief good-faith statement that it is not consensual is required.",
        "signer_name": "Give the name of the person signing.",
        "signer_title": "Give the signer's title.",
        "signature": "Type the electronic signature, for example '/s/ First Last'.",
        "contact_email": "Give an e-mail address the platform can reach.",
    }
    for name, message in required.items():
        if not str(data.get(name) or "").strip():
            errors[name] = message
    if data.get("name_depicted") and not (data.get("depicted_name") or "").strip():
        errors["depicted_name"] = "Give the name to print, or leave the person unnamed."
    if not data.get("authorized_on"):
        errors["authorized_on"] = "Give the date the authorization was given."
    else:
        errors.update(date_errors("takedown_notice", {"authorized_on": data["authorized_on"]}))
    if errors:
        raise ValidationError(errors)


def _render(notice: TakedownNotice, *, minor: bool | None, at: dt.datetime) -> None:
    """Sets the notice's text and PDF (stored through Django's storage API) from its inputs."""
    from ..pdf_render import notice_pdf_render

    letter = notice_letter(
        takedown=notice.takedown,
        data={name: getattr(notice, name) for name in INPUT_FIELDS},
        minor=minor,
        at=at,
    )
    notice.text = letter.text
    content = notice_pdf_render(letter)
    notice.pdf_sha256 = hashlib.sha256(content).hexdigest()
    notice.pdf.save("notice.pdf", ContentFile(content), save=False)


def current_notice(takedown: TakedownRequest) -> TakedownNotice | None:
    """The request's notice in force (the latest not withdrawn), or None."""
    return (
        TakedownNotice.objects.current()
        .filter(takedown=takedown)
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def takedown_notice_create(
    *, actor, case: Case, takedown: TakedownRequest, version: int | None, **inputs
) -> TakedownNotice:
    """Stores the notice of a platform-route takedown request (text and PDF) with its event,
    and returns it. ``inputs``: the ``INPUT_FIELDS``; ``version``: the request's version the
    form showed. Raises ``TransitionForbidden`` without the right to work the case,
    ``StaleRecord`` when the request changed since the form was opened, ``ValidationError``
    for a request that is not the platform's own route, one that already has its notice (it
    is corrected or withdrawn instead), a closed case, or a missing element (keyed by field).
    """
    require(actor, Action.WORK, case)
    try:
        takedown = (
            # Only the request's row is locked: PostgreSQL locks no nullable side of a join.
            TakedownRequest.objects.select_for_update(of=("self",))
            .select_related("platform", "case__district", "depicted_party")
            .get(pk=takedown.pk, case=case)
        )
    except TakedownRequest.DoesNotExist:
        raise ValidationError(_("This takedown request is not one of this case's.")) from None
    require_open(case)
    require_version(takedown, version)
    if takedown.withdrawn_at is not None:
        raise ValidationError(_("This takedown request was withdrawn; it takes no notice."))
    if takedown.route != TakedownRequest.Route.PLATFORM:
        raise ValidationError(
            _(
                "A notice under the TAKE IT DOWN Act goes to the platform itself. Take It Down and "
                "StopNCII take no notice: add a request on the platform's own route for it."
            )
        )
    if current_notice(takedown) is not None:
        raise ValidationError(
            _("This request already has its notice. Correct it, or withdraw it first.")
        )
    unknown = set(inputs) - set(INPUT_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown notice fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    notice_inputs_check(inputs)
    notice = TakedownNotice(
        case=case,
        takedown=takedown,
        depicted_minor=depicted_minor(takedown),
        created_by=actor,
        **{name: inputs.get(name, "") for name in INPUT_FIELDS if name in inputs},
    )
    if not notice.name_depicted:
        notice.depicted_name = ""
    _render(notice, minor=notice.depicted_minor, at=timezone.now())
    return row_add_recorded(
        notice,
        actor,
        lambda row: event_details.takedown_notice_created(
            notice_id=row.pk,
            takedown_id=takedown.pk,
            platform=takedown.platform.slug,
            authority=row.authority,
            name_depicted=row.name_depicted,
            pdf_sha256=row.pdf_sha256,
        ),
    )


def takedown_notice_refresh(notice: TakedownNotice) -> None:
    """After a correction of its inputs (``services.corrections``): checks them again and
    renders the text and a new PDF. The earlier PDF stays in storage, named in history."""
    notice_inputs_check({name: getattr(notice, name) for name in INPUT_FIELDS})
    if not notice.name_depicted:
        notice.depicted_name = ""
    _render(notice, minor=notice.depicted_minor, at=timezone.now())
