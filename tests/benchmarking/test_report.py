"""Reports and the CLI: hand-computed scores, small cells hidden in every format, labels in the reader's
language, valid escaped HTML, officer scope."""

from __future__ import annotations

import asyncio
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from benchmarking.framework_yaml import DEFAULT_PATH, default_framework
from bot.cli import app
from channels.i18n import t
from storage.models.benchmarking import BenchmarkPeriod, SelfAssessment
from storage.models.campaigns import Role
from tests.benchmarking.index_data import IN_FOLLOWUP, periods, questionnaire, respond
from tests.campaigns.people import add_staff

# Default framework, Dmanisi, baseline: 6 Georgian readers (aware, trust 5; 4 of them also know how to
# submit: too few to show) and 3 Azerbaijani readers (not aware, trust 1: too few for the gap).
# 15 of 18 indicators have no score: 13 without data, 2 hidden (knows_how_to_submit, response parity).
INFORMATION = 100 * 6 / 9  # aware_of_hearings only
CONSULTATION = 100.0  # survey_response_rate: 9 of 9 subscribers answered (target 30%); the rest missing
FEEDBACK = (6 * 100 + 3 * 0) / 9  # trust_in_listening only
OVERALL = (INFORMATION + CONSULTATION + FEEDBACK) / 3  # equal dimension weights; two dimensions missing


async def _data(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await periods(session)
        record = await questionnaire(session)
        for n in range(6):
            answers: dict[str, object] = {"aware_hearings": "yes", "trust": 5}
            if n < 4:
                answers["submit_know"] = "both"
            await respond(session, record, answers, language="ka")
        for _ in range(3):
            await respond(session, record, {"aware_hearings": "no", "trust": 1}, language="az")
        for _ in range(5):
            await respond(session, record, {"aware_hearings": "yes"}, language="hy", at=IN_FOLLOWUP)
        await add_staff(session, "lela")
        await add_staff(session, "nino", Role.OFFICER, "marneuli")


async def _invoke(args: list[str], url: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": url})
    return result.exit_code, result.output


async def _report(url: str, tmp_path: Path, fmt: str, lang: str = "en", *extra: str) -> Path:
    target = tmp_path / f"report.{fmt}"
    code, output = await _invoke(
        [
            "benchmark",
            "report",
            "--municipality",
            "dmanisi",
            "--period",
            "2026-baseline",
            "--format",
            fmt,
            "--language",
            lang,
            "-o",
            str(target),
            *extra,
        ],
        url,
    )
    assert code == 0, output
    return target


def _row(text: str, label: str, last: bool = False) -> str:
    """The first line of a Markdown table with this label (the last one: the inclusion gap's)."""
    found = [line for line in text.splitlines() if line.startswith(f"| {label} |")]
    return found[-1] if last else found[0]


async def test_markdown_report_scores_and_hidden_cells(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    await _data(sessions)
    text = (await _report(migrated_url, tmp_path, "md")).read_text(encoding="utf-8")
    assert f"| Overall index | {OVERALL:.1f} | 15/18 |" in text
    assert _row(text, "Access to information") == f"| Access to information | {INFORMATION:.1f} | 2/3 |"
    # 4 people knew how to submit (all "both": 100) and 3 Azerbaijani readers (trust 1: 0): never shown.
    assert "| <5 |" in _row(text, "Residents know how to submit an application or petition")
    assert "100.0" not in _row(text, "Residents know how to submit an application or petition")
    trust = "Trust that the municipality takes residents' views into account"
    assert _row(text, trust, last=True) == f"| {trust} | <5 | <5 | — |"
    assert "| Participation in decisions | — |" in text  # missing, not zero


async def test_numbers_are_written_as_readers_of_the_language_write_them(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    """Babel's decimal mark and percent: "77,8" and "100 %" in Russian, "77,8" in Georgian (report and
    CLI table), "77.8" in English; the XLSX keeps scores as numbers whatever the language."""
    await _data(sessions)
    framework = default_framework()
    aware = framework.indicator("aware_of_hearings")
    assert aware is not None
    russian = (await _report(migrated_url, tmp_path, "md", "ru")).read_text(encoding="utf-8")
    overall = f"{OVERALL:.1f}".replace(".", ",")
    assert f"| {t('ru', 'Overall index')} | {overall} | 15/18 |" in russian
    # the only scored indicator of its dimension: all of the weight, and the mean of 6 of 9 answers
    assert f"| {INFORMATION:.1f} | 100\u00a0% |".replace(".", ",") in _row(russian, aware.label_in("ru"))
    georgian = (await _report(migrated_url, tmp_path, "md", "ka")).read_text(encoding="utf-8")
    assert f"| {t('ka', 'Overall index')} | {overall} | 15/18 |" in georgian
    code, output = await _invoke(
        ["benchmark", "index", "--period", "2026-baseline", "--language", "ka"], migrated_url
    )
    assert code == 0, output
    line = next(line for line in output.splitlines() if line.startswith(t("ka", "Overall index")))
    assert overall in line and f"{OVERALL:.1f}" not in line


async def test_html_report_is_valid_escaped_and_in_armenian(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    await _data(sessions)
    framework = _framework_with_markup(tmp_path)
    page = (
        await _report(
            migrated_url, tmp_path, "html", "hy", "--compare", "2027-followup", "--framework", str(framework)
        )
    ).read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="hy">')
    _check_nesting(page)
    assert "Տեղեկատվության մատչելիություն" in page  # the framework's Armenian label
    assert t("hy", "Inclusion gap") != "Inclusion gap" and t("hy", "Inclusion gap") in page
    assert page.count('<img src="data:image/png;base64,') == 5 + 2  # one per dimension, comparison, gap
    assert "2027-followup" in page and "<5" not in page.replace("&lt;5", "")
    english = (await _report(migrated_url, tmp_path, "html", "en", "--framework", str(framework))).read_text()
    assert "Access &lt;to&gt; &amp; information" in english and "Access <to>" not in english


def _framework_with_markup(tmp_path: Path) -> Path:
    """The default framework with an English label full of HTML's special characters."""
    framework = tmp_path / "framework.yaml"
    source = DEFAULT_PATH.read_text(encoding="utf-8")
    framework.write_text(source.replace("en: Access to information", 'en: "Access <to> & information"'))
    return framework


def _check_nesting(page: str) -> None:
    void = {"meta", "img", "br", "link"}
    stack: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in void:
                stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert stack and stack.pop() == tag, f"</{tag}> closes nothing open"

    Checker().feed(page)
    assert stack == []


async def test_xlsx_report_has_charts_and_hides_small_cells(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    await _data(sessions)
    book = load_workbook(io.BytesIO((await _report(migrated_url, tmp_path, "xlsx", "ka")).read_bytes()))
    summary, indicators, gaps, charts = book.worksheets
    values = [[cell.value for cell in row] for row in summary.iter_rows()]
    assert [t("ka", "Overall index"), pytest.approx(OVERALL, abs=0.05), "15/18"] in values
    rows = {row[1].value: [c.value for c in row] for row in indicators.iter_rows(min_row=2)}
    assert rows["მაცხოვრებლებმა იციან განცხადების ან პეტიციის წარდგენა"][3] == "<5"
    trust_gap = [[c.value for c in row] for row in gaps.iter_rows()][-2]
    assert trust_gap[1:] == ["<5", "<5", "—"]
    assert len(charts._images) == 7  # openpyxl keeps a sheet's images there


async def test_index_table_compares_the_four_municipalities(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    await _data(sessions)
    code, output = await _invoke(
        ["benchmark", "index", "--period", "2026-baseline", "--compare", "2027-followup"], migrated_url
    )
    assert code == 0, output
    header = next(line for line in output.splitlines() if line.startswith("Dimension"))
    assert all(name in header for name in ("Batumi", "Chokhatauri", "Dmanisi", "Marneuli"))
    overall = next(line for line in output.splitlines() if line.startswith("Overall index"))
    assert f"100.0 → {OVERALL:.1f}" in overall  # follow-up: 5 of 5 aware, nothing else
    assert overall.count("— → —") == 3


async def test_periods_and_assessments_through_the_cli(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    await _data(sessions)
    code, output = await _invoke(
        [
            "benchmark",
            "period",
            "add",
            "2028-check",
            "--start",
            "2028-01-01",
            "--end",
            "2028-03-31",
            "--as",
            "lela",
        ],
        migrated_url,
    )
    assert code == 0, output
    code, output = await _invoke(["benchmark", "period", "list"], migrated_url)
    assert [line.split()[0] for line in output.splitlines()] == [
        "2026-baseline",
        "2027-followup",
        "2028-check",
    ]
    assess = [
        "benchmark",
        "assess",
        "--municipality",
        "dmanisi",
        "--period",
        "2026-baseline",
        "--indicator",
        "co_decision",
        "--score",
        "3",
        "--evidence",
        "minutes",
    ]
    code, output = await _invoke([*assess, "--as", "nino"], migrated_url)  # Marneuli's officer
    assert code == 1 and "refused: Officers can only assess their own municipality" in output
    code, output = await _invoke([*assess, "--as", "lela"], migrated_url)
    assert code == 0, output
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SelfAssessment)) == 1
        assert await session.scalar(select(func.count()).select_from(BenchmarkPeriod)) == 3
