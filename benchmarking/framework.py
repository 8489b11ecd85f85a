"""The indicator framework: dimensions, weighted indicators and where each score comes from.

Built only by `benchmarking.framework_yaml.load_framework`, which checks the whole file first, so code
that holds a `Framework` can rely on positive weights, known sources and sane score mappings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

LANGUAGES = ("ka", "az", "hy", "ru", "en")

AnswerKey = str | int | float


class Source(StrEnum):
    SURVEY = "survey"  # answers to one question of a survey (by code), mapped to scores
    SYSTEM = "system"  # a figure the bot computes from hearings, the outbox, surveys and action plans
    SELF_ASSESSMENT = "self_assessment"  # an officer's score, with evidence


class Figure(StrEnum):
    NOTICE_DAYS = "notice_days"  # mean days between a hearing's announcement and its start
    NOTICES_IN_OWN_LANGUAGE = "notices_in_own_language"  # % of messages received in the person's language
    RSVPS_PER_1000 = "rsvps_per_1000"  # going/maybe answers to hearings per 1,000 residents
    QUESTIONS_PER_1000 = "questions_per_1000"  # questions sent in advance per 1,000 residents
    SURVEY_RESPONSE_RATE = "survey_response_rate"  # % of consenting subscribers who answered a survey
    RESPONSE_RATE_PARITY = "response_rate_parity"  # minority-language rate / others' rate, %, at most 100
    QUESTIONS_ANSWERED = "questions_answered"  # % of questions with feedback published after them
    ACTION_PLAN_ON_TIME = "action_plan_on_time"  # % of items due in the period done by their due date


@dataclass(frozen=True)
class Target:
    """Linear normalisation: `worst` scores 0, `best` scores 100, clamped (best < worst: lower is better)."""

    worst: float
    best: float

    def normalise(self, value: float) -> float:
        share = (value - self.worst) / (self.best - self.worst)
        return 100 * min(1.0, max(0.0, share))


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str
    weight: float
    source: Source
    label: Mapping[str, str]
    target: Target | None = None
    figure: Figure | None = None
    surveys: tuple[str, ...] = ()  # codes: a follow-up survey under a new code counts too
    question: str | None = None
    scores: tuple[tuple[AnswerKey, float], ...] = ()
    otherwise: float | None = None

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]


@dataclass(frozen=True)
class Dimension:
    code: str
    weight: float
    principles: tuple[int, ...]
    guidelines: str
    label: Mapping[str, str]
    indicators: tuple[Indicator, ...]

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]


@dataclass(frozen=True)
class Reference:
    key: str
    title: str
    url: str


@dataclass(frozen=True)
class Framework:
    code: str
    version: str
    title: Mapping[str, str]
    references: tuple[Reference, ...]
    dimensions: tuple[Dimension, ...]

    def indicators(self) -> Iterator[Indicator]:
        for dimension in self.dimensions:
            yield from dimension.indicators

    def indicator(self, code: str) -> Indicator | None:
        return next((item for item in self.indicators() if item.code == code), None)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


class FrameworkError(ValueError):
    """Every problem of a framework file, each with its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
