"""A survey's life: imported as a draft, opened for a time window and an audience, closed.

Decisions a coordinator relies on:

* A definition can be replaced (re-imported) only while the survey is a draft: once people answer, the
  questions they answered must not change under them. Importing the same definition again is a no-op,
  so `civicbot demo-data` and scripted imports can be repeated.
* Open means: status `open`, `opens_at` reached and `closes_at` not yet reached. Passing `closes_at`
  closes the survey for answering without any job having to run; `close` makes it final.
* Targets narrow who may answer (municipality codes, interface languages, followed topics; an empty
  list does not narrow); a person must also have given consent and be able to read the survey (their
  language is one of the survey's, or the survey declares a fallback language).
* One response per person per survey (a unique constraint): coming back to an unfinished survey
  resumes it at the question where they stopped; coming back to a finished one is politely refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import LANGUAGES
from contacts import options
from storage.base import utcnow
from storage.models import Contact, ContactStatus, Municipality
from storage.models.surveys import SurveyRecord, SurveyResponse, SurveyStatus
from surveys.definition import Survey
from surveys.xlsform import load_survey_xlsform
from surveys.yaml_format import load_survey_yaml, survey_from_data, survey_to_data

XLSFORM_SUFFIXES = (".xlsx",)
YAML_SUFFIXES = (".yaml", ".yml")
_CACHE_SIZE = 64


class SurveyLifecycleError(ValueError):
    """A lifecycle step that is not allowed now; the message says why, for the coordinator."""


def load_survey_file(path: str | os.PathLike[str], *, code: str | None = None) -> tuple[Survey, str]:
    """Read a YAML or XLSForm file; returns the survey and its source kind ("yaml" or "xlsform").

    Raises the loaders' errors (`SurveyFormatError`, `XLSFormError`), which list every problem.
    """
    suffix = Path(path).suffix.lower()
    if suffix in XLSFORM_SUFFIXES:
        return load_survey_xlsform(path, code=code), "xlsform"
    if suffix in YAML_SUFFIXES:
        survey = load_survey_yaml(Path(path))
        if code and code != survey.code:
            data = survey_to_data(survey)
            data["code"] = code
            survey = survey_from_data(data)
        return survey, "yaml"
    raise SurveyLifecycleError(f"{path}: expected a .yaml, .yml or .xlsx file")


_definitions: dict[tuple[int, str], Survey] = {}


def fingerprint(data: dict[str, Any]) -> str:
    """SHA-256 of the stored document, the key of the parsed-definition cache."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def definition(record: SurveyRecord) -> Survey:
    """The checked survey of a stored row, parsed once per content (answers arrive many per second)."""
    key = (record.id, record.fingerprint)
    survey = _definitions.get(key)
    if survey is None:
        survey = survey_from_data(record.definition)
        if len(_definitions) >= _CACHE_SIZE:
            _definitions.pop(next(iter(_definitions)))
        _definitions[key] = survey
    return survey


async def survey_of(session: AsyncSession, record: SurveyRecord) -> Survey:
    """Like `definition`, for a row loaded without its document (`defer`): loads it only on a cache miss."""
    if (record.id, record.fingerprint) not in _definitions and "definition" in inspect(record).unloaded:
        await session.refresh(record, ["definition"])
    return definition(record)


async def import_survey(
    session: AsyncSession, survey: Survey, source: str, now: datetime | None = None
) -> tuple[SurveyRecord, bool]:
    """Store `survey` as a draft; True when anything changed. Replacing is allowed only for drafts."""
    now = now or utcnow()
    data = survey_to_data(survey)
    digest = fingerprint(data)
    record = await survey_by_code(session, survey.code)
    if record is None:
        record = SurveyRecord(
            code=survey.code,
            definition=data,
            fingerprint=digest,
            source=source,
            created_at=now,
            updated_at=now,
        )
        session.add(record)
        await session.flush()
        return record, True
    if record.fingerprint == digest:
        return record, False
    if record.status != SurveyStatus.DRAFT:
        raise SurveyLifecycleError(
            f"survey {survey.code!r} is {record.status}: its questions can no longer change; "
            "import it under a new code instead"
        )
    record.definition, record.fingerprint, record.source = data, digest, source
    record.revision += 1
    record.updated_at = now
    await session.flush()
    return record, True


async def survey_by_code(session: AsyncSession, code: str) -> SurveyRecord | None:
    return await session.scalar(select(SurveyRecord).where(SurveyRecord.code == code))


async def list_surveys(session: AsyncSession) -> list[SurveyRecord]:
    return list((await session.scalars(select(SurveyRecord).order_by(SurveyRecord.id))).all())


async def response_counts(session: AsyncSession, survey_id: int) -> dict[str, int]:
    """How many responses are started and completed (by status)."""
    rows = await session.execute(
        select(SurveyResponse.status, func.count())
        .where(SurveyResponse.survey_id == survey_id)
        .group_by(SurveyResponse.status)
    )
    return {str(status): int(count) for status, count in rows.all()}


async def open_survey(
    session: AsyncSession,
    code: str,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    municipalities: Sequence[str] = (),
    languages: Sequence[str] = (),
    topics: Sequence[str] = (),
    now: datetime | None = None,
) -> SurveyRecord:
    """Open a draft (or re-open a closed survey) for a window and an audience; targets are checked."""
    now = now or utcnow()
    record = await _existing(session, code)
    opens_at = opens_at or now
    if closes_at is not None and closes_at <= max(opens_at, now):
        raise SurveyLifecycleError("the closing time must be in the future and after the opening time")
    known = set((await session.scalars(select(Municipality.code))).all())
    if unknown := sorted(set(municipalities) - known):
        raise SurveyLifecycleError(
            f"unknown municipality {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if unknown := sorted(set(languages) - set(LANGUAGES)):
        raise SurveyLifecycleError(f"unknown language {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
    survey = definition(record)
    if unreadable := [lang for lang in languages if not readable(survey, lang)]:
        raise SurveyLifecycleError(
            f"the survey has no text in {', '.join(unreadable)} and declares no fallback language"
        )
    if unknown := sorted(set(topics) - set(options.TOPICS)):
        raise SurveyLifecycleError(f"unknown topic {', '.join(unknown)}; use {', '.join(options.TOPICS)}")
    record.status = SurveyStatus.OPEN
    record.opens_at, record.closes_at, record.closed_at = opens_at, closes_at, None
    record.target_municipalities = sorted(set(municipalities))
    record.target_languages = [lang for lang in LANGUAGES if lang in set(languages)]
    record.target_topics = [topic for topic in options.TOPICS if topic in set(topics)]
    record.updated_at = now
    await session.flush()
    return record


async def close_survey(session: AsyncSession, code: str, now: datetime | None = None) -> SurveyRecord:
    """Close for good: no new answers. Closing a closed survey again changes nothing."""
    now = now or utcnow()
    record = await _existing(session, code)
    if record.status == SurveyStatus.CLOSED:
        return record
    if record.status == SurveyStatus.DRAFT:
        raise SurveyLifecycleError(f"survey {code!r} was never opened")
    record.status, record.closed_at, record.updated_at = SurveyStatus.CLOSED, now, now
    await session.flush()
    return record


async def _existing(session: AsyncSession, code: str) -> SurveyRecord:
    record = await survey_by_code(session, code)
    if record is None:
        raise SurveyLifecycleError(f"no survey with the code {code!r}")
    return record


def is_open(record: SurveyRecord, now: datetime) -> bool:
    """Answerable right now: opened, inside its window."""
    return (
        record.status == SurveyStatus.OPEN
        and (record.opens_at is None or record.opens_at <= now)
        and (record.closes_at is None or now < record.closes_at)
    )


def shown_status(record: SurveyRecord, now: datetime) -> str:
    """The status as a coordinator should read it: an open survey past its window is closed."""
    if record.status == SurveyStatus.OPEN and not is_open(record, now):
        if record.opens_at is not None and now < record.opens_at:
            return "scheduled"
        return str(SurveyStatus.CLOSED)
    return str(record.status)


def readable(survey: Survey, lang: str) -> bool:
    return lang in survey.languages or survey.settings.fallback_language is not None


def targets(record: SurveyRecord, contact: Contact, municipality_code: str | None) -> bool:
    """Whether the survey is meant for this person (targets only; consent and window are checked apart)."""
    if record.target_municipalities and municipality_code not in record.target_municipalities:
        return False
    if record.target_languages and contact.language not in record.target_languages:
        return False
    return not record.target_topics or bool(set(record.target_topics) & set(contact.topics))


def may_answer(contact: Contact) -> bool:
    """Only people who gave consent (and were not erased) answer: answers are personal data until then."""
    return contact.has_consent and contact.status != ContactStatus.ERASED


async def municipality_code(session: AsyncSession, contact: Contact) -> str | None:
    if contact.municipality_id is None:
        return None
    municipality = await session.get(Municipality, contact.municipality_id)
    return municipality.code if municipality else None


async def available_to(session: AsyncSession, record: SurveyRecord, contact: Contact, now: datetime) -> bool:
    """Open now, meant for this person, and readable in their language."""
    if not (is_open(record, now) and may_answer(contact)):
        return False
    if not readable(definition(record), contact.language):
        return False
    return targets(record, contact, await municipality_code(session, contact))


async def open_for(
    session: AsyncSession, contact: Contact, now: datetime | None = None
) -> list[SurveyRecord]:
    """The surveys open to this person now (their municipality, language and topics), oldest first."""
    now = now or utcnow()
    if not may_answer(contact):
        return []
    rows = await session.scalars(
        select(SurveyRecord).where(SurveyRecord.status == SurveyStatus.OPEN).order_by(SurveyRecord.id)
    )
    code = await municipality_code(session, contact)
    return [
        record
        for record in rows.all()
        if is_open(record, now)
        and readable(definition(record), contact.language)
        and targets(record, contact, code)
    ]


async def targeted_people(session: AsyncSession, record: SurveyRecord) -> int:
    """How many people the survey is meant for now (consenting, not erased, matching the targets)."""
    query = (
        select(Contact.language, Contact.topics, Municipality.code)
        .outerjoin(Municipality, Municipality.id == Contact.municipality_id)
        .where(
            Contact.consent_at.is_not(None),
            Contact.status != ContactStatus.ERASED,
            Contact.simulated.is_(False),
        )
    )
    if record.target_languages:
        query = query.where(Contact.language.in_(record.target_languages))
    if record.target_municipalities:
        query = query.where(Municipality.code.in_(record.target_municipalities))
    survey = definition(record)
    count = 0
    for language, topics, _code in (await session.execute(query)).all():
        if not readable(survey, language):
            continue
        if record.target_topics and not set(record.target_topics) & set(topics or ()):
            continue
        count += 1
    return count
