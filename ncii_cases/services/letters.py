"""Writes of letters from templates: a new version of a district's template, and a letter
sent on a case (its final text, its PDF, the notice that logs it and one event).

The rules of what a letter may say and who may get it are in ``ncii_cases.letters``.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import event_details, letters
from ..audit import case_event_record
from ..errors import TransitionForbidden
from ..models import Case, PartyNotice
from ..models_letters import Letter, LetterKind, LetterLanguage, LetterTemplate
from ..permissions import Action, districts_where
from .common import require, require_open, stamp
from .corrections import StaleRecord

TEMPLATE_STALE = (
    "Someone saved a newer version of this template while you were editing. Your text is "
    "below: compare it with the version now in force, then save again."
)


def _district_check(actor, district) -> None:
    if not districts_where(actor, Action.MANAGE_LETTERS).filter(pk=district.pk).exists():
        raise TransitionForbidden(_("You may not edit this district's letter templates."))


@transaction.atomic
def letter_template_save(
    *,
    actor,
    district,
    kind: str,
    language: str,
    subject: str,
    body: str,
    note: str = "",
    base_number: int,
) -> LetterTemplate:
    """Saves the next version of the district's template of ``kind`` in ``language`` and
    returns it. ``base_number`` is the version the form was opened on (0: the shipped
    default). Raises ``TransitionForbidden`` without ``Action.MANAGE_LETTERS`` in the
    district, ``StaleRecord`` when a newer version was saved since, ``ValidationError`` for an
    unknown kind or language, and ``letters.LetterTemplateError`` naming each refused tag,
    filter or variable."""
    _district_check(actor, district)
    if kind not in LetterKind.values or language not in LetterLanguage.values:
        raise ValidationError(_("No such letter template."))
    subject, body = subject.strip(), body.replace("\r\n", "\n").strip()
    letters.template_pair_check(kind=kind, subject=subject, body=body)
    current = letters.template_in_force(district_id=district.pk, kind=kind, language=language)
    if (current.number if current else 0) != base_number:
        raise StaleRecord(TEMPLATE_STALE)
    try:
        with transaction.atomic():
            return LetterTemplate.objects.create(
                district=district,
                kind=kind,
                language=language,
                number=base_number + 1,
                subject=subject,
                body=body,
                note=note.strip()[:300],
                created_by=actor,
            )
    except IntegrityError:
        # Two saves of the same version at once: the second finds the first's number taken.
        raise StaleRecord(TEMPLATE_STALE) from None


def _text_check(subject: str, body: str) -> None:
    errors = {}
    if not subject.strip():
        errors["subject"] = _("Write the letter's subject.")
    elif len(subject) > letters.MAX_SUBJECT:
        errors["subject"] = _("At most %(n)d characters.") % {"n": letters.MAX_SUBJECT}
    if not body.strip():
        errors["body"] = _("Write the letter's text.")
    elif len(body) > letters.MAX_OUTPUT:
        errors["body"] = _("The letter is too long to send.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def letter_send(
    *,
    actor,
    case: Case,
    kind: str,
    recipient_key: str,
    language: str,
    subject: str,
    body: str,
) -> Letter:
    """Records a letter as sent: its final ``subject`` and ``body`` (plain text, as edited
    for this letter; never rendered again), its PDF of the same text, the ``PartyNotice``
    that logs it (method "letter"; none for the TAKE IT DOWN notice, which belongs to its
    takedown request) and one ``LETTER_SENT`` event. Returns the letter.

    Raises ``TransitionForbidden`` without the kind's right on the case (``letters.kind_spec``),
    ``ValidationError`` for a closed case, an unknown kind, language or recipient (a forged or
    stale choice), a recipient who cannot get the letter now (the reason, such as a parent
    notification the recorded decision does not allow), or an empty or too long text (keyed
    by field)."""
    from ..pdf_render import letter_pdf_render

    if kind not in LetterKind.values:
        raise ValidationError(_("No such kind of letter."))
    spec = letters.kind_spec(kind)
    require(actor, spec.action, case)
    # One letter at a time per case: the case row is the lock (a recipient's state is read
    # after it).
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("district", "school")
        .get(pk=case.pk)
    )
    require_open(case)
    if language not in LetterLanguage.values:
        raise ValidationError(_("Choose the letter's language."))
    recipient = letters.letter_recipient(user=actor, case=case, kind=kind, key=recipient_key)
    if recipient is None:
        raise ValidationError(_("That recipient cannot get this letter on this case."))
    if recipient.problem:
        raise ValidationError(recipient.problem)
    subject = " ".join(subject.split())
    body = letters._tidy(body)
    _text_check(subject, body)
    draft = letters.letter_draft(
        case=case, kind=kind, recipient=recipient, sender=actor, language=language
    )
    _preferred, note = letters.letter_language(recipient.language)
    letter = Letter(
        case=case,
        kind=kind,
        party=recipient.party,
        takedown=recipient.takedown,
        recipient_name=recipient.name,
        language=language,
        language_note=note if language == LetterLanguage.ENGLISH else "",
        template=draft.template,
        subject=subject,
        body=body,
        edited=(subject, body) != (draft.subject, draft.body),
        created_by=actor,
    )
    content = letter_pdf_render(subject=subject, body=body, language=language)
    letter.pdf_sha256 = hashlib.sha256(content).hexdigest()
    letter.pdf.save("letter.pdf", ContentFile(content), save=False)
    if spec.notice_kind is not None:
        notice = PartyNotice(
            case=case,
            party=recipient.party,
            recipient_name=recipient.name,
            kind=spec.notice_kind,
            method=PartyNotice.Method.LETTER,
            sent_at=timezone.now(),
            sent_by=actor,
            summary=_("Letter “%(subject)s” (%(kind)s), kept with its PDF.")
            % {"subject": subject, "kind": LetterKind(kind).label},
        )
        notice.full_clean()
        stamp(notice, actor).save()
        letter.notice = notice
    stamp(letter, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.letter_sent(
            letter_id=letter.pk,
            notice_id=letter.notice_id,
            kind=kind,
            party_id=letter.party_id,
            takedown_id=letter.takedown_id,
            language=language,
            template_id=letter.template_id,
            edited=letter.edited,
            pdf_sha256=letter.pdf_sha256,
        ),
    )
    return letter
