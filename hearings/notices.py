"""What people are told about a hearing: the card, the notice, reminders, cancellation and feedback.

Everything here is channel-neutral data (`Text` keys with parameters, officers' `Content`): the start is
passed as a datetime so each reader sees it in their own language and in Tbilisi time; names of
interpretation languages come from CLDR in the reader's language ("interpretation into Azerbaijani").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from babel import Locale

from channels.i18n import LANGUAGES, TIMEZONE
from channels.message import N_, Choice, Content, Joined, LinkButton, Outgoing, Renderable, Text
from storage.models.hearings import Hearing, HearingFeedback, Rsvp

RSVP_DATA: Mapping[Rsvp, str] = {Rsvp.GOING: "go", Rsvp.MAYBE: "maybe", Rsvp.NOT_GOING: "no"}
RSVP_LABELS: Mapping[Rsvp, str] = {
    Rsvp.GOING: N_("I will come"),
    Rsvp.MAYBE: N_("Maybe"),
    Rsvp.NOT_GOING: N_("I will not come"),
}
ASK_LABEL = N_("Ask a question")
CALENDAR_LABEL = N_("Add to calendar")


def calendar_link(url: str | None) -> tuple[LinkButton, ...]:
    """A link to the hearing's .ics on the public page: a button on Telegram, the address by SMS."""
    return (LinkButton(Text(CALENDAR_LABEL), url),) if url else ()


class When(StrEnum):
    """How a reminder names the day: relative words only when they are true on the day it is sent."""

    TODAY = "today"
    TOMORROW = "tomorrow"
    LATER = "later"


def content(texts: Mapping[str, str], fallback: str) -> Content:
    return Content(dict(texts), fallback=fallback)


def title(hearing: Hearing) -> Content:
    return content(hearing.title, hearing.fallback_language)


@cache
def language_name(code: str) -> Content:
    """A language's name in each of our languages, from CLDR (never concatenated by us)."""
    names = {lang: Locale.parse(lang).languages.get(code, code) for lang in LANGUAGES}
    return Content(names, fallback="en")


def local_time(moment: datetime) -> str:
    """ "15:00": digits and a colon read the same in all five languages."""
    return moment.astimezone(TIMEZONE).strftime("%H:%M")


def ends_at(hearing: Hearing) -> datetime:
    return hearing.starts_at + timedelta(minutes=hearing.duration_minutes)


def details(hearing: Hearing) -> Joined:
    """When, where, interpretation, accessibility and whether names are needed: one line each."""
    lines: list[Renderable] = [
        Text.of(
            "When: {start}–{end} (Tbilisi time)", start=hearing.starts_at, end=local_time(ends_at(hearing))
        ),
        Text.of("Where: {place}", place=content(hearing.place, hearing.fallback_language)),
    ]
    if hearing.interpretation:
        languages = Joined([language_name(code) for code in hearing.interpretation])
        lines.append(Text.of("Interpretation into {languages} is provided.", languages=languages))
    if hearing.accessibility:
        lines.append(
            Text.of("Accessibility: {note}", note=content(hearing.accessibility, hearing.fallback_language))
        )
    if hearing.names_required:
        lines.append(Text("Participants are asked for their name when they say they will come."))
    return Joined(lines, sep="\n")


def card_parts(hearing: Hearing) -> tuple[Renderable, ...]:
    parts: list[Renderable] = [Text.of("Public hearing: {title}", title=title(hearing))]
    if hearing.description:
        parts.append(content(hearing.description, hearing.fallback_language))
    parts.append(details(hearing))
    return tuple(parts)


def choices(hearing_id: int, current: Rsvp | None = None) -> tuple[Choice, ...]:
    """The three answers (the current one checked) and "ask a question"; data is ids only."""
    answers = tuple(
        Choice(f"hr:{hearing_id}:{RSVP_DATA[answer]}", Text(RSVP_LABELS[answer]), selected=answer == current)
        for answer in Rsvp
    )
    return (*answers, Choice(f"hq:{hearing_id}", Text(ASK_LABEL)))


def listed(hearing: Hearing, current: Rsvp | None) -> Outgoing:
    """One hearing in /hearings, with the person's own answer when they gave one."""
    parts: list[Renderable] = list(card_parts(hearing))
    if current is not None:
        parts.append(Text.of("Your answer: {answer}", answer=Text(RSVP_LABELS[current])))
    return Outgoing(parts=tuple(parts), choices=choices(hearing.id, current))


def notice(hearing: Hearing, calendar_url: str | None = None) -> Outgoing:
    """The announcement everyone following hearings in the municipality receives."""
    return Outgoing(
        parts=(Text("A public hearing is coming up. Will you come?"), *card_parts(hearing)),
        choices=choices(hearing.id),
        links=calendar_link(calendar_url),
    )


def moved(hearing: Hearing, was: datetime, calendar_url: str | None = None) -> Outgoing:
    """To those going or maybe: the hearing has a new time (their answer stands)."""
    return Outgoing(
        parts=(
            Text.of(
                "The public hearing “{title}” has moved from {was} to {start}. Your answer still stands.",
                title=title(hearing),
                was=was,
                start=hearing.starts_at,
            ),
            details(hearing),
        ),
        choices=choices(hearing.id)[:3],
        links=calendar_link(calendar_url),
    )


def reminder(hearing: Hearing, when: When) -> Outgoing:
    start = hearing.starts_at
    match when:
        case When.TODAY:
            line = Text.of(
                "Reminder: the public hearing “{title}” is today at {time}.",
                title=title(hearing),
                time=local_time(start),
            )
        case When.TOMORROW:
            line = Text.of(
                "Reminder: the public hearing “{title}” is tomorrow at {time}.",
                title=title(hearing),
                time=local_time(start),
            )
        case _:
            line = Text.of(
                "Reminder: the public hearing “{title}” starts on {start}.", title=title(hearing), start=start
            )
    return Outgoing(parts=(line, details(hearing)), choices=choices(hearing.id)[:3])


def cancellation(hearing: Hearing) -> Outgoing:
    return Outgoing.say(
        "The public hearing “{title}” planned for {start} has been cancelled. We are sorry for the "
        "inconvenience.",
        title=title(hearing),
        start=hearing.starts_at,
    )


def feedback(hearing: Hearing, published: HearingFeedback) -> Outgoing:
    return Outgoing(
        parts=(
            Text.of(
                "What the municipality did with the input from the public hearing “{title}”:",
                title=title(hearing),
            ),
            content(published.texts, published.fallback_language),
        )
    )


def all_choices(messages: Sequence[Outgoing]) -> list[str]:
    """The choice data offered, in order (SMS numbers them across the messages)."""
    return [choice.data for message in messages for choice in message.choices]
