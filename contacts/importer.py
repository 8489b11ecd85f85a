"""Importing SMS contacts from a municipality's CSV: phone, language, municipality, consent, topics.

Municipalities already hold sign-up sheets from meetings and phone calls. Nobody is imported without a
recorded consent (source and date), every row that cannot be imported is reported with its line number
and reason, and a file with any such row imports nothing unless the caller accepts skipping them. The
import is idempotent by phone: a number we already know, or one that refused or was erased (opt-out
hash), is left alone, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import LANGUAGE_SELF_NAMES, TIMEZONE, normalize_language
from contacts import options
from contacts.phones import InvalidPhone, normalize_phone
from contacts.registry import audit
from contacts.vault import DataVault
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, Municipality, OptOut

COLUMNS = ("phone", "language", "municipality", "consent_source", "consent_date", "topics")
REQUIRED = COLUMNS[:-1]
CONSENT_CHANNEL = "import"
_ALIASES = {"phone_number": "phone", "number": "phone", "lang": "language", "source": "consent_source"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
_TOPIC_SPLIT = re.compile(r"[;,|\s]+")
_BATCH = 500


@dataclass(frozen=True)
class RowProblem:
    """`line` is the file's line number (the header is line 1); `reason` a stable code or short text."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.reason}"


@dataclass(frozen=True)
class ContactRow:
    line: int
    phone: str
    language: str
    municipality_id: int
    consent_source: str
    consent_at: datetime
    topics: tuple[str, ...]


@dataclass(frozen=True)
class ImportPlan:
    rows: tuple[ContactRow, ...]
    problems: tuple[RowProblem, ...]
    digest: str  # sha256 of the file, named in the audit log

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class ImportResult:
    added: list[int] = field(default_factory=list)  # line numbers
    known: list[int] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)
    skipped_invalid: int = 0


def read_contacts(data: bytes, places: Iterable[Municipality], *, now: datetime) -> ImportPlan:
    """Parse and check the whole file; nothing touches the database."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ImportPlan((), (RowProblem(1, "file", f"not UTF-8 text ({exc.reason})"),), digest)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = [_column(name) for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return ImportPlan((), (RowProblem(1, "header", f"missing column(s): {', '.join(missing)}"),), digest)
    lookup = _places(places)
    rows: list[ContactRow] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        record = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        row, found = _check(line, record, lookup, now)
        if row is not None and row.phone in first_line:
            found.append(RowProblem(line, "phone", f"duplicate of line {first_line[row.phone]}"))
        if found or row is None:
            problems.extend(found)
            continue
        first_line[row.phone] = line
        rows.append(row)
    return ImportPlan(tuple(rows), tuple(problems), digest)


async def import_contacts(
    session: AsyncSession,
    vault: DataVault,
    plan: ImportPlan,
    *,
    actor: str,
    source: str,
    now: datetime,
    skip_invalid: bool = False,
) -> ImportResult:
    """Add the plan's new people (flushes; the caller commits). Refuses a plan with problems unless
    `skip_invalid`; either way the import, with its counts, goes into the audit log."""
    if plan.problems and not skip_invalid:
        raise ValueError(f"{len(plan.problems)} invalid row(s); nothing imported")
    result = ImportResult(skipped_invalid=len({p.line for p in plan.problems}))
    known = await _known_phones(session, [row.phone for row in plan.rows])
    refused = await _opted_out(session, vault, [row.phone for row in plan.rows])
    for row in plan.rows:
        if row.phone in known:
            result.known.append(row.line)
            continue
        if row.phone in refused:
            result.opted_out.append(row.line)
            continue
        contact = Contact(
            language=row.language,
            municipality_id=row.municipality_id,
            status=ContactStatus.ACTIVE,
            consent_at=row.consent_at,
            consent_channel=CONSENT_CHANNEL,
            consent_language=row.language,
            topics=list(row.topics),
            created_at=now,
        )
        contact.identities.append(ChannelIdentity(channel=Channel.SMS, address=row.phone, created_at=now))
        session.add(contact)
        await session.flush()
        consent: dict[str, object] = {
            "consent_source": row.consent_source,
            "consent_date": row.consent_at.isoformat(),
            "file_sha256": plan.digest,
        }
        await audit(
            session,
            actor,
            "contact.imported",
            f"contact:{contact.id}",
            municipality_id=row.municipality_id,
            now=now,
            details=consent,
        )
        result.added.append(row.line)
    counts = {
        "added": len(result.added),
        "known": len(result.known),
        "opted_out": len(result.opted_out),
        "invalid_rows": result.skipped_invalid,
    }
    await audit(
        session,
        actor,
        "contacts.import",
        f"file:{plan.digest[:16]}",
        now=now,
        details={"source": source, "file_sha256": plan.digest, **counts},
    )
    await session.flush()
    return result


# -- checking one row -----------------------------------------------------------------------------------


def _check(
    line: int, record: Mapping[str, str], places: Mapping[str, int], now: datetime
) -> tuple[ContactRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    phone = ""
    try:
        phone = normalize_phone(record.get("phone", ""))
    except InvalidPhone as exc:
        problems.append(RowProblem(line, "phone", exc.reason))
    language = _language(record.get("language", ""))
    if language is None:
        problems.append(RowProblem(line, "language", "unknown_language"))
    municipality = places.get(record.get("municipality", "").casefold())
    if municipality is None:
        problems.append(RowProblem(line, "municipality", "unknown_municipality"))
    source = record.get("consent_source", "")
    if not source:
        problems.append(RowProblem(line, "consent_source", "missing_consent"))
    consent_at, date_problem = _consent_date(record.get("consent_date", ""), now)
    if date_problem:
        problems.append(RowProblem(line, "consent_date", date_problem))
    topics, unknown = _topics(record.get("topics", ""))
    if unknown:
        problems.append(RowProblem(line, "topics", f"unknown_topic: {', '.join(unknown)}"))
    if problems or language is None or municipality is None or consent_at is None:
        return None, problems
    return ContactRow(line, phone, language, municipality, source, consent_at, topics), []


def _language(value: str) -> str | None:
    by_name = {name.casefold(): code for code, name in LANGUAGE_SELF_NAMES.items()}
    return normalize_language(value) or by_name.get(value.strip().casefold())


def _consent_date(value: str, now: datetime) -> tuple[datetime | None, str | None]:
    """A date (midnight in Tbilisi) or an ISO date-time; never in the future."""
    if not value:
        return None, "missing_consent"
    moment: datetime | None = None
    for pattern in _DATE_FORMATS:
        try:
            day: date = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        moment = datetime.combine(day, time(), tzinfo=TIMEZONE)
        break
    if moment is None:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None, "invalid_consent_date (use YYYY-MM-DD)"
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TIMEZONE)
    moment = moment.astimezone(UTC)
    if moment > now:
        return None, "consent_date_in_future"
    return moment, None


def _topics(value: str) -> tuple[tuple[str, ...], list[str]]:
    codes = [code.casefold() for code in _TOPIC_SPLIT.split(value) if code]
    unknown = [code for code in codes if code not in options.TOPICS]
    return tuple(code for code in options.TOPICS if code in codes), unknown


def _places(places: Iterable[Municipality]) -> dict[str, int]:
    """A municipality by its code or by its name in any language, case-insensitive."""
    lookup: dict[str, int] = {}
    for place in places:
        for key in (place.code, *place.names.values()):
            lookup.setdefault(key.casefold(), place.id)
    return lookup


def _column(name: str) -> str:
    key = re.sub(r"[\s-]+", "_", name.strip().casefold())
    return _ALIASES.get(key, key)


def _delimiter(text: str) -> str:
    """Comma, semicolon (spreadsheets in many locales) or tab, as the header line shows."""
    header = text.split("\n", 1)[0]
    return max(",;\t", key=header.count)


async def _known_phones(session: AsyncSession, phones: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(phones), _BATCH):
        batch = phones[start : start + _BATCH]
        query = select(ChannelIdentity.address).where(
            ChannelIdentity.channel == Channel.SMS, ChannelIdentity.address.in_(batch)
        )
        found.update(await session.scalars(query))
    return found


async def _opted_out(session: AsyncSession, vault: DataVault, phones: Sequence[str]) -> set[str]:
    hashes = {vault.address_hash(Channel.SMS, phone): phone for phone in phones}
    keys = list(hashes)
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH):
        query = select(OptOut.address_hash).where(
            OptOut.channel == Channel.SMS, OptOut.address_hash.in_(keys[start : start + _BATCH])
        )
        rows = await session.scalars(query)
        found.update(hashes[digest] for digest in rows)
    return found
