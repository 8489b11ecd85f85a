"""Every text the bot itself sends by SMS fits one UCS-2 segment in ka, az, hy and ru (two where there is no
shorter honest wording, each with its reason below), counted with the project's own segment counter.

The strings are found the way `make i18n` finds them (Babel extraction with the project's keywords) in the
modules whose messages reach an SMS: the SMS wording, the sign-up conversation, survey prompts, answers and
replies, hearing notices and replies. Telegram-only messages (those the SMS adapter replaces, and steps SMS
never shows) are left out by name. Placeholders count as empty: what they hold (a title, a name, a number)
is content, not wording; where it makes the message longer, the string is budgeted two segments.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from channels.i18n import LANGUAGE_SELF_NAMES, gettext_for
from channels.message import Choice, Literal, Outgoing
from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from contacts.conversation import HELP_TEXT
from contacts.privacy import DataSummary, PrivacyPolicy
from handlers.sms import texts
from storage.models import Municipality
from storage.seed import PILOTS, PilotMunicipality

ROOT = Path(__file__).resolve().parents[3]
SMS_SOURCES = (
    "handlers/sms/texts.py",
    "channels/sms/render.py",
    "contacts/conversation.py",
    "surveys/answers.py",
    "surveys/prompts.py",
    "surveys/engine.py",
    "hearings/notices.py",
    "hearings/service.py",
    "hearings/reminders.py",
    "hearings/participants.py",
    "campaigns/firing.py",
    "surveys/lifecycle.py",
)
LANGUAGES = ("ka", "az", "hy", "ru")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

TELEGRAM_ONLY = {
    # replaced by the SMS adapter (`texts.adapt`) with a short version of their own
    *texts.TELEGRAM_ONLY,
    "Do you agree to us storing and using your data this way?",  # -> CONSENT_PROMPT
    "Which topics would you like to follow? Choose any, then press Done.",  # -> TOPICS
    "Delete all your personal data? Your anonymous survey answers stay in the statistics. This cannot be "
    "undone.",  # -> DELETE_CONFIRM
    # steps and commands SMS never reaches: the optional profile is not asked by SMS, STOP is answered by
    # `texts.STOPPED`, help by `texts.HELP`
    "Would you like to tell us your age group and gender? It is optional and helps the municipality hear "
    "from everyone.",
    "We would also like to ask whether you belong to a group that is often left out: an ethnic minority, "
    "people with disability, or internally displaced people. This is sensitive data: we keep it encrypted, "
    "use it only in statistics of at least 5 people, and delete it whenever you ask. Do you agree to answer?",
    "You will get no more messages from us. Send /start to turn them on again.",
    "Messages are already stopped. Send /start to turn them on again.",
    "Choose your municipality first (/municipality) to see its public hearings.",
    HELP_TEXT.msgid,  # -> texts.HELP
}
TWO_SEGMENTS = {
    texts.CONSENT_NOTICE: "names the controller in full (a municipality's official name is ~30 letters)",
    "The public hearing “{title}” planned for {start} has been cancelled. We are sorry for the "
    "inconvenience.": "a cancellation carries the title, the date and an apology",
    "What the municipality did with the input from the public hearing “{title}”:": "heads the feedback",
    "Thank you! You said you will come to “{title}”. We will remind you a day before and 2 hours "
    "before.": "the title and both reminder times",
    "Noted: you may come to “{title}”. We will remind you a day before and 2 hours before.": "as above",
    "Noted: you will not come to “{title}”. You can still send a question in advance.": "title + what is open",
    "This hearing needs the names of participants. Please type your first and last name.": "says why",
    "Your question is {n} character long. Please shorten it to at most {limit} characters and send it "
    "again.": "both numbers and what to do",
    "Thank you! The municipality has received your question for “{title}”:": "title (Armenian is longer)",
    "Please type your question for “{title}” in one message (at most {limit} characters).": "title + limit",
}


def _keywords() -> dict[str, tuple[int, ...] | None]:
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    keywords: dict[str, tuple[int, ...] | None] = {}
    for keyword in module.KEYWORDS:
        name, _, places = keyword.partition(":")
        keywords[name] = tuple(int(p) for p in places.split(",")) if places else None
    return keywords


def _sms_msgids() -> list[str]:
    keywords = _keywords()
    found: dict[str, None] = {}
    for source in SMS_SOURCES:
        for _, message, _, _ in extract_from_file("python", str(ROOT / source), keywords=keywords):
            msgid = message if isinstance(message, str) else message[0]
            if msgid and msgid not in TELEGRAM_ONLY:
                found[msgid] = None
    return list(found)


SMS_MSGIDS = _sms_msgids()


def test_the_sms_strings_are_found() -> None:
    assert {texts.HELP, texts.STOPPED, texts.WELCOME, texts.MY_DATA} <= set(SMS_MSGIDS)
    assert "Please reply with a number." in SMS_MSGIDS  # a survey reply
    assert len(SMS_MSGIDS) > 60


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_sms_string_fits_its_budget(lang: str) -> None:
    over = []
    for msgid in SMS_MSGIDS:
        text = PLACEHOLDER.sub("", gettext_for(lang, msgid))
        segments = count_segments(text).segments
        if segments > (2 if msgid in TWO_SEGMENTS else 1):
            over.append(f"{segments} segments ({len(text)} chars): {text}")
    assert over == []


def test_two_segment_allowances_are_still_needed() -> None:
    """An allowance whose string now fits one segment everywhere (or is gone) must be dropped."""
    stale = [
        msgid
        for msgid in TWO_SEGMENTS
        if msgid not in SMS_MSGIDS
        or all(
            count_segments(PLACEHOLDER.sub("", gettext_for(lang, msgid))).segments == 1 for lang in LANGUAGES
        )
    ]
    assert stale == []


PHONE_URL_POLICY = PrivacyPolicy(
    "2026-11", "dpo@marneuli.gov.ge", privacy_url="https://civic.marneuli.gov.ge/privacy"
)


def _segments(message: Outgoing, lang: str) -> int:
    return count_segments(render_sms(message, lang)).segments


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("pilot", PILOTS, ids=lambda p: p.code)
def test_composed_messages_fit_with_real_names_and_links(lang: str, pilot: PilotMunicipality) -> None:
    """What goes out whole: the consent question with the longest official names, INFO with the link,
    the first reply's greeting and language list, and the two SMS of DATA with typical data."""
    place = Municipality(code=pilot.code, names=dict(pilot.names), official_names=dict(pilot.official_names))
    menu = Outgoing(
        parts=(),
        choices=tuple(Choice(f"lang:{code}", Literal(name)) for code, name in LANGUAGE_SELF_NAMES.items()),
    )
    summary = DataSummary("+995599123456", lang, ("hearings", "budget"), 2, 1, special=True)
    assert _segments(texts.consent(place, PHONE_URL_POLICY), lang) <= 2
    assert _segments(texts.privacy_details(place, PHONE_URL_POLICY), lang) <= 2
    assert _segments(texts.language_menu(menu, lang, greet=True), lang) <= 2
    assert _segments(texts.help_text(PHONE_URL_POLICY), lang) <= 2
    data, actions = texts.my_data(summary, place, PHONE_URL_POLICY)
    assert _segments(data, lang) <= 3  # the person's own data: as long as their topics' names
    assert _segments(actions, lang) <= 2
