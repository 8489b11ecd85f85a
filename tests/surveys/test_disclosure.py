"""The small-cell rule: no count from 1 to 4 is shown, and none can be worked out from a shown total."""

from __future__ import annotations

from collections.abc import Hashable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.disclosure import HIDDEN, Grid, lines, protect


def _overall(counts: dict[str, int], *, exclusive: bool = True) -> Grid:
    total = sum(counts.values())
    return Grid(
        rows=list(counts), columns=["all"], counts={(row, "all"): n for row, n in counts.items()},
        column_sizes={"all": total}, row_totals=dict(counts), total=total, exclusive=exclusive, partition=False,
    )  # fmt: skip


def _shown(grid: Grid) -> dict[Hashable, int | str]:
    return {row: grid.show(("cell", row, "all")) for row in grid.rows}


@pytest.mark.parametrize(
    ("label", "counts", "shown"),
    [
        ("nothing small", {"a": 10, "b": 5, "c": 7}, {"a": 10, "b": 5, "c": 7}),
        (
            "one small: the next smallest goes too",
            {"a": 10, "b": 3, "c": 7},
            {"a": 10, "b": HIDDEN, "c": HIDDEN},
        ),
        (
            "two small: they protect each other",
            {"a": 10, "b": 3, "c": 1},
            {"a": 10, "b": HIDDEN, "c": HIDDEN},
        ),
        ("zero is shown and never chosen", {"a": 17, "b": 3, "c": 0}, {"a": HIDDEN, "b": HIDDEN, "c": 0}),
        ("everyone chose one answer", {"a": 12, "b": 0}, {"a": 12, "b": 0}),
    ],
)
def test_one_question(label: str, counts: dict[str, int], shown: dict[str, int | str]) -> None:
    grid = protect(_overall(counts))
    assert _shown(grid) == shown, label
    assert grid.show(("column", "all")) == sum(counts.values())


def test_fewer_than_five_respondents_hides_everything() -> None:
    grid = protect(_overall({"a": 3, "b": 0}))
    assert grid.show(("column", "all")) == HIDDEN
    assert _shown(grid) == {"a": HIDDEN, "b": HIDDEN}


def test_multiple_choice_has_no_complement_to_protect() -> None:
    """Options of a multiple-choice question do not add up to the respondents: only small ones hide."""
    grid = protect(_overall({"a": 10, "b": 3, "c": 7}, exclusive=False))
    assert _shown(grid) == {"a": 10, "b": HIDDEN, "c": 7}


def test_a_small_group_is_hidden_whole_and_cannot_be_subtracted_out() -> None:
    rows, columns = ["yes", "no"], ["batumi", "marneuli", "dmanisi"]
    counts = {("yes", "batumi"): 12, ("no", "batumi"): 8, ("yes", "marneuli"): 9, ("no", "marneuli"): 6,
              ("yes", "dmanisi"): 2, ("no", "dmanisi"): 1}  # fmt: skip
    grid = Grid(
        rows, columns, counts,
        column_sizes={"batumi": 20, "marneuli": 15, "dmanisi": 3},
        row_totals={"yes": 23, "no": 15}, total=38, exclusive=True, partition=True,
    )  # fmt: skip
    protect(grid, fixed=[("total",), ("row", "yes"), ("row", "no")])
    assert grid.show(("column", "dmanisi")) == HIDDEN
    assert grid.show(("column", "marneuli")) == HIDDEN  # the smallest other group goes too
    assert grid.show(("column", "batumi")) == 20
    assert [grid.show(("cell", row, "dmanisi")) for row in rows] == [HIDDEN, HIDDEN]
    assert [grid.show(("cell", row, "batumi")) for row in rows] == [12, 8]


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    rows = [f"r{i}" for i in range(draw(st.integers(1, 4)))]
    columns = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    counts = {(r, c): draw(st.integers(0, 12)) for r in rows for c in columns}
    sizes = {c: sum(counts[(r, c)] for r in rows) for c in columns}
    totals = {r: sum(counts[(r, c)] for c in columns) for r in rows}
    return Grid(rows, columns, counts, sizes, totals, sum(totals.values()), exclusive=True, partition=True)


@settings(max_examples=300, deadline=None)
@given(grids())
def test_no_shown_count_is_small_and_no_line_hides_exactly_one(grid: Grid) -> None:
    protect(grid)
    items = [("total",), *[("row", r) for r in grid.rows], *[("column", c) for c in grid.columns]]
    items += [("cell", r, c) for r in grid.rows for c in grid.columns]
    for item in items:
        shown = grid.show(item)
        assert shown == HIDDEN or shown == 0 or shown >= 5, (item, shown)
    for members, total in lines(grid):
        if not grid.is_hidden(total):
            assert sum(1 for m in members if grid.is_hidden(m)) != 1, (members, total)
