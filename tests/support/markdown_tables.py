"""Read back the GitHub-flavoured markdown tables the pages draw (``ui.common.tables.markdown_table``)."""

from __future__ import annotations

import re

import pandas as pd

# A cell boundary is a pipe that is not escaped by a backslash.
_SPLIT = re.compile(r"(?<!\\)\|")
_ESCAPE = re.compile(r"\\(.)")


def _cells(line: str) -> list[str]:
    parts = _SPLIT.split(line.strip())
    return [_ESCAPE.sub(r"\1", p).strip() for p in parts[1:-1]]


def parse_markdown_table(text: str) -> pd.DataFrame:
    """The table in ``text`` as a frame of strings indexed by its first column (as the page drew it)."""
    lines = text.strip().splitlines()
    if len(lines) < 2 or not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[1].strip()):
        raise ValueError("not a markdown table")
    header = _cells(lines[0])
    rows = [_cells(line) for line in lines[2:]]
    if any(len(r) != len(header) for r in rows):
        raise ValueError("a row has the wrong number of cells")
    return pd.DataFrame([r[1:] for r in rows], index=[r[0] for r in rows], columns=header[1:])


def page_tables(at) -> list[pd.DataFrame]:
    """Every markdown table an AppTest page shows, top to bottom."""
    found = []
    for element in at.markdown:
        try:
            found.append(parse_markdown_table(element.value))
        except ValueError:
            continue
    return found
