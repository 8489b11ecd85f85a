"""A municipality's scorecard for one period (optionally against another), as Markdown or HTML.

Report chrome comes from the catalogs and indicator names from the framework, both in the reader's
language. Only what the index left visible is shown: a hidden score is "<5" with no number behind it,
and a missing one is "—" with a note, so neither reads as zero. Charts are PNGs embedded in the file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent

from benchmarking.charts import bar_chart
from benchmarking.framework import Framework, Source
from benchmarking.index import DimensionScore, GapScore, IndicatorScore, MunicipalityIndex, Status
from channels.i18n import t
from surveys.disclosure import HIDDEN

MISSING = "—"
SCORE = "0.0"  # scores run from 0 to 100: one decimal, never a group separator
CHANGE = "+0.0;-0.0"


@dataclass(frozen=True)
class ReportData:
    framework: Framework
    current: MunicipalityIndex
    previous: MunicipalityIndex | None
    lang: str

    @property
    def place(self) -> str:
        return self.current.municipality.name_in(self.lang)

    @property
    def periods(self) -> list[MunicipalityIndex]:
        return [self.current] if self.previous is None else [self.previous, self.current]


def number(value: float | None, lang: str) -> str:
    """A score as a reader of `lang` writes it (Babel): 66,7 in Georgian or Russian, 66.7 in English."""
    return MISSING if value is None else format_decimal(value, format=SCORE, locale=lang)


def indicator_text(score: IndicatorScore, lang: str) -> str:
    if score.status is Status.HIDDEN:
        return HIDDEN
    return number(score.score, lang)


def status_text(lang: str, status: Status) -> str:
    if status is Status.HIDDEN:
        return t(lang, "fewer than 5 people")
    if status is Status.MISSING:
        return t(lang, "no data")
    return ""


def source_text(lang: str, source: Source) -> str:
    return {
        Source.SURVEY: t(lang, "citizen survey"),
        Source.SYSTEM: t(lang, "figure from the system"),
        Source.SELF_ASSESSMENT: t(lang, "self-assessment"),
    }[source]


def gap_values(gap: GapScore, lang: str) -> list[str]:
    if gap.hidden and gap.minority is None and gap.others is None:
        return [HIDDEN, HIDDEN, MISSING]
    return [number(gap.minority, lang), number(gap.others, lang), number(gap.gap, lang)]


def summary_rows(data: ReportData) -> list[list[str]]:
    """[dimension, score per period..., (change), indicators missing] then the overall line."""
    lang, rows = data.lang, []
    for n, dimension in enumerate(data.framework.dimensions):
        scores = [index.dimensions[n] for index in data.periods]
        row = [dimension.label_in(lang), *[number(s.score, lang) for s in scores]]
        if data.previous is not None:
            row.append(_change(scores[0].score, scores[1].score, lang))
        row.append(f"{scores[-1].missing}/{len(scores[-1].indicators)}")
        rows.append(row)
    overall = [t(lang, "Overall index"), *[number(index.overall, lang) for index in data.periods]]
    if data.previous is not None:
        overall.append(_change(data.previous.overall, data.current.overall, lang))
    overall.append(f"{data.current.missing}/{data.current.total}")
    rows.append(overall)
    return rows


def summary_header(data: ReportData) -> list[str]:
    lang = data.lang
    header = [t(lang, "Dimension"), *[index.period for index in data.periods]]
    if data.previous is not None:
        header.append(t(lang, "Change"))
    return [*header, t(lang, "Indicators without data")]


def _change(before: float | None, after: float | None, lang: str) -> str:
    if before is None or after is None:
        return MISSING
    return format_decimal(after - before, format=CHANGE, locale=lang)


def indicator_header(lang: str) -> list[str]:
    return [
        t(lang, "Indicator"),
        t(lang, "Source"),
        t(lang, "Score"),
        t(lang, "Weight used"),
        t(lang, "Note"),
    ]


def indicator_rows(data: ReportData, dimension: DimensionScore) -> list[list[str]]:
    lang = data.lang
    return [
        [
            score.indicator.label_in(lang),
            source_text(lang, score.indicator.source),
            indicator_text(score, lang),
            MISSING if score.weight is None else format_percent(score.weight, locale=lang),
            status_text(lang, score.status),
        ]
        for score in dimension.indicators
    ]


def gap_header(lang: str) -> list[str]:
    return [
        t(lang, "Dimension or indicator"),
        t(lang, "Minority-language respondents"),
        t(lang, "Other respondents"),
        t(lang, "Gap"),
    ]


def gap_rows(data: ReportData) -> list[list[str]]:
    return [[gap.label.label_in(data.lang), *gap_values(gap, data.lang)] for gap in data.current.gaps]


def notes(data: ReportData) -> list[str]:
    lang, index = data.lang, data.current
    found = [
        t(
            lang,
            "Scores run from 0 to 100. Each dimension is the weighted mean of its indicators, and the "
            "overall index the weighted mean of the dimensions.",
        )
    ]
    if index.missing:
        found.append(
            t(
                lang,
                "{missing} of {total} indicators have no score for this period: they are left out, "
                "not counted as zero, and the weights of the others are scaled up to make 100%.",
                missing=index.missing,
                total=index.total,
            )
        )
    found.append(
        t(
            lang,
            "Scores based on fewer than 5 people are hidden (<5); where one group of the inclusion "
            "gap is hidden, the other is hidden too.",
        )
    )
    found.append(
        t(lang, "Minority-language respondents are those who answered in Azerbaijani, Armenian or Russian.")
    )
    return found


def method(data: ReportData) -> list[str]:
    lang = data.lang
    numbers = {d.code: ", ".join(map(str, d.principles)) for d in data.framework.dimensions}
    lines = [
        d.label_in(lang) + " — " + t(lang, "Council of Europe principles {numbers}", numbers=numbers[d.code])
        for d in data.framework.dimensions
    ]
    return lines + [f"{ref.title} — {ref.url}" for ref in data.framework.references]


def charts(data: ReportData) -> list[tuple[str, bytes]]:
    """(caption, PNG): one per dimension, the period comparison and the inclusion gap."""
    lang, found = data.lang, []
    for n, dimension in enumerate(data.framework.dimensions):
        series = {index.period: [s.score for s in index.dimensions[n].indicators] for index in data.periods}
        labels = [item.label_in(lang) for item in dimension.indicators]
        found.append((dimension.label_in(lang), bar_chart(dimension.label_in(lang), labels, series)))
    title = t(lang, "Dimensions, period by period")
    labels = [d.label_in(lang) for d in data.framework.dimensions] + [t(lang, "Overall index")]
    series = {index.period: [*[d.score for d in index.dimensions], index.overall] for index in data.periods}
    found.append((title, bar_chart(title, labels, series)))
    title = t(lang, "Inclusion gap")
    gaps = [gap for gap in data.current.gaps if gap.code in {d.code for d in data.framework.dimensions}]
    series = {
        t(lang, "Minority-language respondents"): [g.minority for g in gaps],
        t(lang, "Other respondents"): [g.others for g in gaps],
    }
    found.append((title, bar_chart(title, [g.label.label_in(lang) for g in gaps], series)))
    return found


def headings(lang: str) -> tuple[str, str, str]:
    """The headings of the closing sections (kept out of f-strings so the extractor finds them)."""
    return t(lang, "Inclusion gap"), t(lang, "How to read this report"), t(lang, "Method")


def title(data: ReportData) -> str:
    period = (
        data.current.period if data.previous is None else f"{data.previous.period} → {data.current.period}"
    )
    return f"{data.framework.title_in(data.lang)} — {data.place}, {period}"


def markdown(data: ReportData, progress: Callable[[str], None] = lambda _: None) -> str:
    """Markdown with tables; charts are left to the HTML and XLSX formats (Markdown cannot embed them)."""
    lang = data.lang
    out = [f"# {_md(title(data))}", "", *_table(summary_header(data), summary_rows(data)), ""]
    for dimension in data.current.dimensions:
        out += [
            f"## {_md(dimension.dimension.label_in(lang))}",
            "",
            *_table(indicator_header(lang), indicator_rows(data, dimension)),
            "",
        ]
    out += [f"## {_md(headings(lang)[0])}", "", *_table(gap_header(lang), gap_rows(data)), ""]
    out += [f"## {_md(headings(lang)[1])}", "", *[f"- {_md(n)}" for n in notes(data)], ""]
    out += [f"## {_md(headings(lang)[2])}", "", *[f"- {_md(m)}" for m in method(data)], ""]
    progress("markdown")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]


def html_page(data: ReportData, progress: Callable[[str], None] = lambda _: None) -> str:
    lang, esc = data.lang, html.escape
    parts = [
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">',
        f"<title>{esc(title(data))}</title>",
        f"<style>{_CSS}</style>\n</head>\n<body>",
        f"<h1>{esc(title(data))}</h1>",
        _html_table(summary_header(data), summary_rows(data)),
    ]
    images = charts(data)
    progress("charts")
    for n, dimension in enumerate(data.current.dimensions):
        parts += [
            f"<h2>{esc(dimension.dimension.label_in(lang))}</h2>",
            _html_table(indicator_header(lang), indicator_rows(data, dimension)),
            _img(*images[n]),
        ]
    parts += [f"<h2>{esc(images[-2][0])}</h2>", _img(*images[-2])]
    parts += [
        f"<h2>{esc(headings(lang)[0])}</h2>",
        _html_table(gap_header(lang), gap_rows(data)),
        _img(*images[-1]),
    ]
    parts += [
        f"<h2>{esc(headings(lang)[1])}</h2>",
        _html_list(notes(data)),
        f"<h2>{esc(headings(lang)[2])}</h2>",
        _html_list(method(data)),
        "</body>\n</html>\n",
    ]
    return "\n".join(parts)


_CSS = (
    "body{font-family:'DejaVu Sans',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #bbb;padding:.3rem .6rem;"
    "text-align:left}img{max-width:100%}"
)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"


def _html_list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def _img(caption: str, png: bytes) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<p><img src="data:image/png;base64,{encoded}" alt="{html.escape(caption, quote=True)}"></p>'
