"""Bar charts of a report as PNG bytes (matplotlib, Agg backend: no display needed).

A score that is missing or hidden gets no bar at all, only a dash where the bar would stand, so a
chart can never be read as a score of zero. Labels arrive already translated; DejaVu Sans, which
matplotlib ships, has the Georgian and Armenian letters.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # after use("Agg"): the backend is chosen first

COLOURS = ("#1f5f8b", "#e0892b", "#5a9c4b")
plt.rcParams["font.family"] = "DejaVu Sans"


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    missing: str = "—",
    maximum: float = 100,
) -> bytes:
    """Horizontal bars: one group per label, one bar per series (e.g. a period), 0..`maximum`."""
    count = max(1, len(labels))
    figure, axes = plt.subplots(figsize=(8, 1.2 + 0.55 * count * max(1, len(series))), dpi=100)
    try:
        height = 0.8 / max(1, len(series))
        for n, (name, values) in enumerate(series.items()):
            for row, value in enumerate(values):
                y = row + n * height
                if value is None:
                    axes.text(1, y, missing, va="center", fontsize=9, color="#666666")
                    continue
                axes.barh(
                    y,
                    value,
                    height=height * 0.9,
                    color=COLOURS[n % len(COLOURS)],
                    label=name if row == next(i for i, v in enumerate(values) if v is not None) else None,
                )
                axes.text(min(value + 1, maximum * 0.93), y, f"{value:.0f}", va="center", fontsize=8)
        axes.set_yticks([row + height * (len(series) - 1) / 2 for row in range(len(labels))])
        axes.set_yticklabels(["\n".join(textwrap.wrap(label, 38)) for label in labels], fontsize=8)
        axes.set_ylim(count - 0.1, -0.2 - height / 2)  # every row, even one with no bar at all, top down
        axes.set_xlim(0, maximum)
        axes.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=10)
        if len(series) > 1 and any(v is not None for values in series.values() for v in values):
            axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(series))
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
