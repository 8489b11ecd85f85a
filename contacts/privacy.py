"""The person's rights as services: notice, access (/mydata), stop, erasure, special-data consent.

PRIVACY.md: consent is a separate affirmative reply stored with time, channel, language and notice version;
erasure hard-deletes profile and special data and keeps only an anonymous row plus a keyed opt-out hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from babel import Locale
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from channels.claims import FAREWELL_PREFIX
from channels.i18n import LANGUAGE_SELF_NAMES, LANGUAGES
from channels.message import N_, Content, Joined, Literal, Outgoing, Renderable, Text
from channels.outbox import OutboxItem, enqueue
from contacts import options, records
from contacts.reference import reference_code
from contacts.registry import audit, forget_opt_out, remember_opt_out
from contacts.vault import DataVault
from storage.base import utcnow
from storage.erasure import forget
from storage.models import (
    Channel,
    ChannelIdentity,
    Contact,
    ContactStatus,
    IdentityStatus,
    Municipality,
    SpecialProfile,
)


@dataclass(frozen=True)
class PrivacyPolicy:
    """What the notice names: its version and who to contact (the controller's DPO)."""

    notice_version: str
    controller_contact: str
    privacy_url: str | None = None  # the public privacy page (`PUBLIC_BASE_URL/privacy`), if published


def privacy_page(public_base_url: str | None) -> str | None:
    """The public privacy page (built by the web pages) that SMS links to instead of the full notice."""
    return f"{public_base_url.rstrip('/')}/privacy" if public_base_url else None


def short_notice(municipality: Municipality | None, policy: PrivacyPolicy) -> Text:
    controller: Renderable = (
        Content(municipality.official_names, fallback="en")
        if municipality
        else Text("the municipality you choose")
    )
    return Text.of(
        "Before we start, please read how we use your data.\n"
        "• Who: {controller} is responsible for your data; contact: {contact}.\n"
        "• Why: to send you notices about public hearings, surveys and decisions you chose, and to "
        "count answers for participation statistics.\n"
        "• What: your Telegram ID or phone number, language, municipality, the topics you follow, "
        "and your answers. Anything else is optional.\n"
        "• Who else: messages travel through Telegram and Twilio (SMS), whose servers are outside "
        "Georgia.\n"
        "• How long: until you delete your data, or 12 months after your last activity.\n"
        "• Your rights: see your data (/mydata), correct it, stop messages (/stop), delete it "
        "(/delete), and complain to the Personal Data Protection Service of Georgia.\n"
        "Giving consent is voluntary; without it we store nothing about you.\n"
        "Privacy notice version {version}.",
        controller=controller,
        contact=(municipality.privacy_contact if municipality else None)  # `municipality set`
        or policy.controller_contact
        or Text("the municipality's data protection officer"),
        version=policy.notice_version,
    )


def record_consent(contact: Contact, channel: Channel, policy: PrivacyPolicy, now: datetime) -> None:
    contact.consent_at = now
    contact.consent_version = policy.notice_version
    contact.consent_channel = channel
    contact.consent_language = contact.language
    contact.status = ContactStatus.ACTIVE


async def decline(session: AsyncSession, vault: DataVault, contact: Contact) -> None:
    """A refusal leaves nothing but the keyed hash that makes us respect it."""
    for identity in contact.identities:
        await remember_opt_out(session, vault, identity.channel, identity.address, "declined")
    await session.delete(contact)
    await session.flush()


async def accept(session: AsyncSession, vault: DataVault, contact: Contact) -> None:
    for identity in contact.identities:
        await forget_opt_out(session, vault, identity.channel, identity.address)


async def stop(session: AsyncSession, contact: Contact, now: datetime | None = None) -> bool:
    """No more broadcasts; True when this changed anything (so STOP is confirmed once)."""
    if contact.status == ContactStatus.UNSUBSCRIBED:
        return False
    contact.status = ContactStatus.UNSUBSCRIBED
    await audit(
        session,
        f"contact:{contact.id}",
        "contact.unsubscribed",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
        now=now,
    )
    return True


async def resume(session: AsyncSession, contact: Contact, now: datetime | None = None) -> bool:
    if contact.status != ContactStatus.UNSUBSCRIBED:
        return False
    contact.status = ContactStatus.ACTIVE if contact.has_consent else ContactStatus.PENDING
    await audit(
        session,
        f"contact:{contact.id}",
        "contact.resubscribed",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
        now=now,
    )
    return True


async def erase(
    session: AsyncSession, vault: DataVault, contact: Contact, *, actor: str, now: datetime | None = None
) -> None:
    """Hard-delete everything that identifies the person; the anonymous row keeps statistics whole."""
    now = now or utcnow()
    for identity in list(contact.identities):
        await remember_opt_out(session, vault, identity.channel, identity.address, "erased")
    await session.execute(delete(ChannelIdentity).where(ChannelIdentity.contact_id == contact.id))
    await session.execute(delete(SpecialProfile).where(SpecialProfile.contact_id == contact.id))
    await records.forget_free_text(session, contact.id)
    await forget(session, contact.id)
    contact.identities.clear()
    contact.status = ContactStatus.ERASED
    contact.erased_at = now
    contact.consent_at = contact.consent_channel = contact.consent_version = None
    contact.consent_language = None
    contact.topics, contact.tags = [], []
    contact.age_band = contact.gender = None
    contact.sms_latin = None
    contact.dialog_state, contact.dialog_data = None, {}
    await audit(
        session,
        actor,
        "contact.erased",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
        now=now,
    )
    await session.flush()


async def erase_on_request(
    session: AsyncSession, vault: DataVault, contact: Contact, *, actor: str, now: datetime | None = None
) -> bool:
    """Staff erasure (a request by phone or letter): erase, then queue one confirmation in the person's
    language to one of their addresses (Telegram first). The person is told even though they did not ask
    through the bot; the outbox lets this one message through (`FAREWELL_PREFIX`). False: no address."""
    now = now or utcnow()
    reachable = sorted(
        (i for i in contact.identities if i.status == IdentityStatus.ACTIVE),
        key=lambda i: i.channel != Channel.TELEGRAM,
    )
    target = reachable[0] if reachable else None
    address = (target.chat_id or target.address) if target else None
    language = contact.language
    await erase(session, vault, contact, actor=actor, now=now)
    if target is None or address is None:
        return False
    text = ERASED_ON_REQUEST if target.channel == Channel.TELEGRAM else ERASED_ON_REQUEST_SMS
    farewell = OutboxItem(
        dedupe_key=f"{FAREWELL_PREFIX}{contact.id}",
        contact_id=contact.id,
        channel=Channel(target.channel),
        address=address,
        language=language,
        message=Outgoing.say(text),
    )
    await enqueue(session, [farewell], now=now)
    return True


ERASED_ON_REQUEST = N_("As you asked, we have deleted your personal data. To come back, send /start.")
ERASED_ON_REQUEST_SMS = N_("As you asked, we deleted your data. To come back, reply START.")


async def save_special(
    session: AsyncSession,
    vault: DataVault,
    contact: Contact,
    groups: dict[str, str],
    policy: PrivacyPolicy,
    now: datetime,
) -> None:
    row = await session.get(SpecialProfile, contact.id)
    sealed = vault.seal({"groups": groups})
    if row is None:
        session.add(
            SpecialProfile(
                contact_id=contact.id, sealed=sealed, consent_at=now, consent_version=policy.notice_version
            )
        )
    else:
        row.sealed, row.consent_at, row.consent_version = sealed, now, policy.notice_version


async def special_groups(session: AsyncSession, vault: DataVault, contact_id: int) -> dict[str, str] | None:
    row = await session.get(SpecialProfile, contact_id)
    if row is None:
        return None
    groups = vault.unseal(row.sealed).get("groups", {})
    return {str(k): str(v) for k, v in groups.items()}


async def withdraw_special(session: AsyncSession, contact: Contact, now: datetime | None = None) -> bool:
    """Withdraw the second consent: the sealed answers are deleted at once. False when none were stored."""
    row = await session.get(SpecialProfile, contact.id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    await audit(
        session,
        f"contact:{contact.id}",
        "contact.special_data_withdrawn",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
        now=now,
    )
    return True


async def has_special(session: AsyncSession, contact_id: int) -> bool:
    return await session.get(SpecialProfile, contact_id) is not None


@dataclass(frozen=True)
class DataSummary:
    """The short form of /mydata, for a channel with no room for the long one (SMS)."""

    phone: str | None
    language: str
    topics: tuple[str, ...]
    surveys: int
    hearings: int
    special: bool


async def data_summary(session: AsyncSession, contact: Contact) -> DataSummary:
    """What SMS DATA tells: the number, language, topics, how much was answered. Audited as access."""
    phone = next((i.address for i in contact.identities if i.channel == Channel.SMS), None)
    await audit(
        session,
        f"contact:{contact.id}",
        "contact.data_access",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
    )
    return DataSummary(
        phone=phone,
        language=contact.language,
        topics=tuple(contact.topics),
        surveys=len(await records.survey_answers(session, contact.id)),
        hearings=len(await records.hearing_replies(session, contact.id)),
        special=await has_special(session, contact.id),
    )


def language_name(code: str) -> Content:
    """A language's name in the reader's language ("აზერბაიჯანული", "Azerbaijani"), never its code."""
    names = {reader: Locale(reader).languages.get(code, code) for reader in LANGUAGES}
    names[code] = LANGUAGE_SELF_NAMES.get(code, names.get(code, code))
    # Sentence case, except Georgian: it has no capitals (upper() would turn it into Mtavruli).
    return Content(
        {reader: name if reader == "ka" else name[:1].upper() + name[1:] for reader, name in names.items()},
        fallback="en",
    )


def _address_line(identity: ChannelIdentity) -> Renderable:
    address = Literal(identity.address)
    line: Renderable = (
        Text.of("Telegram account: {address}", address=address)
        if identity.channel == Channel.TELEGRAM
        else Text.of("Phone number: {address}", address=address)
    )
    if identity.username:
        line = Joined([line, Literal(f"(@{identity.username})")], sep=" ")
    if identity.status != "active":
        return Joined([line, Text("unreachable")], sep=" – ")
    return line


async def my_data(
    session: AsyncSession,
    vault: DataVault,
    contact: Contact,
    municipality: Municipality | None,
    *,
    actor: str | None = None,
) -> Renderable:
    """Everything stored about the person, readable, in their language (the right of access)."""
    return Joined(await my_data_sections(session, vault, contact, municipality, actor=actor), sep="\n\n")


async def my_data_sections(
    session: AsyncSession,
    vault: DataVault,
    contact: Contact,
    municipality: Municipality | None,
    *,
    actor: str | None = None,
) -> list[Renderable]:
    """`my_data` as its paragraphs (profile, each survey, hearings, ...), for channels that must split a
    long text into several messages."""
    dash = Literal("—")
    groups = await special_groups(session, vault, contact.id)
    topic_labels: Renderable = (
        Joined([Text(options.TOPICS[t]) for t in contact.topics if t in options.TOPICS])
        if contact.topics
        else dash
    )
    group_lines: Renderable = (
        Joined(
            [
                Joined([Text(options.GROUPS[g]), Text(options.GROUP_ANSWERS.get(a, a))], sep=" ")
                for g, a in groups.items()
                if g in options.GROUPS
            ],
            sep="\n",
        )
        if groups
        else Text("not given")
    )
    await audit(
        session,
        actor or f"contact:{contact.id}",
        "contact.data_access",
        f"contact:{contact.id}",
        municipality_id=contact.municipality_id,
    )
    consent: Renderable = (
        Text.of(
            "{date}, privacy notice version {version}",
            date=contact.consent_at,
            version=contact.consent_version or "—",
        )
        if contact.consent_at
        else Text("not given")
    )
    sections: list[Renderable] = [
        Text.of(
            "Here is everything we store about you. Your reference code: {code}",
            code=reference_code(vault, contact.id),
        ),
        Joined([_address_line(i) for i in contact.identities] or [dash], sep="\n"),
        Text.of(
            "Language: {language}\n"
            "Municipality: {municipality}\n"
            "Status: {status}\n"
            "Consent: {consent}\n"
            "Topics: {topics}\n"
            "Age: {age}\n"
            "Gender: {gender}\n"
            "Sensitive answers (stored encrypted):\n{groups}",
            language=language_name(contact.language),
            municipality=Content(municipality.names, fallback="en") if municipality else Text("other"),
            status=Text(STATUS_LABELS.get(contact.status, contact.status)),
            consent=consent,
            topics=topic_labels,
            age=_label(options.AGE_BANDS, contact.age_band) or Text("not given"),
            gender=_label(options.GENDERS, contact.gender) or Text("not given"),
            groups=group_lines,
        ),
    ]
    if surveys := await records.survey_answers(session, contact.id):
        sections.append(Joined([Text("Your survey answers:"), surveys[0]], sep="\n"))
        sections.extend(surveys[1:])
    if hearings := await records.hearing_replies(session, contact.id):
        sections.append(Joined([Text("Public hearings:"), *hearings], sep="\n"))
    if follow_ups := await records.action_plan_follow_ups(session, contact.id):
        sections.append(Text.of("Action-plan items you follow: {n}", n=follow_ups))
    sent = await records.messages_sent(session, contact.id)
    sections.append(Text.of("Messages we have sent you: {n}", n=sent))
    sections.append(Text(KEPT_AFTER_ERASURE))
    return sections


KEPT_AFTER_ERASURE = N_(
    "If you delete your data, we keep without your name or address: your chosen answers to surveys "
    "(free-text answers are deleted), how many people replied to a hearing, and a coded form of your "
    "address so that your STOP is still respected."
)


def _label(labels: Mapping[str, str], code: str | None) -> Text | None:
    return Text(labels[code]) if code is not None and code in labels else None


STATUS_LABELS = {
    ContactStatus.PENDING: N_("sign-up not finished"),
    ContactStatus.ACTIVE: N_("receiving messages"),
    ContactStatus.UNSUBSCRIBED: N_("messages stopped"),
    ContactStatus.UNREACHABLE: N_("unreachable"),
    ContactStatus.ERASED: N_("erased"),
}
