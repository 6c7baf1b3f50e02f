"""Translations of the shipped catalog text that the public pages show.

The definitions and resources live in the database (seeded by
``policies.migrations.0002_seed_policy_catalogs``), so ``makemessages`` cannot find them in a
template. The shipped wording of each row the public policy page and the family handout show
is repeated here, marked with ``gettext_noop``, so that it is extracted into
``locale/<lang>/LC_MESSAGES/django.po`` and translated like any other string.
``tests/policies/test_public_policy.py`` checks that every string here is the seeded wording,
word for word, and that each is translated.

A row a district has edited, or added, is shown as the district wrote it: its text is not in
the catalog, and ``localized`` returns it unchanged.
"""

from django.utils.translation import gettext, gettext_noop

# The definitions of the policy the public page explains, in the order it explains them.
PUBLIC_DEFINITION_SLUGS = (
    "ncii",
    "authentic-ncii",
    "synthetic-ncii",
    "distribution",
    "consent",
    "sextortion",
)

SHIPPED_TEXT = (
    # Definitions: term, then text.
    gettext_noop("Non-consensual intimate imagery (NCII)"),
    gettext_noop(
        "Intimate or sexually explicit images or videos of a person that are shared without "
        "that person's consent. NCII includes real photos and videos as well as images made "
        "or altered with AI or other tools. The person shown is never to blame for what "
        "others do with their image."
    ),
    gettext_noop("Authentic NCII"),
    gettext_noop(
        "Intimate imagery that was taken in real life, by the person shown or by someone "
        "else, and then shared without the depicted person's consent. Taking or sending an "
        "image once is not agreement to its being shared further."
    ),
    gettext_noop("Synthetic NCII"),
    gettext_noop(
        "Intimate imagery of a real, identifiable person that was made or altered with AI or "
        "other tools, such as face swaps or 'nudify' apps. Synthetic imagery is NCII too: the "
        "harm to the person shown is real even when the image is not."
    ),
    gettext_noop("Distribution"),
    gettext_noop(
        "Sharing intimate imagery with one or more other people by any means: posting, "
        "sending, forwarding, showing, AirDropping or uploading it. Distribution without "
        "consent is the policy's focus; creating an image without sharing it, threatening to "
        "share it, and sextortion are recorded as separate conduct."
    ),
    gettext_noop("Consent"),
    gettext_noop(
        "Clear, freely given agreement by the depicted person to a specific use of their "
        "image. Agreeing to take or send an image is not agreeing to have it shared; consent "
        "can be withdrawn at any time; and no one can consent to the sharing of sexually "
        "explicit imagery of a minor."
    ),
    gettext_noop("Sextortion"),
    gettext_noop(
        "Threatening to share intimate imagery, real or synthetic, to force someone to send "
        "more images, money or anything else. The person targeted is the victim of a crime "
        "and is not to blame; sextortion involving a minor is reported to law enforcement "
        "and to the NCMEC CyberTipline."
    ),
    # The default title of a district's coordinator (ncii_cases.District.coordinator_title).
    gettext_noop("Title IX Coordinator"),
    # Resources: name, then description (phone numbers and addresses are not translated).
    gettext_noop("NCMEC 24-hour hotline"),
    gettext_noop(
        "The National Center for Missing & Exploited Children answers day and night and can "
        "help a young person, a parent or staff member with next steps, including removal "
        "of imagery and reporting."
    ),
    gettext_noop("NCMEC CyberTipline"),
    gettext_noop(
        "The national reporting line for online sexual exploitation of children, including "
        "sharing of sexual imagery of a minor and sextortion. Describe where the imagery was "
        "seen; never attach or forward the imagery itself."
    ),
    gettext_noop("Take It Down (NCMEC)"),
    gettext_noop(
        "A free, anonymous service for images or videos taken when the person was under 18. "
        "A digital fingerprint (hash) is made on the victim's own device, and the image "
        "never leaves it; participating platforms use the hash to find and remove copies."
    ),
    gettext_noop("StopNCII"),
    gettext_noop(
        "A free service for adults (18 and over) whose intimate images are shared or "
        "threatened to be shared. Like Take It Down, it makes a hash on the person's own "
        "device, so the image is never uploaded."
    ),
    gettext_noop("988 Suicide & Crisis Lifeline"),
    gettext_noop(
        "Call or text 988, any time, for free and confidential support in a crisis or "
        "emotional distress."
    ),
)


def localized(text: str) -> str:
    """Returns ``text`` in the active language when it is shipped catalog text with a
    translation, and ``text`` unchanged otherwise (a district's own wording, or a language
    without a translation). The empty string stays empty (gettext would return the catalog's
    header)."""
    return gettext(text) if text else text
