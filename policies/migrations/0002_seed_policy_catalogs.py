"""Seeds the shared defaults (district = None) of the Model NCII Policy for K-12 Schools
(CDT and ATIXA): the policy version, its definitions in plain words, and the catalogs of
platforms, resources, measures, interventions and reporting obligations.

Every row here is a starting point that a district reviews and edits in the admin before
go-live: phone numbers and counseling contacts are placeholders, reporting deadlines vary by
state, and the TAKE IT DOWN Act coverage of each platform is our reading, not legal advice.

The forward step only creates rows that are missing (it never overwrites a row a district has
edited) and writes a "+" history record for each row it creates, so the seeding shows in the
audit history. The reverse step deletes only the shared default rows with the slugs seeded
here (never a district's own rows) and writes a "-" history record for each.
"""

import datetime

from django.db import migrations
from django.utils import timezone

SEED_REASON = "Seeded by policies.0002_seed_policy_catalogs"
UNSEED_REASON = "Removed by reversing policies.0002_seed_policy_catalogs"

POLICY = {
    "title": "Model NCII Policy for K-12 Schools (CDT and ATIXA)",
    "version": "2025",
    "source": "Center for Democracy & Technology and ATIXA",
    "effective_date": datetime.date(2025, 1, 1),
    "notes": (
        "The effective date is the model policy's publication year, not your adoption date: "
        "set the date your board adopted the policy, and record any local changes here."
    ),
}

# --- Definitions ---------------------------------------------------------------------------

DEFINITIONS = [
    {
        "slug": "ncii",
        "term": "Non-consensual intimate imagery (NCII)",
        "section": "Definitions",
        "text": (
            "Intimate or sexually explicit images or videos of a person that are shared without "
            "that person's consent. NCII includes real photos and videos as well as images made "
            "or altered with AI or other tools. The person shown is never to blame for what "
            "others do with their image."
        ),
    },
    {
        "slug": "authentic-ncii",
        "term": "Authentic NCII",
        "section": "Definitions",
        "text": (
            "Intimate imagery that was taken in real life, by the person shown or by someone "
            "else, and then shared without the depicted person's consent. Taking or sending an "
            "image once is not agreement to its being shared further."
        ),
    },
    {
        "slug": "synthetic-ncii",
        "term": "Synthetic NCII",
        "section": "Definitions",
        "text": (
            "Intimate imagery of a real, identifiable person that was made or altered with AI or "
            "other tools, such as face swaps or 'nudify' apps. Synthetic imagery is NCII too: the "
            "harm to the person shown is real even when the image is not."
        ),
    },
    {
        "slug": "distribution",
        "term": "Distribution",
        "section": "Definitions",
        "text": (
            "Sharing intimate imagery with one or more other people by any means: posting, "
            "sending, forwarding, showing, AirDropping or uploading it. Distribution without "
            "consent is the policy's focus; creating an image without sharing it, threatening to "
            "share it, and sextortion are recorded as separate conduct."
        ),
    },
    {
        "slug": "depicted-person",
        "term": "Depicted person",
        "section": "Definitions",
        "text": (
            "The person shown in the imagery, who is usually also the complainant. Their safety, "
            "privacy and choices come first at every step, and they are treated as someone who "
            "has been harmed, never as someone at fault."
        ),
    },
    {
        "slug": "complainant",
        "term": "Complainant",
        "section": "Definitions",
        "text": (
            "The person reported to have experienced the conduct, usually the depicted person. "
            "A complainant is offered supportive measures whether or not they take part in an "
            "investigation, and their choices about them are recorded and respected."
        ),
    },
    {
        "slug": "respondent",
        "term": "Respondent",
        "section": "Definitions",
        "text": (
            "The person reported to have shared the imagery, threatened to share it, or otherwise "
            "engaged in the conduct. A respondent is presumed not responsible until a "
            "determination is made, and is often unknown at first."
        ),
    },
    {
        "slug": "consent",
        "term": "Consent",
        "section": "Definitions",
        "text": (
            "Clear, freely given agreement by the depicted person to a specific use of their "
            "image. Agreeing to take or send an image is not agreeing to have it shared; consent "
            "can be withdrawn at any time; and no one can consent to the sharing of sexually "
            "explicit imagery of a minor."
        ),
    },
    {
        "slug": "intimate-imagery",
        "term": "Intimate imagery",
        "section": "Definitions",
        "text": (
            "Photos, videos or other images showing a person nude or partly nude, or engaged in "
            "sexual activity, or that are otherwise sexually explicit, whether real or made or "
            "altered with technology."
        ),
    },
    {
        "slug": "sextortion",
        "term": "Sextortion",
        "section": "Definitions",
        "text": (
            "Threatening to share intimate imagery, real or synthetic, to force someone to send "
            "more images, money or anything else. The person targeted is the victim of a crime "
            "and is not to blame; sextortion involving a minor is reported to law enforcement "
            "and to the NCMEC CyberTipline."
        ),
    },
    {
        "slug": "process-a",
        "term": "Process A",
        "section": "Routing",
        "text": (
            "The formal Title IX grievance process of the 2020 federal regulations "
            "(34 CFR 106.45), used when the conduct meets the Title IX definition of sexual "
            "harassment and the other Title IX conditions are met."
        ),
    },
    {
        "slug": "process-b",
        "term": "Process B",
        "section": "Routing",
        "text": (
            "The policy's own structured, trauma-informed pathway for NCII handled outside "
            "Process A: intake, initial assessment, harm assessment, interim actions, "
            "investigation, determination, remedies and sanctions, monitoring and closure. A "
            "student respondent then goes to the student discipline procedures and an employee "
            "respondent to the employee corrective-action process."
        ),
    },
    {
        "slug": "supportive-measures",
        "term": "Supportive measures",
        "section": "Interim actions",
        "text": (
            "Free, individualized services offered to the complainant to protect their safety "
            "and their access to school or work, such as counseling, schedule changes, academic "
            "support or help with takedown. They are offered as soon as the district learns of "
            "the incident and do not depend on an investigation or a finding."
        ),
    },
    {
        "slug": "interim-measures",
        "term": "Interim measures",
        "section": "Interim actions",
        "text": (
            "Temporary actions concerning the respondent while a case is open, such as a "
            "no-contact directive, a device restriction, removal from a shared class or "
            "administrative leave. They are not a finding of responsibility, and an emergency "
            "removal requires an individualized safety and risk analysis first."
        ),
    },
    {
        "slug": "jurisdiction",
        "term": "Jurisdiction",
        "section": "Scope",
        "text": (
            "The district acts when the conduct affects its community, including conduct off "
            "campus or outside school hours that disrupts learning or work and involves "
            "students, employees or other members of the school community. The coordinator "
            "records the facts and the reasoning behind the decision."
        ),
    },
    {
        "slug": "take-it-down-act",
        "term": "TAKE IT DOWN Act",
        "section": "Takedown",
        "text": (
            "A federal law, signed on 19 May 2025, that makes knowingly publishing NCII, "
            "including AI-made imagery, a crime. From 19 May 2026 covered platforms must remove "
            "NCII within 48 hours of a valid request: signed, identifying the content, stating "
            "in good faith that it was shared without consent, and giving contact information."
        ),
    },
]

# --- Platforms -----------------------------------------------------------------------------

_COVERED = (
    "TAKE IT DOWN Act: treated as a covered platform (a public-facing service that hosts "
    "content its users post), so a valid removal request starts a 48-hour clock from "
    "19 May 2026. This is our reading, not legal advice: the district should review it."
)
_NOT_COVERED = (
    "TAKE IT DOWN Act: not treated as covered, because this is private one-to-one messaging or "
    "local sharing where no platform hosts public content, so no 48-hour removal clock is "
    "tracked. This is our reading, not legal advice: the district should review it."
)
_HASH_KNOWN = (
    "Takes part in hash matching (Take It Down for minors, StopNCII for adults): a hash made on "
    "the victim's own device can block re-uploads here. Check the current partner lists."
)
_HASH_UNCONFIRMED = (
    "Participation in Take It Down or StopNCII hash matching was not confirmed when this "
    "catalog was seeded; check the current partner lists and update this entry."
)
_NO_COPIES = "Staff never view, forward, screenshot or keep a copy of the imagery."

PLATFORMS = [
    {
        "slug": "snapchat",
        "name": "Snapchat",
        "category": "social",
        "reporting_route": (
            "In the app: press and hold the Snap, Story or chat message (or open the sender's "
            "profile) → Report → choose the option for nudity or sexual content. Snapchat's "
            "support site also takes safety reports, including from people without an account."
        ),
        "reporting_url": "https://help.snapchat.com/hc/en-us",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": True,
        "description": f"{_COVERED} {_HASH_KNOWN}",
    },
    {
        "slug": "instagram",
        "name": "Instagram",
        "category": "social",
        "reporting_route": (
            "In the app: tap ⋯ on the post, reel, story, message or profile → Report → "
            '"Nudity or sexual activity", and where offered the option that it shares private '
            "images of you. Meta's Help Center also has a form for non-consensual intimate "
            "imagery."
        ),
        "reporting_url": "https://help.instagram.com/",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": True,
        "description": f"{_COVERED} {_HASH_KNOWN}",
    },
    {
        "slug": "tiktok",
        "name": "TikTok",
        "category": "video",
        "reporting_route": (
            'In the app: press and hold the video (or tap Share) → Report → "Nudity and sexual '
            "content\", or report the account from its profile. TikTok's support site has a web "
            "report form for people without an account."
        ),
        "reporting_url": "https://support.tiktok.com/en",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": True,
        "description": f"{_COVERED} {_HASH_KNOWN}",
    },
    {
        "slug": "facebook",
        "name": "Facebook",
        "category": "social",
        "reporting_route": (
            'On the post, photo, message or profile: ⋯ → Report → "Nudity or sexual activity", '
            "and where offered the option that it shares private images of you. Meta's Help "
            "Center also has a form for non-consensual intimate imagery."
        ),
        "reporting_url": "https://www.facebook.com/help/",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": True,
        "description": f"{_COVERED} {_HASH_KNOWN}",
    },
    {
        "slug": "x",
        "name": "X (Twitter)",
        "category": "social",
        "reporting_route": (
            "On the post or profile: ⋯ → Report → choose the option for sensitive or private "
            "media shared without consent. X's Help Center also has report forms for private or "
            "intimate media shared without consent."
        ),
        "reporting_url": "https://help.x.com/en",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": False,
        "description": f"{_COVERED} {_HASH_UNCONFIRMED}",
    },
    {
        "slug": "discord",
        "name": "Discord",
        "category": "messaging",
        "reporting_route": (
            "Press and hold (or right-click) the message → Report → choose the option for "
            "sexual content or intimate media shared without consent; report the server as well "
            "if it exists to share such content. Discord's support site also takes Trust & "
            "Safety reports."
        ),
        "reporting_url": "https://support.discord.com/hc/en-us",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": False,
        "description": (
            f"{_COVERED} Servers and channels host content that many users can see. "
            f"{_HASH_UNCONFIRMED}"
        ),
    },
    {
        "slug": "reddit",
        "name": "Reddit",
        "category": "social",
        "reporting_route": (
            'Under the post, comment or message: ⋯ → Report → "Non-consensual intimate '
            "media\". Reddit's help site also has a report form for people without an account."
        ),
        "reporting_url": "https://support.reddithelp.com/hc/en-us",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": True,
        "description": f"{_COVERED} {_HASH_KNOWN}",
    },
    {
        "slug": "youtube",
        "name": "YouTube",
        "category": "video",
        "reporting_route": (
            'Under the video: ⋯ → Report → "Sexual content". The person shown, or a parent or '
            "guardian of a minor, can also use YouTube's privacy complaint process in the Help "
            "Center to ask for removal."
        ),
        "reporting_url": "https://support.google.com/youtube/",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": False,
        "description": f"{_COVERED} {_HASH_UNCONFIRMED}",
    },
    {
        "slug": "telegram",
        "name": "Telegram",
        "category": "messaging",
        "reporting_route": (
            "In the app: press and hold the message, or open the channel, group or bot → Report "
            "→ choose the option for pornography or child abuse. Telegram moderates public "
            "channels and groups; its FAQ lists the contacts for abuse reports."
        ),
        "reporting_url": "https://telegram.org/faq",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": False,
        "description": (
            f"{_COVERED} Public channels and groups host content that anyone can find. "
            f"{_HASH_UNCONFIRMED}"
        ),
    },
    {
        "slug": "whatsapp",
        "name": "WhatsApp",
        "category": "messaging",
        "reporting_route": (
            "Chats are end-to-end encrypted: WhatsApp cannot see or delete images in private "
            "chats. In the app: open the chat or group → Report (this sends the last few "
            "messages to WhatsApp) and block the sender. Ask people who received the image to "
            "delete it."
        ),
        "reporting_url": "https://faq.whatsapp.com/",
        "take_it_down_act_covered": False,
        "participates_in_hash_programs": False,
        "description": (
            f"{_NOT_COVERED} If the imagery was posted in a public WhatsApp Channel, review "
            f"whether the Act applies to that channel. {_NO_COPIES}"
        ),
    },
    {
        "slug": "imessage",
        "name": "iMessage / SMS",
        "category": "messaging",
        "reporting_route": (
            "No platform hosts the image: it stays on the phones that received it. Record who "
            "sent and received it, ask recipients to delete it, block the sender (and use "
            '"Report Junk" for unknown senders), and use Take It Down or StopNCII so that '
            "participating platforms block any later upload."
        ),
        "reporting_url": "https://support.apple.com/",
        "take_it_down_act_covered": False,
        "participates_in_hash_programs": False,
        "description": f"{_NOT_COVERED} {_NO_COPIES}",
    },
    {
        "slug": "airdrop",
        "name": "AirDrop / nearby sharing",
        "category": "local",
        "reporting_route": (
            "Nearby sharing sends the image straight from one device to another, so there is no "
            "platform to ask. Record who sent and received it and when, ask recipients to "
            "delete it, and use Take It Down or StopNCII in case it is uploaded later."
        ),
        "reporting_url": "",
        "take_it_down_act_covered": False,
        "participates_in_hash_programs": False,
        "description": f"{_NOT_COVERED} {_NO_COPIES}",
    },
    {
        "slug": "google-drive",
        "name": "Google Drive / cloud links",
        "category": "other",
        "reporting_route": (
            "For a Google Drive file: open the file's menu → Report abuse (or the report option "
            "on the sharing page). For other cloud services (Dropbox, OneDrive, iCloud links) use "
            "their abuse report. Ask the person who shared the link to remove it."
        ),
        "reporting_url": "https://support.google.com/drive/",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": False,
        "description": (
            f"{_COVERED} A public or widely shared link makes the file reachable by anyone who "
            f"has it. {_HASH_UNCONFIRMED}"
        ),
    },
    {
        "slug": "other-website",
        "name": "Another website",
        "category": "other",
        "reporting_route": (
            "Look for the site's report, abuse or contact page; if there is none, write to the "
            "hosting provider's abuse contact. Use Take It Down (minors) or StopNCII (adults) "
            "for participating sites, and ask search engines to remove the results: Google and "
            "Bing accept requests about non-consensual intimate imagery."
        ),
        "reporting_url": "",
        "take_it_down_act_covered": True,
        "participates_in_hash_programs": False,
        "description": (
            f"{_COVERED} Whether a particular site is covered depends on what it hosts; record "
            "the site and review. Add a catalog entry for any site that recurs in your cases."
        ),
    },
]

# --- Resources -----------------------------------------------------------------------------

RESOURCES = [
    {
        "slug": "ncmec-hotline",
        "name": "NCMEC 24-hour hotline",
        "kind": "hotline",
        "audience": "all",
        "phone": "1-800-THE-LOST (1-800-843-5678)",
        "url": "https://www.missingkids.org",
        "is_placeholder": False,
        "description": (
            "The National Center for Missing & Exploited Children answers day and night and can "
            "help a young person, a parent or staff member with next steps, including removal "
            "of imagery and reporting."
        ),
    },
    {
        "slug": "cybertipline",
        "name": "NCMEC CyberTipline",
        "kind": "reporting",
        "audience": "minors",
        "phone": "1-800-843-5678",
        "url": "https://report.cybertip.org",
        "is_placeholder": False,
        "description": (
            "The national reporting line for online sexual exploitation of children, including "
            "sharing of sexual imagery of a minor and sextortion. Describe where the imagery was "
            "seen; never attach or forward the imagery itself."
        ),
    },
    {
        "slug": "take-it-down",
        "name": "Take It Down (NCMEC)",
        "kind": "takedown",
        "audience": "minors",
        "phone": "",
        "url": "https://takeitdown.ncmec.org",
        "is_placeholder": False,
        "description": (
            "A free, anonymous service for images or videos taken when the person was under 18. "
            "A digital fingerprint (hash) is made on the victim's own device, and the image "
            "never leaves it; participating platforms use the hash to find and remove copies."
        ),
    },
    {
        "slug": "stopncii",
        "name": "StopNCII",
        "kind": "takedown",
        "audience": "adults",
        "phone": "",
        "url": "https://stopncii.org",
        "is_placeholder": False,
        "description": (
            "A free service for adults (18 and over) whose intimate images are shared or "
            "threatened to be shared. Like Take It Down, it makes a hash on the person's own "
            "device, so the image is never uploaded."
        ),
    },
    {
        "slug": "district-counseling",
        "name": "District counseling services",
        "kind": "counseling",
        "audience": "all",
        "phone": "",
        "url": "",
        "is_placeholder": True,
        "description": (
            "Placeholder: before go-live, fill in your district's counseling contacts (who, "
            "phone, hours, and how to get help after hours) so students and families always "
            "see a real person to call."
        ),
    },
    {
        "slug": "employee-assistance",
        "name": "Employee assistance program",
        "kind": "counseling",
        "audience": "adults",
        "phone": "",
        "url": "",
        "is_placeholder": True,
        "description": (
            "Placeholder: before go-live, fill in your employee assistance program's confidential "
            "phone line and website for employees who are depicted or otherwise affected."
        ),
    },
    {
        "slug": "crisis-line",
        "name": "988 Suicide & Crisis Lifeline",
        "kind": "hotline",
        "audience": "all",
        "phone": "988",
        "url": "https://988lifeline.org",
        "is_placeholder": False,
        "description": (
            "Call or text 988, any time, for free and confidential support in a crisis or "
            "emotional distress."
        ),
    },
]

# --- Measures ------------------------------------------------------------------------------

MEASURES = [
    # Supportive measures: for the complainant, free, offered at once, no finding needed.
    {
        "slug": "counseling",
        "name": "Counseling",
        "kind": "supportive",
        "description": "Access to a school counselor, social worker or outside counseling.",
    },
    {
        "slug": "no-contact-directive",
        "name": "Mutual no-contact directive",
        "kind": "supportive",
        "description": (
            "A directive that the people involved not contact each other, directly or through "
            "others or online, to protect the complainant."
        ),
    },
    {
        "slug": "schedule-change",
        "name": "Schedule or class change",
        "kind": "supportive",
        "description": (
            "Changes to the complainant's classes, seating, lunch, transportation or activities, "
            "at their choice, so they need not share spaces with the respondent."
        ),
    },
    {
        "slug": "academic-support",
        "name": "Academic support",
        "kind": "supportive",
        "description": (
            "Extensions, make-up work, excused absences, tutoring or rescheduled tests so the "
            "complainant's learning does not suffer."
        ),
    },
    {
        "slug": "safety-plan",
        "name": "Safety plan",
        "kind": "supportive",
        "description": (
            "A plan made with the complainant (and their family where appropriate) for safe "
            "routes, trusted adults, what to do if the imagery resurfaces, and online safety."
        ),
    },
    {
        "slug": "escort-or-check-in",
        "name": "Escort or regular check-ins",
        "kind": "supportive",
        "description": (
            "A trusted adult who checks in regularly or accompanies the complainant between "
            "places, if they want it."
        ),
    },
    {
        "slug": "take-it-down-guidance",
        "name": "Help with Take It Down / StopNCII and platform reports",
        "kind": "supportive",
        "description": (
            "Guidance for the complainant (and family) on using Take It Down (minors) or "
            "StopNCII (adults) and platform reporting routes, without staff ever viewing or "
            "holding the imagery."
        ),
    },
    {
        "slug": "employee-assistance",
        "name": "Employee assistance referral",
        "kind": "supportive",
        "description": (
            "Referral of a depicted employee to the employee assistance program for confidential "
            "support."
        ),
    },
    {
        "slug": "communication-plan",
        "name": "Communication plan",
        "kind": "supportive",
        "description": (
            "For a depicted employee: an agreed plan for how and what the school tells staff, "
            "students and parents, if anything, to protect the employee's privacy and standing."
        ),
    },
    {
        "slug": "leave-or-work-adjustment",
        "name": "Leave or work adjustment",
        "kind": "supportive",
        "description": (
            "Paid leave, a changed assignment, schedule or workspace for a depicted employee, at "
            "their choice."
        ),
    },
    # Interim measures: concerning the respondent, temporary, not a finding of responsibility.
    {
        "slug": "class-removal",
        "name": "Removal from a shared class",
        "kind": "interim",
        "description": (
            "Moving the respondent out of a class or activity shared with the complainant while "
            "the investigation is pending."
        ),
    },
    {
        "slug": "no-contact-directive-respondent",
        "name": "No-contact directive (respondent)",
        "kind": "interim",
        "description": (
            "A directive to the respondent not to contact the complainant, directly, through "
            "others or online, and not to share or discuss the imagery."
        ),
    },
    {
        "slug": "device-restriction",
        "name": "Device or network restriction",
        "kind": "interim",
        "description": (
            "Limits on the respondent's use of school devices, accounts or network, or of "
            "personal devices at school, while the case is open."
        ),
    },
    {
        "slug": "administrative-leave",
        "name": "Administrative leave (employee)",
        "kind": "interim",
        "description": (
            "Placing an employee respondent on administrative leave pending the outcome, as "
            "employment law and agreements allow."
        ),
    },
    {
        "slug": "emergency-removal",
        "name": "Emergency removal",
        "kind": "interim",
        "description": (
            "Removal of a student respondent from school only after an individualized safety "
            "and risk analysis finds an immediate threat; the respondent is told and may "
            "challenge it at once."
        ),
    },
]

# --- Interventions and corrective actions --------------------------------------------------

INTERVENTIONS = [
    # Student interventions named by the guidance (plus education on the harm of NCII).
    {
        "slug": "student-counseling",
        "name": "Counseling",
        "track": "student",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": "Counseling for the student respondent about the conduct and its harm.",
    },
    {
        "slug": "restorative-justice",
        "name": "Restorative justice",
        "track": "student",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": (
            "A facilitated restorative process, only if the complainant freely chooses it, to "
            "acknowledge and repair the harm."
        ),
    },
    {
        "slug": "ncii-education",
        "name": "Education on the harm of NCII",
        "track": "student",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": (
            "An education module on consent, the harm of sharing intimate imagery (real or "
            "AI-made), and the law."
        ),
    },
    {
        "slug": "detention",
        "name": "Detention",
        "track": "student",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": "Detention under the student code of conduct.",
    },
    {
        "slug": "student-suspension",
        "name": "Suspension",
        "track": "student",
        "exclusionary": True,
        "requires_licensing_report": False,
        "description": (
            "In-school or out-of-school suspension under the student discipline procedures, "
            "with their due-process protections."
        ),
    },
    {
        "slug": "expulsion",
        "name": "Expulsion",
        "track": "student",
        "exclusionary": True,
        "requires_licensing_report": False,
        "description": (
            "Expulsion under the student discipline procedures and state law, with their "
            "due-process protections."
        ),
    },
    {
        "slug": "law-enforcement-referral",
        "name": "Referral to law enforcement",
        "track": "student",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": (
            "Referral of the matter to law enforcement. Mandated reports (child protection, "
            "CyberTipline) are separate obligations and are made regardless of any sanction."
        ),
    },
    # Employee corrective actions.
    {
        "slug": "training",
        "name": "Training",
        "track": "employee",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": "Required training on NCII, professional boundaries and reporting duties.",
    },
    {
        "slug": "written-warning",
        "name": "Written warning",
        "track": "employee",
        "exclusionary": False,
        "requires_licensing_report": False,
        "description": "A written warning placed in the employee's personnel file.",
    },
    {
        "slug": "employee-suspension",
        "name": "Suspension",
        "track": "employee",
        "exclusionary": True,
        "requires_licensing_report": False,
        "description": (
            "Suspension with or without pay, under employment law and any collective agreement."
        ),
    },
    {
        "slug": "termination",
        "name": "Termination",
        "track": "employee",
        "exclusionary": True,
        "requires_licensing_report": True,
        "description": (
            "Ending employment, under employment law and any collective agreement. State law "
            "may require a report to the educator licensing body."
        ),
    },
    {
        "slug": "licensing-report",
        "name": "Report to the licensing body",
        "track": "employee",
        "exclusionary": False,
        "requires_licensing_report": True,
        "description": ("A report to the state educator licensing body where the law requires it."),
    },
]

# --- Reporting obligations -----------------------------------------------------------------

OBLIGATIONS = [
    {
        "slug": "child-protection-report",
        "name": "Mandated child-abuse report",
        "agency": "Child protective services (state hotline)",
        "agency_kind": "child_protection",
        "trigger": "minor_depicted",
        "deadline_hours": 24,
        "contact": "",
        "url": "",
        "legal_basis": "State mandated-reporter law; deadlines vary by state — set yours",
        "description": (
            "Staff who learn that a minor is depicted make the report their state requires. "
            "Set your state's hotline and deadline before go-live."
        ),
    },
    {
        "slug": "cybertipline-report",
        "name": "NCMEC CyberTipline report",
        "agency": "NCMEC CyberTipline",
        "agency_kind": "cybertipline",
        "trigger": "minor_depicted",
        "deadline_hours": 24,
        "contact": "1-800-843-5678",
        "url": "https://report.cybertip.org",
        "legal_basis": "District policy; NCMEC guidance",
        "description": (
            "Report where the imagery of a minor was seen (platform, URL, handle). Never attach, "
            "upload or forward the imagery."
        ),
    },
    {
        "slug": "law-enforcement-authentic-minor",
        "name": "Law enforcement report (authentic imagery of a minor)",
        "agency": "Local law enforcement",
        "agency_kind": "law_enforcement",
        "trigger": "authentic_minor",
        "deadline_hours": 24,
        "contact": "",
        "url": "",
        "legal_basis": "State and federal law on sexual imagery of minors; district policy",
        "description": (
            "Authentic sexual imagery of a minor may be child sexual abuse material. Report to "
            "law enforcement, and do not view, copy, collect or forward it."
        ),
    },
    {
        "slug": "law-enforcement-sextortion",
        "name": "Law enforcement report (sextortion)",
        "agency": "Local law enforcement",
        "agency_kind": "law_enforcement",
        "trigger": "sextortion",
        "deadline_hours": 24,
        "contact": "",
        "url": "",
        "legal_basis": "State and federal law; district policy",
        "description": (
            "Sextortion is a crime. Report it, and tell the victim not to pay or send anything "
            "more and to keep the messages (without the imagery) for the report."
        ),
    },
    {
        "slug": "licensing-body-report",
        "name": "Report to the educator licensing body",
        "agency": "Educator licensing body",
        "agency_kind": "licensing",
        "trigger": "employee_respondent",
        "deadline_hours": 720,
        "contact": "",
        "url": "",
        "legal_basis": "State educator-licensing rules; applies where law requires",
        "description": (
            "Where state law requires, report a licensed employee's misconduct to the licensing "
            "body. The default is 30 days; set your state's deadline."
        ),
    },
]

CATALOGS = [
    ("Platform", PLATFORMS),
    ("Resource", RESOURCES),
    ("Measure", MEASURES),
    ("Intervention", INTERVENTIONS),
    ("ReportingObligation", OBLIGATIONS),
]


def _record_history(apps, model_name, obj, history_type, reason):
    """Writes a django-simple-history record for a row changed here (signals do not fire on
    the historical models that migrations use)."""
    historical = apps.get_model("policies", f"Historical{model_name}")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    historical.objects.create(
        history_date=timezone.now(),
        history_type=history_type,
        history_change_reason=reason,
        **values,
    )


def seed(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    Definition = apps.get_model("policies", "Definition")

    policy, created = PolicyVersion.objects.get_or_create(
        title=POLICY["title"],
        version=POLICY["version"],
        defaults={k: v for k, v in POLICY.items() if k not in ("title", "version")},
    )
    if created:
        _record_history(apps, "PolicyVersion", policy, "+", SEED_REASON)

    for row in DEFINITIONS:
        values = dict(row)
        slug = values.pop("slug")
        obj, created = Definition.objects.get_or_create(
            slug=slug, defaults={**values, "policy": policy}
        )
        if created:
            _record_history(apps, "Definition", obj, "+", SEED_REASON)

    for model_name, rows in CATALOGS:
        model = apps.get_model("policies", model_name)
        for position, row in enumerate(rows, start=1):
            values = dict(row)
            slug = values.pop("slug")
            obj, created = model.objects.get_or_create(
                district=None,
                slug=slug,
                defaults={**values, "sort_order": position * 10, "active": True},
            )
            if created:
                _record_history(apps, model_name, obj, "+", SEED_REASON)


def unseed(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    Definition = apps.get_model("policies", "Definition")

    for model_name, rows in CATALOGS:
        model = apps.get_model("policies", model_name)
        seeded = model.objects.filter(district__isnull=True, slug__in=[row["slug"] for row in rows])
        for obj in seeded:
            _record_history(apps, model_name, obj, "-", UNSEED_REASON)
            obj.delete()

    policy = PolicyVersion.objects.filter(title=POLICY["title"], version=POLICY["version"]).first()
    if policy is None:
        return
    for obj in Definition.objects.filter(
        policy=policy, slug__in=[row["slug"] for row in DEFINITIONS]
    ):
        _record_history(apps, "Definition", obj, "-", UNSEED_REASON)
        obj.delete()
    # A district may have added its own definitions under this version: keep the version then.
    if not Definition.objects.filter(policy=policy).exists():
        _record_history(apps, "PolicyVersion", policy, "-", UNSEED_REASON)
        policy.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
