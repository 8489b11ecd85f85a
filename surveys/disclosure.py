"""Small-cell protection for result tables: no group of fewer than 5 people is ever shown or derivable.

The rule, applied to every table of counts (a question's answers, overall or broken down by group):

1. Primary suppression: a count from 1 to 4 is hidden (shown as "<5"), whether it counts the people of
   a group, the people who gave an answer, or the people of a group who gave it. A group smaller than 5
   is hidden whole: its size and every one of its answers. Zero is shown: it counts nobody.
2. Complementary suppression: where counts add up to a total that is shown (the answers of a
   single-choice question add up to its respondents; a group breakdown adds up to the overall count), a
   line with exactly one hidden count would give it away by subtraction. So one more count of that line
   is hidden: the smallest shown count above zero (a whole group when the line is the group sizes). When
   nothing else is left to hide, the line's total is hidden instead. This repeats until every line with a
   shown total hides none or at least two of its counts.
3. Hidden counts of both kinds are shown the same way ("<5"), so a reader cannot tell which hidden count
   is the small one. Means and medians are shown only where no count of their group is hidden (a mean
   with its count gives a sum, and a sum with the shown counts would give the hidden one away).

Totals fixed by an earlier table (the overall counts, when a breakdown is protected) are never hidden
here: the breakdown is protected so that it is safe next to the overall table as already published.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

MIN_GROUP = 5
HIDDEN = "<5"

Item = tuple[Hashable, ...]
"""("cell", row, column), ("column", column) (a group's size), ("row", row) (a row's total), ("total",)."""


@dataclass
class Grid:
    """Counts by row (an answer) and column (a group), with their totals.

    `exclusive`: each column's counts add up to the column's size (single choice, rating, yes/no).
    `partition`: the columns split the people (each person is in exactly one column), so each row adds up
    to its row total and the column sizes add up to the grand total.
    """

    rows: Sequence[Hashable]
    columns: Sequence[Hashable]
    counts: Mapping[tuple[Hashable, Hashable], int]
    column_sizes: Mapping[Hashable, int]
    row_totals: Mapping[Hashable, int]
    total: int
    exclusive: bool
    partition: bool
    hidden: set[Item] = field(default_factory=set)

    def value(self, item: Item) -> int:
        kind = item[0]
        if kind == "cell":
            return self.counts.get((item[1], item[2]), 0)
        if kind == "column":
            return self.column_sizes.get(item[1], 0)
        if kind == "row":
            return self.row_totals.get(item[1], 0)
        return self.total

    def is_hidden(self, item: Item) -> bool:
        if item in self.hidden:
            return True
        if item[0] == "cell":
            return ("column", item[2]) in self.hidden
        return False

    def show(self, item: Item) -> int | str:
        """The count as it may be shown: the number, or "<5"."""
        return HIDDEN if self.is_hidden(item) else self.value(item)

    def column_complete(self, column: Hashable) -> bool:
        """No count of this column is hidden (its mean or median may then be shown)."""
        return not self.is_hidden(("column", column)) and not any(
            self.is_hidden(("cell", row, column)) for row in self.rows
        )


def protect(grid: Grid, *, fixed: Sequence[Item] = ()) -> Grid:
    """Apply the rule above to `grid` in place and return it. `fixed` items keep their visibility."""
    keep = set(fixed)
    for item in _items(grid):
        if item not in keep and 0 < grid.value(item) < MIN_GROUP:
            grid.hidden.add(item)
    changed = True
    while changed:
        changed = False
        for members, total in lines(grid):
            if grid.is_hidden(total):
                continue
            hidden = [m for m in members if grid.is_hidden(m)]
            if len(hidden) != 1:
                continue
            candidates = sorted(
                (grid.value(m), index, m)
                for index, m in enumerate(members)
                if not grid.is_hidden(m) and grid.value(m) > 0 and m not in keep
            )
            if candidates:
                grid.hidden.add(candidates[0][2])
            elif total not in keep:
                grid.hidden.add(total)
            else:
                continue  # the hidden count equals a published total: nothing new is revealed
            changed = True
    return grid


def _items(grid: Grid) -> list[Item]:
    items: list[Item] = [("total",)]
    items += [("row", row) for row in grid.rows]
    items += [("column", column) for column in grid.columns]
    items += [("cell", row, column) for row in grid.rows for column in grid.columns]
    return items


def lines(grid: Grid) -> list[tuple[list[Item], Item]]:
    """Every set of counts that adds up to a shown total: (members, total). The group sizes come first:
    hiding a second whole group there protects every row at once, where row by row would hide more."""
    found: list[tuple[list[Item], Item]] = []
    if grid.partition:
        found.append(([("column", column) for column in grid.columns], ("total",)))
    if grid.exclusive:
        for column in grid.columns:
            found.append(([("cell", row, column) for row in grid.rows], ("column", column)))
    if grid.partition:
        for row in grid.rows:
            found.append(([("cell", row, column) for column in grid.columns], ("row", row)))
    return found
