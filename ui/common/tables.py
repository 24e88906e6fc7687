"""Small tables as GitHub-flavoured markdown, for ``st.markdown``.

The page's number tables are a few rows of short text. ``st.table`` would ship them as Arrow and make the
browser load about 1 MB of table code before the chart is drawn (measured: ~300 ms of the first chart on a
2-core machine); the markdown renderer is already loaded for every label. Every cell is escaped, so a
schedule's name (user text) shows verbatim and cannot break the table or inject markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ui.common.link_state import escape_markdown

if TYPE_CHECKING:
    from ui.common.curves import CurveView


def _cell(value: object) -> str:
    # Markdown table rows are single lines: a newline in a name would end the row.
    text = " ".join(str(value).split())
    return escape_markdown(text) if text else " "


def markdown_table(frame: pd.DataFrame, *, right_align: set[str] | None = None) -> str:
    """``frame`` as a markdown table: its index as the first, unnamed column, then its columns in order.

    Columns named in ``right_align`` (default: all of them) line up on the right, as numbers do.
    """
    right = set(frame.columns) if right_align is None else right_align
    header = "| |" + "".join(f" {_cell(c)} |" for c in frame.columns)
    rule = "|:--|" + "".join("--:|" if c in right else ":--|" for c in frame.columns)
    rows = [f"| {_cell(index)} |" + "".join(f" {_cell(v)} |" for v in row)
            for index, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True)]
    return "\n".join([header, rule, *rows])


def fmt(value: float | None) -> str:
    """A number for a table cell: 4 significant digits, scientific below 1e-3; empty for None."""
    return "" if value is None else f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def numbers_table(views: dict[str, CurveView], at_step: int | None) -> pd.DataFrame:
    """One column per named curve: its peak, peak step, final and mean lr, steps near the peak, and the lr at
    ``at_step`` when one is asked for (from each view's exact summary)."""
    rows = {}
    for name, view in views.items():
        s = view.summary
        row = {"peak lr": fmt(s.peak), "peak at step": f"{s.peak_step:,}", "final lr": fmt(s.final),
               "mean lr": fmt(s.mean), "steps ≥ 90% of peak": f"{s.steps_above_90:,}"}
        if at_step is not None:
            row[f"lr at step {s.at_step:,}"] = fmt(s.at_value)
        rows[name] = row
    return pd.DataFrame(rows)
