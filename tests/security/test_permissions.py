"""Permissions as one matrix: every action × every role × every surface that has it, from ONE table.

Surfaces: the web console, the CLI (`--as`) and the Telegram staff buttons (`adm:` and `hsum:` callbacks,
and /summary).

`MATRIX` says, for each entry point (a console route with its verb, a CLI command), which action it is
and which roles may do it. The tests then
- enumerate the console's routes from the FastAPI routers and the CLI's commands from the typer app, and
  fail for any route or command without a row (or listed as open / operator-only, with the reason): a
  new route or command cannot slip in without someone deciding who may use it;
- run every console row as every role in-process (a real signed session and CSRF token; an object in the
  right state made fresh for each call) and every CLI `--as` row as every role through typer, and compare
  allowed / refused with the table. A refusal changes nothing the row's check can see.

Roles: a citizen (a person with no staff row: the console cannot sign them in, `--as` cannot name them),
an officer of the municipality the object belongs to (Marneuli), an officer of another (Batumi), a
coordinator, and anonymous (no session cookie; no `--as`). There is no CSO role yet: add it to `Who`.
The CLI commands without `--as` are operator tools (whoever has the shell runs the service; the audit
records the OS user): they are listed in `CLI_OPERATOR` with that reason, not pretended to be scoped.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from aiogram import Bot
from aiogram.types import Update
from argon2 import PasswordHasher
from fastapi.routing import APIRoute
from itsdangerous import URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.main import get_command
from typer.testing import CliRunner

import bot.app
from benchmarking import periods
from bot.app import Service, build_dispatcher, create_http_app
from bot.cli import app as cli_app
from bot.settings import DatabaseSettings, PrivacySettings, Settings
from campaigns import service as campaigns
from campaigns import staff
from campaigns import staff_access as access
from campaigns.definition import CampaignDraft
from contacts.privacy import PrivacyPolicy
from contacts.registry import contact_for
from contacts.vault import DataVault
from handlers.context import AppContext
from hearings import officers
from hearings.definition import HearingDraft
from storage.base import utcnow
from storage.models import AuditEntry, Channel, Contact, ContactStatus, Municipality
from storage.models.actionplans import ActionPlan
from storage.models.campaigns import Campaign, CampaignStatus, Role, StaffMember
from storage.models.hearings import Hearing, HearingQuestion
from surveys import lifecycle
from tests.handlers.telegram.test_actionplan import _CONTEXT, _DISPATCHER
from tests.security.test_hostile_webhooks import RecordingSession
from web.console import router as console_router

pytestmark = pytest.mark.slow  # the whole matrix: ~200 calls on each database


class Who(StrEnum):
    CITIZEN = "citizen"
    OFFICER_HERE = "officer of the municipality"
    OFFICER_OTHER = "officer of another municipality"
    COORDINATOR = "coordinator"
    ANONYMOUS = "anonymous"


EVERYONE = frozenset(Who)
STAFF = frozenset({Who.OFFICER_HERE, Who.OFFICER_OTHER, Who.COORDINATOR})
SCOPED = frozenset({Who.OFFICER_HERE, Who.COORDINATOR})
COORDINATORS = frozenset({Who.COORDINATOR})


@dataclass(frozen=True)
class Row:
    action: str
    surface: str  # "console" | "cli"
    entry: str  # "POST /console/campaigns/{campaign_id}/approve" | "campaign approve"
    allowed: frozenset[Who]
    target: str = ""  # the object the call needs, made fresh per call (see `World.make`)
    form: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()  # CLI arguments after the command, before --as


HERE, OTHER = "marneuli", "batumi"
CAMPAIGN_FORM = {"name": "Roads", "municipality": HERE, "text_ka": "გზების შეკეთება ორშაბათს."}
HEARING_FORM = {
    "municipality": HERE,
    "title_ka": "ბიუჯეტი",
    "place_ka": "მერია",
    "starts_at": "2031-05-01T18:00",
}

# fmt: off
MATRIX: tuple[Row, ...] = (
    # -- campaigns ------------------------------------------------------------------------------------
    Row("create campaign", "console", "POST /console/campaigns", SCOPED, form=CAMPAIGN_FORM),
    Row("submit campaign", "console", "POST /console/campaigns/{campaign_id}/submit", SCOPED, "campaign:draft"),
    Row("approve campaign", "console", "POST /console/campaigns/{campaign_id}/approve", COORDINATORS,
        "campaign:submitted"),
    Row("return campaign", "console", "POST /console/campaigns/{campaign_id}/reject", COORDINATORS,
        "campaign:submitted", form={"reason": "The dates are wrong."}),
    Row("schedule campaign", "console", "POST /console/campaigns/{campaign_id}/schedule", SCOPED,
        "campaign:approved"),
    Row("pause campaign", "console", "POST /console/campaigns/{campaign_id}/pause", SCOPED, "campaign:scheduled"),
    Row("resume campaign", "console", "POST /console/campaigns/{campaign_id}/resume", SCOPED, "campaign:paused"),
    Row("cancel campaign", "console", "POST /console/campaigns/{campaign_id}/cancel", SCOPED, "campaign:draft"),
    Row("view campaign", "console", "GET /console/campaigns/{campaign_id}", SCOPED, "campaign:draft"),
    Row("view campaign", "console", "GET /console/campaigns/{campaign_id}/progress", SCOPED, "campaign:draft"),
    Row("list campaigns", "console", "GET /console/campaigns", STAFF),
    Row("write campaign", "console", "GET /console/campaigns/new", STAFF),
    Row("count audience", "console", "POST /console/campaigns/audience", SCOPED, form={"municipality": HERE}),
    Row("preview campaign", "console", "POST /console/campaigns/preview", SCOPED, form=CAMPAIGN_FORM),
    Row("preview as a citizen", "console", "POST /console/preview/campaign/{campaign_id}", SCOPED,
        "campaign:draft", form={"language": "az", "style": "sms"}),
    Row("preview as a citizen", "console", "POST /console/preview/hearing/{hearing_id}", SCOPED,
        "hearing:draft", form={"language": "hy", "style": "telegram"}),
    Row("create campaign", "cli", "campaign create", SCOPED,
        args=("--name", "Roads", "--text", "ka=გზების შეკეთება.", "--municipality", HERE)),
    Row("submit campaign", "cli", "campaign submit", SCOPED, "campaign:draft", args=("{campaign_id}",)),
    Row("approve campaign", "cli", "campaign approve", COORDINATORS, "campaign:submitted", args=("{campaign_id}",)),
    Row("return campaign", "cli", "campaign reject", COORDINATORS, "campaign:submitted",
        args=("{campaign_id}", "--reason", "The dates are wrong.")),
    Row("schedule campaign", "cli", "campaign schedule", SCOPED, "campaign:approved", args=("{campaign_id}",)),
    Row("pause campaign", "cli", "campaign pause", SCOPED, "campaign:scheduled", args=("{campaign_id}",)),
    Row("resume campaign", "cli", "campaign resume", SCOPED, "campaign:paused", args=("{campaign_id}",)),
    Row("cancel campaign", "cli", "campaign cancel", SCOPED, "campaign:draft", args=("{campaign_id}",)),
    Row("edit campaign", "cli", "campaign edit", SCOPED, "campaign:draft",
        args=("{campaign_id}", "--name", "Roads again", "--at", "in 3 days at 10:00")),
    # -- hearings -------------------------------------------------------------------------------------
    Row("create hearing", "console", "POST /console/hearings", SCOPED, form=HEARING_FORM),
    Row("announce hearing", "console", "POST /console/hearings/{hearing_id}/announce", SCOPED, "hearing:draft"),
    Row("cancel hearing", "console", "POST /console/hearings/{hearing_id}/cancel", SCOPED, "hearing:announced"),
    Row("reschedule hearing", "console", "POST /console/hearings/{hearing_id}/reschedule", SCOPED,
        "hearing:announced", form={"starts_at": "2031-05-08T18:00"}),
    Row("moderate question", "console", "POST /console/hearings/{hearing_id}/questions/{question_id}", SCOPED,
        "hearing:question", form={"state": "shown"}),
    Row("hearing feedback", "console", "POST /console/hearings/{hearing_id}/feedback", SCOPED, "hearing:held",
        form={"feedback_ka": "გმადლობთ."}),
    Row("export hearing", "console", "GET /console/hearings/{hearing_id}/export.csv", SCOPED, "hearing:announced"),
    Row("view hearing", "console", "GET /console/hearings/{hearing_id}", SCOPED, "hearing:draft"),
    Row("list hearings", "console", "GET /console/hearings", STAFF),
    Row("write hearing", "console", "GET /console/hearings/new", STAFF),
    Row("announce hearing", "cli", "hearing announce", SCOPED, "hearing:draft", args=("{hearing_id}",)),
    Row("cancel hearing", "cli", "hearing cancel", SCOPED, "hearing:announced", args=("{hearing_id}",)),
    Row("hearing feedback", "cli", "hearing feedback", SCOPED, "hearing:held",
        args=("{hearing_id}", "--text", "ka=გმადლობთ.")),
    Row("hearing replies", "cli", "hearing rsvps", SCOPED, "hearing:announced", args=("{hearing_id}",)),
    Row("hearing replies", "cli", "hearing questions", SCOPED, "hearing:announced", args=("{hearing_id}",)),
    Row("hearing replies", "cli", "hearing summary", SCOPED, "hearing:announced", args=("{hearing_id}",)),
    Row("reschedule hearing", "cli", "hearing reschedule", SCOPED, "hearing:announced",
        args=("{hearing_id}", "--starts-at", "2031-06-01 18:00")),
    Row("create hearing", "cli", "hearing create", SCOPED,
        args=("--municipality", HERE, "--starts", "2031-05-01 18:00", "--title", "ka=ბიუჯეტი", "--place", "ka=მერია")),
    # -- surveys, personal data, staff ----------------------------------------------------------------
    Row("list surveys", "console", "GET /console/surveys", COORDINATORS),
    Row("upload survey", "console", "POST /console/surveys/upload", COORDINATORS),
    Row("open survey", "console", "POST /console/surveys/{code}/open", COORDINATORS, "survey",
        form={"municipality": HERE}),
    Row("close survey", "console", "POST /console/surveys/{code}/close", COORDINATORS, "survey"),
    Row("survey results", "console", "GET /console/surveys/{code}", COORDINATORS, "survey"),
    Row("export survey", "console", "GET /console/surveys/{code}/export.csv", COORDINATORS, "survey"),
    Row("show personal data", "console", "GET /console/people", SCOPED, "contact",
        form={"kind": "phone", "q": "{phone}"}),
    Row("erase person", "console", "POST /console/people/{contact_id}/erase", SCOPED, "contact",
        form={"confirm": "yes"}),
    Row("list staff", "console", "GET /console/staff", COORDINATORS),
    Row("grant staff", "console", "POST /console/staff", COORDINATORS,
        form={"role": "officer", "name": "{fresh}", "municipality": HERE}),
    Row("revoke staff", "console", "POST /console/staff/{member_id}/revoke", COORDINATORS, "member"),
    Row("read audit log", "console", "GET /console/audit", STAFF),  # an officer sees their municipality's
    # -- municipality pages, benchmarking, action plan ------------------------------------------------
    Row("overview", "console", "GET /console", STAFF),
    Row("municipality page", "console", "GET /console/m/{code}", SCOPED),
    Row("scorecard", "console", "GET /console/m/{code}/scorecard", SCOPED),
    Row("scorecard", "console", "GET /console/m/{code}/scorecard.html", SCOPED),
    Row("action plan", "console", "GET /console/m/{code}/plan", SCOPED),
    Row("sign out", "console", "POST /console/signout", STAFF),
    Row("approve campaign", "telegram", "adm:ap:{campaign_id}", COORDINATORS, "campaign:submitted"),
    Row("review campaign", "telegram", "adm:rv:{campaign_id}", COORDINATORS, "campaign:submitted"),
    Row("return campaign", "telegram", "adm:rj:{campaign_id}", COORDINATORS, "campaign:submitted"),
    Row("schedule campaign", "telegram", "adm:sc:{campaign_id}", SCOPED, "campaign:approved"),
    Row("hearing replies", "telegram", "hsum:v:{hearing_id}", SCOPED, "hearing:announced"),
    Row("hearing replies", "telegram", "/summary {hearing_id}", SCOPED, "hearing:announced"),
    Row("municipality settings", "cli", "municipality set", SCOPED, args=(HERE, "quiet-hours", "off")),
    Row("benchmark period", "cli", "benchmark period add", COORDINATORS,
        args=("p{fresh}", "--start", "2030-01-01", "--end", "2030-12-31")),
    Row("population", "cli", "benchmark population set", COORDINATORS,
        args=("--municipality", HERE, "--residents", "20000", "--year", "2030", "--source", "geostat")),
    Row("action-plan create", "cli", "actionplan create", SCOPED, "no-plan",
        args=("--municipality", HERE, "--title-ka", "გეგმა {fresh}", "--title-en", "Plan {fresh}")),
)
# fmt: on

# Console routes anyone may reach: signing in is how a session starts.
CONSOLE_OPEN = {
    "GET /console/signin": "the sign-in form",
    "POST /console/signin": "signing in by password (attempt limits: tests/web/test_console_access.py)",
    "GET /console/signin/link": "the one-time link's confirmation page",
    "POST /console/signin/link": "redeeming a one-time link (tests/web/test_console_access.py)",
}
# Buttons of the Telegram staff console (`campaigns/console.py`) that act only on the presser's own
# broadcast in progress (its dialog state), so no one else's object is within reach.
TELEGRAM_OWN_DRAFT = {"m": "choose the audience", "sub": "submit what they wrote", "x": "cancel it"}
# CLI commands whose rows are in MATRIX but not run here, each with the reason and where it is tested.
CLI_NOT_RUN = {
    "actionplan update": "needs an item: officer scope in tests/benchmarking/test_actionplan_cli.py",
    "actionplan approve": "needs an item by another author: tests/benchmarking/test_actionplan_cli.py",
    "actionplan import": "needs a plan file: tests/benchmarking/test_actionplan_cli.py",
    "actionplan item add": "needs a plan: tests/benchmarking/test_actionplan_cli.py",
    "benchmark assess": "needs a period and indicator: tests/benchmarking/test_report.py (scope checks)",
}
CLI_SCOPED_NOT_RUN_ROWS = tuple(Row(cmd.split()[0], "cli", cmd, SCOPED) for cmd in CLI_NOT_RUN)
# CLI commands without --as: operator tools, run by whoever has the service's shell (the audit records the
# OS user, `contacts.registry.AUDIT_ORIGIN`); docs/security.md says so.
CLI_OPERATOR = {
    "serve", "seed", "db upgrade", "db current", "demo-data", "survey import", "survey list", "survey open",
    "survey close", "survey results", "survey export", "survey publish", "survey unpublish", "privacy show",
    "privacy erase", "privacy purge", "keys new", "keys rotate", "contacts import", "contacts latin",
    "contacts sms-cost", "hearing list", "hearing status", "municipality list", "municipality show",
    "actionplan list", "actionplan report", "benchmark index", "benchmark report", "benchmark period list",
    "audience count", "campaign status", "campaign list", "campaign dry-run", "campaign preview", "hearing preview",
    "staff grant", "staff revoke", "staff list", "staff password",
}  # fmt: skip


# -- completeness: enumerated from the apps ------------------------------------------------------------


def console_routes() -> set[str]:
    found: set[str] = set()

    def walk(router: Any) -> None:
        for route in getattr(router, "routes", []):
            if isinstance(route, APIRoute):
                found.update(f"{method} {route.path}" for method in route.methods if method != "HEAD")
            elif (inner := getattr(route, "original_router", None)) is not None:
                walk(inner)

    walk(console_router)
    return found


def cli_commands() -> dict[str, list[str]]:
    """Every leaf command's path and its parameter names."""
    found: dict[str, list[str]] = {}

    def walk(command: Any, path: str) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            found[path] = [param.name for param in command.params]

    walk(get_command(cli_app), "")
    return found


def _route_pattern(entry: str) -> str:
    """A row's entry as the route it goes through (`{campaign_id}/approve` is `{campaign_id}/{verb}`)."""
    method, path = entry.split(" ", 1)
    path = (
        re.sub(r"/(submit|approve|schedule|pause|resume|cancel)$", "/{verb}", path)
        if "/campaigns/{" in path
        else path
    )
    path = re.sub(r"^/console/preview/\w+/\{\w+\}$", "/console/preview/{kind}/{item_id}", path)
    return f"{method} {path.replace('export.csv', 'export.{kind}') if '/surveys/' in path else path}"


def test_every_console_route_has_a_row() -> None:
    rows = {_route_pattern(row.entry) for row in MATRIX if row.surface == "console"}
    missing = console_routes() - rows - set(CONSOLE_OPEN)
    assert not missing, f"console routes without a row in MATRIX (who may use them?): {sorted(missing)}"
    stale = rows - console_routes()
    assert not stale, f"rows for console routes that no longer exist: {sorted(stale)}"


def test_every_cli_command_has_a_row_or_is_an_operator_tool() -> None:
    commands = cli_commands()
    rows = {row.entry for row in (*MATRIX, *CLI_SCOPED_NOT_RUN_ROWS) if row.surface == "cli"}
    acting = {path for path, params in commands.items() if "as_" in params or "actor" in params}
    missing = set(commands) - rows - CLI_OPERATOR
    assert not missing, f"CLI commands without a row in MATRIX or CLI_OPERATOR: {sorted(missing)}"
    assert not (rows & CLI_OPERATOR), "a command is both scoped and an operator tool"
    unscoped = {row.entry for row in MATRIX if row.surface == "cli"} - acting
    assert not unscoped, f"rows for CLI commands that take no --as: {sorted(unscoped)}"
    assert set(commands) >= rows, "rows for commands that no longer exist"


# The staff consoles over chat and their button namespaces (`<namespace>:<action>:<id>`).
TELEGRAM_CONSOLES = {"adm": "campaigns/console.py", "hsum": "hearings/summary_chat.py"}


def test_every_telegram_staff_button_has_a_row() -> None:
    root = Path(__file__).resolve().parents[2]
    buttons = {
        f"{namespace}:{action}"
        for namespace, path in TELEGRAM_CONSOLES.items()
        for action in re.findall(r'case "(\w+)"', (root / path).read_text(encoding="utf-8"))
    }
    rows = {
        ":".join(row.entry.split(":")[:2]) for row in MATRIX if row.surface == "telegram" and ":" in row.entry
    }
    buttons -= {f"adm:{action}" for action in TELEGRAM_OWN_DRAFT}
    missing = buttons - rows
    assert not missing, f"Telegram staff buttons without a row in MATRIX: {sorted(missing)}"
    assert rows <= buttons


def test_every_action_of_the_issue_is_in_the_table() -> None:
    actions = {row.action for row in (*MATRIX, *CLI_SCOPED_NOT_RUN_ROWS)} | {"actionplan", "benchmark"}
    for needed in ("create campaign", "submit campaign", "approve campaign", "schedule campaign",
                   "cancel campaign", "announce hearing", "cancel hearing", "export survey", "erase person",
                   "show personal data", "grant staff"):  # fmt: skip
        assert needed in actions, needed
    assert "actionplan update" in CLI_NOT_RUN and "benchmark assess" in CLI_NOT_RUN


# -- the world each call runs in -----------------------------------------------------------------------

NAMES = {Who.OFFICER_HERE: "levan", Who.OFFICER_OTHER: "ani", Who.COORDINATOR: "nino", Who.CITIZEN: "giorgi"}
POLL = Path(__file__).resolve().parents[2] / "surveys" / "examples" / "budget_flash_poll.yaml"
_fresh = itertools.count(1)


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    survey_code: str = ""

    async def setup(self) -> None:
        async with self.sessions() as session, session.begin():
            await staff.grant(session, Role.COORDINATOR, name="author", telegram_id=9001)
            await staff.grant(session, Role.COORDINATOR, name="tamar", telegram_id=9002)
            await staff.grant(session, Role.COORDINATOR, name="nino", telegram_id=9003)
            await staff.grant(session, Role.OFFICER, name="levan", telegram_id=9004, municipality_code=HERE)
            await staff.grant(session, Role.OFFICER, name="ani", telegram_id=9005, municipality_code=OTHER)
            survey, source = lifecycle.load_survey_file(POLL)
            record, _ = await lifecycle.import_survey(session, survey, source)
            self.survey_code = record.code
            await periods.add_period(session, "2026", date(2026, 1, 1), date(2026, 12, 31), actor="test")

    async def make(self, target: str) -> dict[str, str]:
        """A fresh object for one call, in the state the row needs; its ids for the entry's placeholders."""
        values = {"code": HERE, "fresh": f"x{next(_fresh)}"}
        async with self.sessions() as session, session.begin():
            author = await staff.by_ref(session, "author")
            kind, _, state = target.partition(":")
            if kind == "campaign":
                values["campaign_id"] = str(await self._campaign(session, author, state))
            elif kind == "hearing":
                draft = HearingDraft.from_dict({"municipality": HERE, "title": {"ka": "ბიუჯეტი"},
                                                "place": {"ka": "მერია"}, "starts_at": "2031-05-01 18:00"})  # fmt: skip
                hearing = await officers.create(session, draft, author)
                if state in ("announced", "held", "question"):
                    await officers.announce(session, hearing.id, author)
                if state == "question":  # one question sent in advance by a citizen
                    asker, _ = await contact_for(
                        session, Channel.SMS, f"+99559{next(_fresh):07d}", language="ka"
                    )
                    question = HearingQuestion(hearing_id=hearing.id, contact_id=asker.id, text="Why?")
                    session.add(question)
                    await session.flush()
                    values["question_id"] = str(question.id)
                if state == "held":  # it took place yesterday
                    hearing.starts_at = utcnow() - timedelta(days=1)
                values["hearing_id"] = str(hearing.id)
            elif kind == "survey":
                values["code"] = self.survey_code
            elif kind == "contact":
                phone = f"+99559{next(_fresh):07d}"
                contact, _ = await contact_for(session, Channel.SMS, phone, language="ka")
                place = await session.scalar(select(Municipality).where(Municipality.code == HERE))
                assert place is not None
                contact.municipality_id, contact.status = place.id, ContactStatus.ACTIVE
                values |= {"contact_id": str(contact.id), "phone": phone}
            elif kind == "no-plan":  # a municipality has one plan: the previous call's goes
                place_id = select(Municipality.id).where(Municipality.code == HERE).scalar_subquery()
                await session.execute(delete(ActionPlan).where(ActionPlan.municipality_id == place_id))
            elif kind == "member":
                member = await staff.grant(
                    session, Role.OFFICER, name=values["fresh"], municipality_code=HERE
                )
                values["member_id"] = str(member.id)
        return values

    async def _campaign(self, session: AsyncSession, author: StaffMember, state: str) -> int:
        draft = CampaignDraft.from_dict({"name": "Roads", "audience": {"municipalities": [HERE]},
                                         "steps": [{"texts": {"ka": "გზები.", "en": "Roads."},
                                                    "schedule": {"at": "2031-01-01 10:00"}}]})  # fmt: skip
        campaign = await campaigns.create(session, draft, author)
        order = ["draft", "submitted", "approved", "scheduled", "paused"]
        if order.index(state) >= 1:
            await campaigns.submit(session, campaign.id, author)
        if order.index(state) >= 2:
            await campaigns.approve(session, campaign.id, await staff.by_ref(session, "tamar"))
        if order.index(state) >= 3:
            await campaigns.schedule(session, campaign.id, author)
        if order.index(state) >= 4:
            await campaigns.pause(session, campaign.id, author)
        return campaign.id

    async def refusals(self) -> int:
        """Audited refusals so far (`*_denied`: role, scope, four eyes): a 200 or 400 with a new one is a
        refusal shown in the page (a form's error, an htmx fragment), not a success."""
        async with self.sessions() as session:
            found = await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("%denied%"))
            )
            return int(found or 0)

    async def snapshot(self) -> tuple[Any, ...]:
        """What a refused call must not change."""
        async with self.sessions() as session:
            return (
                tuple(
                    (await session.execute(select(Campaign.id, Campaign.status).order_by(Campaign.id))).all()
                ),
                tuple(
                    (
                        await session.execute(
                            select(Hearing.id, Hearing.status, Hearing.starts_at).order_by(Hearing.id)
                        )
                    ).all()
                ),
                tuple((await session.execute(select(Contact.id, Contact.status).order_by(Contact.id))).all()),
                tuple((await session.execute(select(StaffMember.id, StaffMember.active))).all()),
            )


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


# -- the console ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    access._decoy_hash.cache_clear()


async def _console_outcome(
    client: httpx.AsyncClient, cookies: dict[Who, tuple[str, str]], who: Who, row: Row, values: dict[str, str]
) -> str:
    method, path = row.entry.split(" ", 1)
    url = _fill(path, values)
    cookie, csrf = cookies.get(who, ("", ""))
    client.cookies.clear()
    if cookie:
        client.cookies.set("civicbot_console", cookie, domain="console.test", path="/console")
    form = {key: _fill(value, values) for key, value in row.form.items()}
    if method == "GET":
        response = await client.get(url, params=form)
    else:
        response = await client.post(url, data={**form, "csrf": csrf})
    if row.entry == "POST /console/signout":  # the old session no longer opens a page
        if not cookie:
            return "refused"
        check = await client.get("/console")
        return "allowed" if "/console/signin" in check.headers.get("location", "") else "refused"
    if response.status_code in (303, 302, 204) and "/console/signin" in (
        response.headers.get("location", "") + response.headers.get("hx-redirect", "")
    ):
        return "refused"
    if response.status_code == 403:
        return "refused"
    if response.status_code < 400:
        return "allowed"
    return f"error {response.status_code}: {_said(response.text)}"


def _said(page: str) -> str:
    """The words of a console page's main part, for a readable failure."""
    main = page.split("<main", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())[:200]


async def test_the_console_follows_the_matrix(
    migrated_url: str,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot.app, "BACKGROUND_COMPONENTS", [])
    world = World(sessions)
    await world.setup()
    settings = Settings(db=DatabaseSettings(database_url=migrated_url),
                        privacy=PrivacySettings(state_dir=tmp_path / "state"))  # fmt: skip
    service = Service.build(settings)
    app = create_http_app(settings, service)
    cookies: dict[Who, tuple[str, str]] = {}
    async with app.router.lifespan_context(app):
        signer = URLSafeSerializer(
            service.context.vault.address_hash("console", "cookie-signing-key"), salt="session"
        )
        async with sessions() as session, session.begin():
            for who in (Who.OFFICER_HERE, Who.OFFICER_OTHER, Who.COORDINATOR):
                member = await staff.by_ref(session, NAMES[who])
                opened = await access.redeem_link(
                    session, await access.issue_link(session, member), "10.0.0.1"
                )
                cookies[who] = (signer.dumps(opened.token), opened.csrf_token)
        transport = httpx.ASGITransport(app=app)
        wrong: list[str] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
            for row in (row for row in MATRIX if row.surface == "console"):
                if row.entry == "POST /console/surveys/upload":
                    continue  # a multipart file: run below
                for who in Who:
                    values = await world.make(row.target)
                    before, refused_before = await world.snapshot(), await world.refusals()
                    outcome = await _console_outcome(client, cookies, who, row, values)
                    if await world.refusals() > refused_before:
                        outcome = "refused"
                    expected = "allowed" if who in row.allowed else "refused"
                    if outcome != expected:
                        wrong.append(f"{row.entry} as {who}: {outcome}, expected {expected}")
                    elif expected == "refused" and await world.snapshot() != before:
                        wrong.append(f"{row.entry} as {who}: refused but something changed")
                    if row.entry == "POST /console/signout" and who in cookies:  # signed out: sign in again
                        async with sessions() as session, session.begin():
                            member = await staff.by_ref(session, NAMES[who])
                            opened = await access.redeem_link(
                                session, await access.issue_link(session, member), "10.0.0.1"
                            )
                            cookies[who] = (signer.dumps(opened.token), opened.csrf_token)
            for who in Who:
                cookie, csrf = cookies.get(who, ("", ""))
                client.cookies.clear()
                if cookie:
                    client.cookies.set("civicbot_console", cookie, domain="console.test", path="/console")
                response = await client.post("/console/surveys/upload", data={"csrf": csrf},
                                             files={"file": ("poll.yaml", POLL.read_bytes(), "text/yaml")})  # fmt: skip
                refused = response.status_code == 403 or "/console/signin" in response.headers.get(
                    "location", ""
                )
                if refused == (who in COORDINATORS):
                    wrong.append(f"POST /console/surveys/upload as {who}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


# -- the CLI -------------------------------------------------------------------------------------------


def _cli(env: dict[str, str], args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, args, env=env)
    return result.exit_code, result.output


async def test_the_cli_follows_the_matrix(
    migrated_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    world = World(sessions)
    await world.setup()
    env = {"DATABASE_URL": migrated_url, "STATE_DIR": str(tmp_path / "state"), "QUIET_HOURS": "00:00-00:00"}
    wrong: list[str] = []
    for row in (row for row in MATRIX if row.surface == "cli"):
        for who in Who:
            values = await world.make(row.target)
            before = await world.snapshot()
            args = [*row.entry.split(), *(_fill(arg, values) for arg in row.args)]
            if who is not Who.ANONYMOUS:
                args += ["--as", NAMES[who]]
            code, output = await asyncio.to_thread(_cli, env, args)
            expected = who in row.allowed
            if (code == 0) != expected:
                wrong.append(f"{row.entry} as {who}: exit {code}, expected {'success' if expected else 'refusal'}"
                             f"\n    {output.strip()[:300]}")  # fmt: skip
            elif not expected and await world.snapshot() != before:
                wrong.append(f"{row.entry} as {who}: refused but something changed")
    assert not wrong, "\n".join(wrong)


# -- Telegram ------------------------------------------------------------------------------------------

TELEGRAM_IDS = {Who.OFFICER_HERE: 9004, Who.OFFICER_OTHER: 9005, Who.COORDINATOR: 9003, Who.CITIZEN: 7001,
                Who.ANONYMOUS: 7002}  # fmt: skip
AFTER = {
    "adm:ap": CampaignStatus.APPROVED,
    "adm:sc": CampaignStatus.SCHEDULED,
    "adm:rj": CampaignStatus.DRAFT,
}
FOLLOW_UP = {"adm:rj": "The dates are wrong."}  # what a button asks to be typed next
VIEWS = {"adm:rv": "adm:ap:{campaign_id}"}  # read-only: done when the view offers this button
AUDITED = {"hsum:v": "hearing.summary_viewed", "/summary": "hearing.summary_viewed"}  # done: read, audited


async def _audited(sessions: async_sessionmaker[AsyncSession], action: str, subject: str) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.subject == subject)
        )
        return int(found or 0)


async def test_the_telegram_staff_buttons_follow_the_matrix(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> None:
    world = World(sessions)
    await world.setup()
    _CONTEXT.sessions, _CONTEXT.vault, _CONTEXT.policy = sessions, vault, policy
    if not _DISPATCHER:
        _DISPATCHER.append(build_dispatcher(cast(AppContext, _CONTEXT)))
    recorder = RecordingSession()
    bot = Bot("42:AAFakeTokenForThePermissionMatrix0000000", session=recorder)
    wrong: list[str] = []
    updates = itertools.count(1)
    for row in (row for row in MATRIX if row.surface == "telegram"):
        for who in Who:
            values = await world.make(row.target)
            user = {"id": TELEGRAM_IDS[who], "is_bot": False, "first_name": "T", "language_code": "en"}
            message = {"message_id": 1, "date": 0, "chat": {"id": user["id"], "type": "private"}, "text": "…"}
            update = Update.model_validate({"update_id": next(updates), "callback_query": {
                "id": str(next(updates)), "from": user, "chat_instance": "1", "message": message,
                "data": _fill(row.entry, values)}}, context={"bot": bot})  # fmt: skip
            if row.entry.startswith("/"):  # a command with its argument
                text = _fill(row.entry, values)
                update = Update.model_validate({"update_id": next(updates), "message": {
                    **message, "message_id": next(updates), "from": user, "text": text, "entities": [
                        {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}},
                    context={"bot": bot})  # fmt: skip
            button = row.entry.split()[0] if row.entry.startswith("/") else row.entry.rsplit(":", 1)[0]
            subject = f"hearing:{values.get('hearing_id')}"
            read_before = await _audited(sessions, AUDITED[button], subject) if button in AUDITED else 0
            before = len(recorder.calls)
            await _DISPATCHER[0].feed_update(bot, update)
            if button in FOLLOW_UP:
                update = Update.model_validate({"update_id": next(updates), "message": {
                    **message, "message_id": next(updates), "from": user, "text": FOLLOW_UP[button]}},
                    context={"bot": bot})  # fmt: skip
                await _DISPATCHER[0].feed_update(bot, update)
            async with sessions() as session:
                status = await session.scalar(
                    select(Campaign.status).where(Campaign.id == int(values.get("campaign_id", 0)))
                )
            if button in AUDITED:
                done = await _audited(sessions, AUDITED[button], subject) > read_before
            elif button in VIEWS:
                offered = [b.callback_data for call in recorder.calls[before:] for line in
                           getattr(getattr(call, "reply_markup", None), "inline_keyboard", None) or [] for b in line]  # fmt: skip
                done = _fill(VIEWS[button], values) in offered
            else:
                done = status == AFTER[button]
            if done != (who in row.allowed):
                wrong.append(f"{row.entry} as {who}: status {status}")
    assert not wrong, "\n".join(wrong)
