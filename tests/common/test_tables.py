"""Markdown tables: what the page shows is the frame, cell for cell, whatever a name contains."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.markdown_tables import parse_markdown_table
from ui.common.tables import markdown_table


def test_a_frame_reads_back_cell_for_cell():
    frame = pd.DataFrame({"schedule": ["3.000e-04", "2,000"], "no-warmup twin": ["3.000e-04", "0"]},
                         index=["peak lr", "peak at step"])
    text = markdown_table(frame)
    assert text.splitlines()[1] == "|:--|--:|--:|"
    pd.testing.assert_frame_equal(parse_markdown_table(text), frame)


def test_left_aligned_columns_are_named():
    frame = pd.DataFrame({"family": ["Cosine decay"], "peak lr": ["0.1"]}, index=["gpt"])
    assert markdown_table(frame, right_align={"peak lr"}).splitlines()[1] == "|:--|:--|--:|"


@pytest.mark.parametrize("name", [
    "a | b", "<script>alert(1)</script>", "**bold** [link](http://x)", "line\nbreak", "back\\slash|", "`code`",
    "   ", "",
])
def test_hostile_names_stay_one_verbatim_cell(name: str):
    frame = pd.DataFrame({"peak lr": ["0.1"]}, index=[name])
    text = markdown_table(frame)
    assert len(text.splitlines()) == 3
    assert "<script>" not in text and "](" not in text
    parsed = parse_markdown_table(text)
    assert list(parsed.index) == [" ".join(name.split())]
    assert parsed.iloc[0, 0] == "0.1"


@given(st.lists(st.text(max_size=30), min_size=1, max_size=8, unique=True))
def test_any_names_read_back(names: list[str]):
    frame = pd.DataFrame({"peak lr": ["1"] * len(names)}, index=names)
    parsed = parse_markdown_table(markdown_table(frame))
    assert list(parsed.index) == [" ".join(n.split()) for n in names]
