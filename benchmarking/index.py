"""The participation index: 0-100 per municipality and period, per dimension and overall, weighted.

An indicator without data is *missing* and one with fewer than 5 people behind it is *hidden*; neither
counts as zero. The weights of the indicators that have a score are re-normalised to add up to 1 within
their dimension (and the dimensions' within the overall index), and each result says how many indicators
were left out, so a reader sees what the score rests on. The inclusion gap compares the survey-based
scores of minority-language respondents (az, hy, ru) with the others'; where one of the two groups has
1 to 4 people, both are hidden (the survey rule: the other would follow from the overall score).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.answer_scan import scan_tallies
from benchmarking.answer_tallies import survey_tallies
from benchmarking.figures import Figures, system_figures
from benchmarking.framework import Dimension, Framework, Indicator, Source
from benchmarking.periods import latest_assessments, window
from benchmarking.survey_scores import EVERYONE, MINORITY, OTHERS, Tallies, Tally
from storage.models import Municipality
from storage.models.benchmarking import BenchmarkPeriod
from surveys.disclosure import MIN_GROUP, Grid, protect


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no data for this period
    HIDDEN = "hidden"  # fewer than 5 people behind it


@dataclass(frozen=True)
class IndicatorScore:
    indicator: Indicator
    score: float | None
    status: Status
    raw: float | None = None  # the figure, self-assessment or mean before normalisation
    respondents: int | None = None  # survey indicators: answers scored
    weight: float | None = None  # share of the dimension's score (re-normalised), None when left out


@dataclass(frozen=True)
class DimensionScore:
    dimension: Dimension
    score: float | None
    indicators: tuple[IndicatorScore, ...]
    weight: float | None = None  # share of the overall score (re-normalised)

    @property
    def missing(self) -> int:
        return sum(1 for item in self.indicators if item.status is not Status.OK)


@dataclass(frozen=True)
class GapScore:
    """One score among minority-language respondents and among the others; None where hidden or empty."""

    code: str
    label: Indicator | Dimension
    minority: float | None
    others: float | None
    hidden: bool

    @property
    def gap(self) -> float | None:
        return None if self.minority is None or self.others is None else self.others - self.minority


@dataclass(frozen=True)
class MunicipalityIndex:
    municipality: Municipality
    period: str
    overall: float | None
    dimensions: tuple[DimensionScore, ...]
    gaps: tuple[GapScore, ...]

    @property
    def missing(self) -> int:
        return sum(d.missing for d in self.dimensions)

    @property
    def total(self) -> int:
        return sum(len(d.indicators) for d in self.dimensions)


def weighted(parts: Sequence[tuple[float, float | None]]) -> tuple[float | None, list[float | None]]:
    """The weighted mean of the scores that exist, and each part's re-normalised weight (None if left out)."""
    present = sum(weight for weight, score in parts if score is not None)
    if not present:
        return None, [None for _ in parts]
    mean = sum(weight * score for weight, score in parts if score is not None) / present
    return mean, [weight / present if score is not None else None for weight, score in parts]


async def compute_index(
    session: AsyncSession,
    framework: Framework,
    period_names: Sequence[str] | None = None,
    *,
    from_answers: bool = False,
) -> dict[tuple[str, str], MunicipalityIndex]:
    """Every municipality's index for the named periods (all periods when None): {(period, code): index}.
    The survey scores come from the answer tallies; `from_answers` reads every answer instead (slow: it
    is how tests and the benchmark check the tallies)."""
    if session.get_bind().dialect.name == "postgresql":
        # The aggregates are prepared statements whose plans depend on their parameters (the period's
        # dates, the mapped values); a cached generic plan made them 5 times slower after a few runs.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    query = select(BenchmarkPeriod).order_by(BenchmarkPeriod.starts_on)
    if period_names is not None:
        query = query.where(BenchmarkPeriod.name.in_(period_names))
    periods = list((await session.scalars(query)).all())
    windows = [window(period) for period in periods]
    tallies = await (scan_tallies if from_answers else survey_tallies)(session, framework, windows)
    figures = await system_figures(session, windows)
    places = list((await session.scalars(select(Municipality).order_by(Municipality.id))).all())
    results: dict[tuple[str, str], MunicipalityIndex] = {}
    for period in periods:
        assessed = await latest_assessments(session, period.id)
        for place in places:
            scorer = _Scorer(period.name, place.id, tallies, figures, assessed)
            dimensions = [scorer.dimension(dimension) for dimension in framework.dimensions]
            overall, shares = weighted([(d.dimension.weight, d.score) for d in dimensions])
            dimensions = [
                DimensionScore(d.dimension, d.score, d.indicators, share)
                for d, share in zip(dimensions, shares, strict=True)
            ]
            gaps = tuple(gap for dimension in framework.dimensions for gap in scorer.gaps(dimension))
            results[(period.name, place.code)] = MunicipalityIndex(
                place, period.name, overall, tuple(dimensions), gaps
            )
    return results


class _Scorer:
    def __init__(
        self,
        period: str,
        municipality_id: int,
        tallies: Tallies,
        figures: Figures,
        assessed: dict[tuple[int, str], float],
    ) -> None:
        self.period, self.municipality_id = period, municipality_id
        self.tallies, self.figures, self.assessed = tallies, figures, assessed

    def tally(self, code: str, group: str) -> Tally | None:
        return self.tallies.get((self.period, self.municipality_id, code, group))

    def indicator(self, item: Indicator) -> IndicatorScore:
        if item.source is Source.SURVEY:
            everyone = self.tally(item.code, EVERYONE)
            if everyone is None or not everyone.count:
                return IndicatorScore(item, None, Status.MISSING, respondents=0)
            if everyone.people < MIN_GROUP:
                return IndicatorScore(item, None, Status.HIDDEN, respondents=None)
            mean = everyone.total / everyone.count
            return IndicatorScore(item, mean, Status.OK, raw=mean, respondents=everyone.count)
        if item.source is Source.SYSTEM:
            key = (self.period, self.municipality_id, item.figure)
            value = self.figures.get(key) if item.figure else None  # type: ignore[arg-type]
            if value is None or (value.value is None and not value.hidden):
                return IndicatorScore(item, None, Status.MISSING)
            if value.hidden or value.value is None:
                return IndicatorScore(item, None, Status.HIDDEN)
            assert item.target is not None
            return IndicatorScore(item, item.target.normalise(value.value), Status.OK, raw=value.value)
        score = self.assessed.get((self.municipality_id, item.code))
        if score is None or item.target is None:
            return IndicatorScore(item, None, Status.MISSING)
        return IndicatorScore(item, item.target.normalise(score), Status.OK, raw=score)

    def dimension(self, dimension: Dimension) -> DimensionScore:
        scores = [self.indicator(item) for item in dimension.indicators]
        mean, shares = weighted([(s.indicator.weight, s.score) for s in scores])
        scores = [
            IndicatorScore(s.indicator, s.score, s.status, s.raw, s.respondents, share)
            for s, share in zip(scores, shares, strict=True)
        ]
        return DimensionScore(dimension, mean, tuple(scores))

    def gaps(self, dimension: Dimension) -> list[GapScore]:
        found: list[GapScore] = []
        for item in dimension.indicators:
            if item.source is not Source.SURVEY:
                continue
            minority, others = self.tally(item.code, MINORITY), self.tally(item.code, OTHERS)
            sizes: dict[Hashable, int] = {  # people, counted up to MIN_GROUP: all `protect` compares
                MINORITY: minority.people if minority else 0,
                OTHERS: others.people if others else 0,
            }
            grid = protect(
                Grid(
                    [],
                    [MINORITY, OTHERS],
                    {},
                    sizes,
                    {},
                    sum(sizes.values()),
                    exclusive=False,
                    partition=True,
                ),
                fixed=[("total",)],
            )
            hidden = grid.is_hidden(("column", MINORITY)) or grid.is_hidden(("column", OTHERS))

            found.append(
                GapScore(
                    item.code, item, _mean(minority, grid, MINORITY), _mean(others, grid, OTHERS), hidden
                )
            )
        if found:
            parts = [g for g in found if g.minority is not None and g.others is not None]
            weights = {item.code: item.weight for item in dimension.indicators}
            minority_mean, _ = weighted([(weights[g.code], g.minority) for g in parts])
            others_mean, _ = weighted([(weights[g.code], g.others) for g in parts])
            found.insert(
                0,
                GapScore(
                    dimension.code,
                    dimension,
                    minority_mean,
                    others_mean,
                    hidden=not parts and any(g.hidden for g in found),
                ),
            )
        return found


def _mean(tally: Tally | None, grid: Grid, group: str) -> float | None:
    if tally is None or not tally.count or grid.is_hidden(("column", group)):
        return None
    return tally.total / tally.count
