"""What the bot says by SMS where the Telegram wording does not fit a basic phone.

Every SMS in Georgian, Armenian, Russian or Azerbaijani is UCS-2 (70 characters a segment), so these are
short versions, each one segment in every language (`tests/handlers/sms/test_budget.py` counts them):
the privacy notice names the controller and the purpose and points to the public privacy page
(`PUBLIC_BASE_URL/privacy`) on request (INFO), and nothing mentions /commands or buttons. Keywords stay
in English in every language (GLOSSARY): the localized words are understood too, but STOP is the word
every handset and operator already knows. `adapt` swaps the Telegram-shaped messages of
the conversations for these, leaving their choices (and so the numbers people type) untouched.
"""

from __future__ import annotations

from channels.message import N_, Content, Joined, Literal, Outgoing, Renderable, Text
from channels.sms.render import choice_lines
from contacts import options, privacy
from contacts.privacy import PrivacyPolicy
from storage.models import Municipality

GREETING = N_("Hello! This is the municipality's SMS service.")
CONSENT_NOTICE = N_("{controller} will keep your number and replies to send you notices. Details: INFO")
CONSENT_PROMPT = N_("Do you agree? 1 = yes, 2 = no")
PRIVACY_LINK = N_("Full privacy notice: {url}")
PRIVACY_CONTACT = N_("Questions about your data: {contact}")
HELP = N_("Reply with a number. STOP: no messages. LANG: language. DATA: your data.")
STOPPED = N_("You will get no more messages from us. To start again, reply START.")
NOT_UNDERSTOOD = N_("Sorry, I did not understand. Reply HELP for help.")
DECLINED = N_("We keep nothing about you and will not write again. To join: START")
WELCOME = N_("You are signed up. Help: HELP or INFO. To stop messages: STOP.")
TOPICS = N_("Which topics interest you? Send one or more numbers, e.g. 1 3.")
DELETE_CONFIRM = N_("Delete all your data? This cannot be undone.")
DELETED = N_("Your data is deleted. To come back, reply START.")
SURVEY_THANKS = N_("Thank you! Your answers are recorded.")
MY_DATA = N_("We keep: {phone}, {language}, {municipality}. Topics: {topics}.")
MY_ANSWERS = N_("Surveys answered: {surveys}. Hearing replies: {hearings}.")
MY_SPECIAL = N_("To withdraw your sensitive answers: WITHDRAW")
MY_DELETE = N_("To delete everything: DELETE")
NOTHING_TO_WITHDRAW = N_("You have given us no sensitive answers.")

# The sign-up conversation's own messages that speak of /commands or buttons, and their SMS versions.
TELEGRAM_ONLY: dict[str, str] = {
    "Welcome! You are signed up.": WELCOME,
    "Your personal data has been deleted. Goodbye! If you want to come back, send /start.": DELETED,
    "Thank you! Your answers are recorded. They are counted without your name, together with everyone "
    "else's, and the municipality will publish the results.": SURVEY_THANKS,
    "We hold no answers from you to the sensitive questions.": NOTHING_TO_WITHDRAW,
    "Understood. We have stored nothing about you and will not write to you. If you change your mind, "
    "send /start.": DECLINED,
    "This button is no longer active.": NOT_UNDERSTOOD,
    "Please finish signing up first: send /start.": NOT_UNDERSTOOD,
    "You are not filling in a survey. Send /polls to see the open surveys.": NOT_UNDERSTOOD,
    "Sorry, I did not understand that. Send /hearings to see upcoming public hearings.": NOT_UNDERSTOOD,
}
_HELP_PREFIX = "Here is what I can do:"


def _controller(municipality: Municipality | None) -> Renderable:
    if municipality is None:
        return Text("the municipality you choose")
    return Content(municipality.official_names, fallback="en")


def _contact(policy: PrivacyPolicy, municipality: Municipality | None = None) -> Renderable:
    """The municipality's own privacy contact (`civicbot municipality set`), else the service's."""
    own = municipality.privacy_contact if municipality else None
    return (
        Literal(own or policy.controller_contact)
        if own or policy.controller_contact
        else Text("the municipality's data protection officer")
    )


def language_menu(menu: Outgoing, lang: str, *, greet: bool = False) -> Outgoing:
    """The language question as five numbered self-names: readable before anyone knows the person's
    language, and one segment. A first reply greets and names the service first (in the language the
    first message's script suggests). The numbers are the conversation's own choices."""
    names = Literal("\n".join(choice_lines(menu.choices, lang)))
    return Outgoing(parts=(Text(GREETING), names) if greet else (names,))


def greeted(message: Outgoing) -> Outgoing:
    """The first reply to an unknown number: the greeting before the language list."""
    if message.parts and isinstance(message.parts[0], Text) and message.parts[0].msgid == GREETING:
        return message
    return Outgoing(parts=(Text(GREETING), *message.parts), choices=message.choices, links=message.links)


def consent(municipality: Municipality | None, policy: PrivacyPolicy) -> Outgoing:
    notice = Text.of(CONSENT_NOTICE, controller=_controller(municipality))
    return Outgoing(parts=(notice, Text(CONSENT_PROMPT)))


def privacy_details(municipality: Municipality | None, policy: PrivacyPolicy) -> Outgoing:
    """INFO while consent is asked: where the full notice is (the public privacy page), who answers
    questions, and the question again. The notice itself is far too long for SMS."""
    return Outgoing(parts=(*privacy_pointers(policy, municipality), Text(CONSENT_PROMPT)))


def privacy_pointers(
    policy: PrivacyPolicy, municipality: Municipality | None = None
) -> tuple[Renderable, ...]:
    link = (Text.of(PRIVACY_LINK, url=Literal(policy.privacy_url)),) if policy.privacy_url else ()
    return (*link, Text.of(PRIVACY_CONTACT, contact=_contact(policy, municipality)))


def help_text(policy: PrivacyPolicy) -> Outgoing:
    """HELP / INFO after sign-up: the keywords, and who answers questions about data."""
    return Outgoing(parts=(Text(HELP), Text.of(PRIVACY_CONTACT, contact=_contact(policy))))


def my_data(
    summary: privacy.DataSummary, municipality: Municipality | None, policy: PrivacyPolicy
) -> list[Outgoing]:
    """DATA: what we keep, in two SMS: the data (two or three segments, as long as the topics are), then
    what the person can do about it and where the full notice is."""
    topics: Renderable = (
        Joined([Text(options.TOPICS[t]) for t in summary.topics if t in options.TOPICS])
        if summary.topics
        else Literal("—")
    )
    data = Text.of(
        MY_DATA,
        phone=Literal(summary.phone or "—"),
        language=privacy.language_name(summary.language),
        municipality=Content(municipality.names, fallback="en") if municipality else Text("other"),
        topics=topics,
    )
    answers = Text.of(MY_ANSWERS, surveys=summary.surveys, hearings=summary.hearings)
    actions: list[Renderable] = [Text(MY_SPECIAL)] if summary.special else []
    actions += [Text(MY_DELETE)]
    if policy.privacy_url:
        actions.append(Text.of(PRIVACY_LINK, url=Literal(policy.privacy_url)))
    return [Outgoing(parts=(data, answers)), Outgoing(parts=tuple(actions))]


def say(msgid: str) -> Outgoing:
    return Outgoing(parts=(Text(msgid),))


def adapt(message: Outgoing, lang: str, municipality: Municipality | None, policy: PrivacyPolicy) -> Outgoing:
    """The SMS version of one message of a conversation (most pass through unchanged)."""
    data = [choice.data for choice in message.choices]
    if data and all(item.startswith("lang:") for item in data):
        return language_menu(message, lang)
    if data == ["del:yes", "del:no"]:
        return Outgoing(parts=(Text(DELETE_CONFIRM),), choices=message.choices)
    if data == ["cons:yes", "cons:no"]:
        return consent(municipality, policy)
    if "topd:" in data:
        return Outgoing(parts=(Text(TOPICS),), choices=message.choices)
    first = message.parts[0] if message.parts else None
    if isinstance(first, Text):
        if first.msgid.startswith(_HELP_PREFIX):
            return help_text(policy)
        if first.msgid in TELEGRAM_ONLY:
            return say(TELEGRAM_ONLY[first.msgid])
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
                parts=(*previous.parts, *message.parts),
                choices=message.choices,
                links=message.links,
                urgency=message.urgency,
            )
        else:
            combined.append(message)
    return combined
