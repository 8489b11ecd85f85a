"""What the bot says by SMS where the Telegram wording does not fit a basic phone.

Every SMS in Georgian, Armenian, Russian or Azerbaijani is UCS-2 (70 characters a segment), so these are
short versions: the privacy notice names the controller, the purpose and the rights and offers the rest
on request (INFO), and nothing mentions /commands or buttons. `adapt` swaps the Telegram-shaped messages of
the conversations for these, leaving their choices (and so the numbers people type) untouched.
"""

from __future__ import annotations

from channels.message import N_, Content, Literal, Outgoing, Renderable, Text
from channels.sms.render import choice_lines
from contacts.privacy import PrivacyPolicy
from storage.models import Municipality

CONSENT_NOTICE = N_(
    "{controller} will keep your number, language and answers to send you notices of hearings and "
    "surveys. You can stop (STOP), see or delete your data at any time. Details: reply INFO."
)
CONSENT_PROMPT = N_("Do you agree? Reply YES or 1. To refuse, reply NO or 2.")
PRIVACY_DETAILS = N_(
    "Controller: {controller}, contact: {contact}. Purpose: notices of hearings, surveys and decisions "
    "you chose, and participation statistics. Data: phone number, language, municipality, topics, "
    "answers. SMS pass through Twilio, outside Georgia. Kept until you ask us to delete them, or 12 "
    "months after your last message. Rights: see, correct and delete your data, stop messages (STOP), "
    "complain to the Personal Data Protection Service. Consent is voluntary. Notice {version}."
)
HELP = N_(
    "Answer with the number of your choice. STOP ends messages, START resumes them, LANG changes the "
    "language. Your data: {contact}."
)
STOPPED = N_("You will get no more messages from us. To start again, reply START.")
NOT_UNDERSTOOD = N_("Sorry, I did not understand. Reply HELP for help.")
DECLINED = N_(
    "Understood. We have stored nothing about you and will not write to you. If you change your mind, "
    "reply START."
)
WELCOME = N_("Welcome! You are signed up. Reply HELP for help, STOP to stop messages.")
TOPICS = N_("Which topics would you like to follow? You may reply with several numbers, e.g. 1 3.")

# The sign-up conversation's own messages that speak of /commands or buttons, and their SMS versions.
_TELEGRAM_ONLY: dict[str, str] = {
    "Welcome! You are signed up.": WELCOME,
    "Understood. We have stored nothing about you and will not write to you. If you change your mind, "
    "send /start.": DECLINED,
    "This button is no longer active.": NOT_UNDERSTOOD,
    "Please finish signing up first: send /start.": NOT_UNDERSTOOD,
    "There is no survey in progress. Send /polls to see the open surveys.": NOT_UNDERSTOOD,
    "Sorry, I did not understand that. Send /hearings to see upcoming public hearings.": NOT_UNDERSTOOD,
}
_HELP_PREFIX = "Here is what I can do:"


def _controller(municipality: Municipality | None) -> Renderable:
    if municipality is None:
        return Text("the municipality you choose")
    return Content(municipality.official_names, fallback="en")


def _contact(policy: PrivacyPolicy) -> Renderable:
    return Literal(policy.controller_contact) if policy.controller_contact else Text(
        "the municipality's data protection officer"
    )


def language_menu(menu: Outgoing, lang: str) -> Outgoing:
    """The language question as five numbered self-names and nothing else: readable before anyone
    knows the person's language, and one segment. The numbers are the conversation's own choices."""
    return Outgoing(parts=(Literal("\n".join(choice_lines(menu.choices, lang))),))


def consent(municipality: Municipality | None, policy: PrivacyPolicy) -> Outgoing:
    notice = Text.of(CONSENT_NOTICE, controller=_controller(municipality))
    return Outgoing(parts=(notice, Text(CONSENT_PROMPT)))


def privacy_details(municipality: Municipality | None, policy: PrivacyPolicy) -> Outgoing:
    details = Text.of(
        PRIVACY_DETAILS,
        controller=_controller(municipality),
        contact=_contact(policy),
        version=policy.notice_version,
    )
    return Outgoing(parts=(details, Text(CONSENT_PROMPT)))


def help_text(policy: PrivacyPolicy) -> Outgoing:
    return Outgoing(parts=(Text.of(HELP, contact=_contact(policy)),))


def say(msgid: str) -> Outgoing:
    return Outgoing(parts=(Text(msgid),))


def adapt(message: Outgoing, lang: str, municipality: Municipality | None, policy: PrivacyPolicy) -> Outgoing:
    """The SMS version of one message of a conversation (most pass through unchanged)."""
    data = [choice.data for choice in message.choices]
    if data and all(item.startswith("lang:") for item in data):
        return language_menu(message, lang)
    if data == ["cons:yes", "cons:no"]:
        return consent(municipality, policy)
    if "topd:" in data:
        return Outgoing(parts=(Text(TOPICS),), choices=message.choices)
    first = message.parts[0] if message.parts else None
    if isinstance(first, Text):
        if first.msgid.startswith(_HELP_PREFIX):
            return help_text(policy)
        if first.msgid in _TELEGRAM_ONLY:
            return say(_TELEGRAM_ONLY[first.msgid])
    if message.edit:
        return Outgoing(parts=message.parts, choices=message.choices, progress=message.progress)
    return message


def combine(replies: list[Outgoing]) -> list[Outgoing]:
    """One SMS where Telegram sends two: a plain message ("Thank you!") joins the question after it.

    Never joined: a message with choices or links before another (each numbers its own choices), and a
    following message with progress ("2/5" leads its own first line).
    """
    combined: list[Outgoing] = []
    for message in replies:
        previous = combined[-1] if combined else None
        if previous is not None and not previous.choices and not previous.links and message.progress is None:
            combined[-1] = Outgoing(
                parts=(*previous.parts, *message.parts), choices=message.choices, links=message.links,
                urgency=message.urgency,
            )
        else:
            combined.append(message)
    return combined
