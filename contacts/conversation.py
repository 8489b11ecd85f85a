"""Sign-up and settings as one channel-neutral conversation whose state lives in the contact row.

Telegram presses buttons (choice data), SMS types numbers (mapped back to the same choice data by the SMS
handler from `offered_choices`), so both channels walk the same steps: language -> municipality -> privacy
notice and consent -> topics -> optional profile -> welcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import LANGUAGE_SELF_NAMES, LANGUAGES, render
from channels.message import N_, Choice, Content, Joined, Literal, Outgoing, Renderable, Reply, Text
from contacts import options, privacy
from contacts.registry import municipalities, municipality_by_code
from contacts.vault import DataVault
from storage.base import utcnow
from storage.models import Channel, Contact, ContactStatus, Municipality


class Step(StrEnum):
    LANGUAGE = "onboarding.language"
    MUNICIPALITY = "onboarding.municipality"
    CONSENT = "onboarding.consent"
    TOPICS = "onboarding.topics"
    PROFILE_OFFER = "profile.offer"
    AGE = "profile.age"
    GENDER = "profile.gender"
    SPECIAL_CONSENT = "profile.special_consent"
    GROUP = "profile.group"
    SET_LANGUAGE = "settings.language"
    SET_MUNICIPALITY = "settings.municipality"
    SET_TOPICS = "settings.topics"
    DELETE_CONFIRM = "privacy.delete"


OTHER_MUNICIPALITY = "other"
WITHDRAW = "wd:special"
MESSAGE_ROOM = 3500  # characters of /mydata per message: Telegram's limit is 4096, less markup and margin
WITHDRAWN = N_("Your consent to the sensitive questions is withdrawn, and your answers to them are deleted.")
NOTHING_TO_WITHDRAW = N_("We hold no answers from you to the sensitive questions.")


@dataclass
class Conversation:
    """One person's conversation for one inbound event. Methods return what to say; the caller sends it."""

    session: AsyncSession
    vault: DataVault
    policy: privacy.PrivacyPolicy
    contact: Contact
    channel: Channel
    now: datetime = field(default_factory=utcnow)
    erased: bool = False

    # -- entry points -------------------------------------------------------------------------------

    async def start(self) -> Reply:
        """/start: begin sign-up, or (already signed up) a harmless reminder of what the bot does."""
        if self.contact.has_consent:
            if self.contact.status == ContactStatus.UNSUBSCRIBED:
                await privacy.resume(self.session, self.contact, self.now)
                return [Outgoing.say("Welcome back! Messages are on again."), self._help()]
            self._set_state(None)
            return [Outgoing.say("You are already signed up."), self._help()]
        return [await self._go(Step.LANGUAGE)]

    async def command(self, name: str) -> Reply:
        """A command other than /start. Before consent only language, privacy and help are open."""
        if name == "help":
            return [self._help()]
        if name == "privacy":
            municipality = await self._municipality()
            return [Outgoing(parts=(privacy.short_notice(municipality, self.policy),))]
        if name == "language":
            step = Step.LANGUAGE if not self.contact.has_consent else Step.SET_LANGUAGE
            return [await self._go(step)]
        if not self.contact.has_consent:
            return [Outgoing.say("Please finish signing up first: send /start."), await self._current()]
        match name:
            case "municipality":
                return [await self._go(Step.SET_MUNICIPALITY)]
            case "topics":
                return [await self._go(Step.SET_TOPICS)]
            case "profile":
                return [await self._go(Step.PROFILE_OFFER)]
            case "mydata":
                return await self.my_data()
            case "stop":
                changed = await privacy.stop(self.session, self.contact, self.now)
                if changed:
                    return [
                        Outgoing.say(
                            "You will get no more messages from us. Send /start to turn them on again."
                        )
                    ]
                return [Outgoing.say("Messages are already stopped. Send /start to turn them on again.")]
            case "delete":
                return [await self._go(Step.DELETE_CONFIRM)]
        return [self._help()]

    async def choose(self, data: str) -> Reply:
        """A picked choice (`namespace:value`). A button from an earlier step is answered, not obeyed."""
        namespace, _, value = data.partition(":")
        handler = {
            "lang": self._on_language,
            "mun": self._on_municipality,
            "cons": self._on_consent,
            "top": self._on_topic,
            "topd": self._on_topics_done,
            "prof": self._on_profile_offer,
            "age": self._on_age,
            "gen": self._on_gender,
            "spc": self._on_special_consent,
            "grp": self._on_group,
            "del": self._on_delete,
            "wd": self._on_withdraw,
        }.get(namespace)
        if handler is None:
            return await self._stale()
        return await handler(value)

    async def text(self, text: str) -> Reply:
        """Free text: this conversation expects none, so it re-asks the open question or explains."""
        if self.contact.dialog_state:
            return [Outgoing.say("Please choose one of the options below."), await self._current()]
        if not self.contact.has_consent:
            return [Outgoing.say("Please finish signing up first: send /start.")]
        return [Outgoing.say("Sorry, I did not understand that."), self._help()]

    async def my_data(self) -> list[Outgoing]:
        """/mydata: everything stored, in as few messages as a chat message holds (`MESSAGE_ROOM` in the
        person's language), and under the last one a button to withdraw the sensitive answers, if any."""
        sections = await privacy.my_data_sections(
            self.session, self.vault, self.contact, await self._municipality()
        )
        messages: list[list[Renderable]] = [[]]
        room = MESSAGE_ROOM
        for section in sections:
            size = len(render(section, self.contact.language)) + 2
            if messages[-1] and size > room:
                messages.append([])
                room = MESSAGE_ROOM
            messages[-1].append(section)
            room -= size
        replies = [Outgoing(parts=(Joined(parts, sep="\n\n"),)) for parts in messages]
        if await privacy.has_special(self.session, self.contact.id):
            withdraw = Choice(WITHDRAW, Text("Withdraw consent"))
            replies[-1] = Outgoing(parts=replies[-1].parts, choices=(withdraw,))
        return replies

    async def withdraw_special(self) -> Reply:
        """Withdraw consent to the sensitive questions: the sealed answers are deleted at once."""
        if await privacy.withdraw_special(self.session, self.contact, self.now):
            return [Outgoing.say(WITHDRAWN)]
        return [Outgoing.say(NOTHING_TO_WITHDRAW)]

    def offered_choices(self) -> list[str]:
        """The choice data of the last question asked, in order (SMS maps "2" to the second)."""
        return list(self.contact.dialog_data.get("choices", []))

    # -- steps ---------------------------------------------------------------------------------------

    async def _go(self, step: Step) -> Outgoing:
        self._set_state(step)
        return await self._current()

    async def _current(self) -> Outgoing:
        """The question of the current step (asked again after a language change or a stray message)."""
        step = self.contact.dialog_state
        match step:
            case Step.LANGUAGE | Step.SET_LANGUAGE:
                return self._ask(
                    Text("Please choose your language."),
                    [Choice(f"lang:{code}", Literal(LANGUAGE_SELF_NAMES[code])) for code in LANGUAGES],
                    columns=2,
                )
            case Step.MUNICIPALITY | Step.SET_MUNICIPALITY:
                places = await municipalities(self.session)
                choices = [Choice(f"mun:{m.code}", Content(m.names, fallback="en")) for m in places]
                choices.append(Choice(f"mun:{OTHER_MUNICIPALITY}", Text("Other municipality")))
                return self._ask(Text("Which municipality do you live in?"), choices, columns=2)
            case Step.CONSENT:
                notice = privacy.short_notice(await self._municipality(), self.policy)
                return self._ask(
                    notice,
                    [Choice("cons:yes", Text("I agree")), Choice("cons:no", Text("I do not agree"))],
                    prompt=Text("Do you agree to us storing and using your data this way?"),
                )
            case Step.TOPICS | Step.SET_TOPICS:
                chosen = set(self.contact.topics)
                choices = [
                    Choice(f"top:{code}", Text(label), selected=code in chosen)
                    for code, label in options.TOPICS.items()
                ]
                choices.append(Choice("topd:", Text("Done")))
                return self._ask(
                    Text("Which topics would you like to follow? Choose any, then press Done."), choices
                )
            case Step.PROFILE_OFFER:
                return self._ask(
                    Text(
                        "Would you like to tell us your age group and gender? It is optional and helps "
                        "the municipality hear from everyone."
                    ),
                    [Choice("prof:start", Text("Continue")), Choice("prof:skip", Text("Skip"))],
                )
            case Step.AGE:
                return self._ask(Text("Your age group:"), _menu("age", options.AGE_BANDS), columns=2)
            case Step.GENDER:
                return self._ask(Text("Your gender:"), _menu("gen", options.GENDERS))
            case Step.SPECIAL_CONSENT:
                return self._ask(
                    Text(
                        "We would also like to ask whether you belong to a group that is often left out: "
                        "an ethnic minority, people with disability, or internally displaced people. This "
                        "is sensitive data: we keep it encrypted, use it only in statistics of at least "
                        "5 people, and delete it whenever you ask. Do you agree to answer?"
                    ),
                    [Choice("spc:yes", Text("I agree")), Choice("spc:no", Text("Skip"))],
                )
            case Step.GROUP:
                group = str(self.contact.dialog_data.get("group", next(iter(options.GROUPS))))
                return self._ask(Text(options.GROUPS[group]), _menu("grp", options.GROUP_ANSWERS), columns=3)
            case Step.DELETE_CONFIRM:
                return self._ask(
                    Text(
                        "Delete all your personal data? Your anonymous survey answers stay in the "
                        "statistics. This cannot be undone."
                    ),
                    [Choice("del:yes", Text("Delete my data")), Choice("del:no", Text("Cancel"))],
                )
        return self._help()

    async def _on_language(self, code: str) -> Reply:
        if code not in LANGUAGES:
            return await self._stale()
        self.contact.language = code
        if self.contact.dialog_state == Step.LANGUAGE:
            return [await self._go(Step.MUNICIPALITY)]
        if self.contact.dialog_state in (None, Step.SET_LANGUAGE):
            self._set_state(None)
            return [Outgoing.say("Language changed. I will write to you in English.")]
        return [Outgoing.say("Language changed. I will write to you in English."), await self._current()]

    async def _on_municipality(self, code: str) -> Reply:
        if self.contact.dialog_state not in (Step.MUNICIPALITY, Step.SET_MUNICIPALITY):
            return await self._stale()
        municipality = None if code == OTHER_MUNICIPALITY else await municipality_by_code(self.session, code)
        if municipality is None and code != OTHER_MUNICIPALITY:
            return await self._stale()
        self.contact.municipality_id = municipality.id if municipality else None
        if self.contact.dialog_state == Step.MUNICIPALITY:
            return [await self._go(Step.CONSENT)]
        self._set_state(None)
        return [Outgoing.say("Saved: your municipality is {name}.", name=_place_name(municipality))]

    async def _on_consent(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.CONSENT:
            return await self._stale()
        if value == "yes":
            privacy.record_consent(self.contact, self.channel, self.policy, self.now)
            await privacy.accept(self.session, self.vault, self.contact)
            return [Outgoing.say("Thank you! Your consent is recorded."), await self._go(Step.TOPICS)]
        await privacy.decline(self.session, self.vault, self.contact)
        self.erased = True
        return [
            Outgoing.say(
                "Understood. We have stored nothing about you and will not write to you. "
                "If you change your mind, send /start."
            )
        ]

    async def _on_topic(self, code: str) -> Reply:
        if self.contact.dialog_state not in (Step.TOPICS, Step.SET_TOPICS) or code not in options.TOPICS:
            return await self._stale()
        topics = list(self.contact.topics)
        topics.remove(code) if code in topics else topics.append(code)
        self.contact.topics = [t for t in options.TOPICS if t in topics]
        prompt = await self._current()
        return [Outgoing(parts=prompt.parts, choices=prompt.choices, edit=True)]

    async def _on_topics_done(self, _: str) -> Reply:
        if self.contact.dialog_state == Step.TOPICS:
            return [await self._go(Step.PROFILE_OFFER)]
        if self.contact.dialog_state == Step.SET_TOPICS:
            self._set_state(None)
            return [Outgoing.say("Saved. You follow the topics you chose.")]
        return await self._stale()

    async def _on_profile_offer(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.PROFILE_OFFER:
            return await self._stale()
        if value == "start":
            return [await self._go(Step.AGE)]
        return await self._finish_profile()

    async def _on_age(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.AGE or value not in options.AGE_BANDS:
            return await self._stale()
        self.contact.age_band = value
        return [await self._go(Step.GENDER)]

    async def _on_gender(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.GENDER or value not in options.GENDERS:
            return await self._stale()
        self.contact.gender = value
        return [await self._go(Step.SPECIAL_CONSENT)]

    async def _on_special_consent(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.SPECIAL_CONSENT:
            return await self._stale()
        if value != "yes":
            return await self._finish_profile()
        self.contact.dialog_data = {
            **self.contact.dialog_data,
            "groups": {},
            "group": next(iter(options.GROUPS)),
        }
        return [await self._go(Step.GROUP)]

    async def _on_group(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.GROUP or value not in options.GROUP_ANSWERS:
            return await self._stale()
        data = dict(self.contact.dialog_data)
        groups = dict(data.get("groups", {}))
        group = str(data.get("group"))
        groups[group] = value
        remaining = [g for g in options.GROUPS if g not in groups]
        if remaining:
            self.contact.dialog_data = {**data, "groups": groups, "group": remaining[0]}
            return [await self._current()]
        await privacy.save_special(self.session, self.vault, self.contact, groups, self.policy, self.now)
        return await self._finish_profile()

    async def _on_delete(self, value: str) -> Reply:
        if self.contact.dialog_state != Step.DELETE_CONFIRM:
            return await self._stale()
        if value != "yes":
            self._set_state(None)
            return [Outgoing.say("Nothing was deleted.")]
        reply = [
            Outgoing.say(
                "Your personal data has been deleted. Goodbye! If you want to come back, send /start."
            )
        ]
        await privacy.erase(
            self.session, self.vault, self.contact, actor=f"contact:{self.contact.id}", now=self.now
        )
        self.erased = True
        return reply

    async def _on_withdraw(self, _: str) -> Reply:
        return await self.withdraw_special()

    async def _finish_profile(self) -> Reply:
        onboarding = bool(self.contact.dialog_data.get("onboarding"))
        self._set_state(None)
        if onboarding:
            return [self._welcome()]
        return [Outgoing.say("Thank you, your profile is saved.")]

    async def _stale(self) -> Reply:
        reply: list[Outgoing] = [Outgoing.say("This button is no longer active.")]
        if self.contact.dialog_state:
            reply.append(await self._current())
        return reply

    # -- small pieces --------------------------------------------------------------------------------

    def _set_state(self, step: Step | None) -> None:
        onboarding = bool(self.contact.dialog_data.get("onboarding"))
        if step in (Step.LANGUAGE, Step.MUNICIPALITY, Step.CONSENT, Step.TOPICS):
            onboarding = True
        elif step is None:
            onboarding = False
        keep = {k: v for k, v in self.contact.dialog_data.items() if k in ("groups", "group")}
        data: dict[str, object] = keep if step == Step.GROUP else {}
        if onboarding:
            data["onboarding"] = True
        self.contact.dialog_state = step
        self.contact.dialog_data = data

    def _ask(
        self, text: Text, choices: Sequence[Choice], *, columns: int = 1, prompt: Text | None = None
    ) -> Outgoing:
        self.contact.dialog_data = {**self.contact.dialog_data, "choices": [c.data for c in choices]}
        parts = (text, prompt) if prompt else (text,)
        return Outgoing(parts=parts, choices=tuple(choices), columns=columns)

    async def _municipality(self) -> Municipality | None:
        if self.contact.municipality_id is None:
            return None
        return await self.session.get(Municipality, self.contact.municipality_id)

    def _welcome(self) -> Outgoing:
        return Outgoing(parts=(Text("Welcome! You are signed up."), HELP_TEXT))

    def _help(self) -> Outgoing:
        return Outgoing(parts=(HELP_TEXT,))


HELP_TEXT = Text(
    "Here is what I can do:\n"
    "/polls – open surveys and votes\n"
    "/hearings – upcoming public hearings\n"
    "/topics – choose what you follow\n"
    "/language – change the language\n"
    "/municipality – change your municipality\n"
    "/profile – optional information about you\n"
    "/privacy – how we use your data\n"
    "/mydata – see everything we store about you\n"
    "/stop – stop all messages\n"
    "/delete – delete your personal data"
)


def _menu(namespace: str, labels: Mapping[str, str]) -> list[Choice]:
    return [Choice(f"{namespace}:{code}", Text(label)) for code, label in labels.items()]


def _place_name(municipality: Municipality | None) -> Content | Text:
    return Content(municipality.names, fallback="en") if municipality else Text("other")
