"""Reading users' range-test output: every accepted format, and broken files that must give one-line messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from schedules.finder import FinderError, suggest
from schedules.finder_io import MAX_BYTES, MAX_ROWS, parse_finder_output
from tests.support.refusals import refusal

LRS = [1e-5 * 10 ** (i / 4) for i in range(24)]
LOSSES = [2.3 - 0.05 * i if i < 18 else 1.4 + 0.5 * (i - 17) for i in range(24)]


def check_curve(data, dropped: int = 0) -> None:
    np.testing.assert_allclose(data.lrs, LRS[: data.lrs.size], rtol=1e-12)
    np.testing.assert_allclose(data.losses, LOSSES[: data.losses.size], rtol=1e-12)
    assert data.dropped == dropped
    assert len(suggest(data.lrs, data.losses, skip_start=2, skip_end=2)) == 4


def test_torch_lr_finder_history_and_lightning_results() -> None:
    data = parse_finder_output(json.dumps({"lr": LRS, "loss": LOSSES}).encode())
    check_curve(data)
    assert data.presmoothed and "torch-lr-finder" in data.source


def test_fastai_recorder() -> None:
    data = parse_finder_output(json.dumps({"lrs": LRS, "losses": LOSSES, "iters": list(range(24))}))
    check_curve(data)
    assert data.source == "fastai recorder" and data.presmoothed


def test_snippet_json_is_raw_loss() -> None:
    obj = {"format": "lr-range-test", "version": 1, "lr": LRS, "loss": LOSSES, "smoothed": LOSSES}
    data = parse_finder_output(json.dumps(obj))
    check_curve(data)
    assert data.source == "range-test snippet" and not data.presmoothed


def test_json_rows() -> None:
    check_curve(parse_finder_output(json.dumps([{"lr": a, "loss": b} for a, b in zip(LRS, LOSSES, strict=True)])))
    check_curve(parse_finder_output(json.dumps([[a, b] for a, b in zip(LRS, LOSSES, strict=True)])))


@pytest.mark.parametrize("header", ["lr,loss\n", "", "learning_rate;loss\n", ",lr,loss\n"])
def test_csv_with_or_without_header(header: str) -> None:
    sep = ";" if ";" in header else ","
    index = header.startswith(",")
    rows = "".join(
        (f"{i}," if index else "") + f"{a!r}{sep}{b!r}\n" for i, (a, b) in enumerate(zip(LRS, LOSSES, strict=True))
    )
    data = parse_finder_output(("\ufeff" + header + rows).encode())
    check_curve(data)
    assert data.source == "CSV"


def test_csv_tab_and_whitespace_separated() -> None:
    text = "lr\tloss\n" + "".join(f"{a}\t{b}\n" for a, b in zip(LRS, LOSSES, strict=True))
    check_curve(parse_finder_output(text))
    text = "".join(f"{a}   {b}\n" for a, b in zip(LRS, LOSSES, strict=True))
    check_curve(parse_finder_output(text))


def test_non_finite_rows_are_dropped_and_counted() -> None:
    losses = [*LOSSES[:20], float("nan"), float("inf")]
    data = parse_finder_output(json.dumps({"lr": LRS[:22], "loss": losses}))  # json writes NaN / Infinity
    assert data.dropped == 2 and data.lrs.size == 20
    check_curve(data, dropped=2)
    data = parse_finder_output(json.dumps({"lr": LRS[:21], "loss": [*LOSSES[:20], None]}))
    assert data.dropped == 1
    text = "lr,loss\n" + "".join(f"{a},{b}\n" for a, b in zip(LRS, LOSSES, strict=True)) + "20,nan\n30,\n"
    assert parse_finder_output(text).dropped == 2


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (b'{"lr": [1e-5, 1e-4, ', "file", "not valid JSON"),
        (b"lr,loss\n1e-5,2.3\n1e-4", "file", "columns"),
        (json.dumps({"lr": LRS, "loss": ["a"] * 24}).encode(), "loss", "numbers only"),
        (json.dumps({"lr": LRS, "loss": [True] * 24}).encode(), "loss", "numbers only"),
        (json.dumps({"lr": "1e-3", "loss": LOSSES}).encode(), "lr", "list of numbers"),
        (json.dumps({"lr": LRS, "loss": LOSSES[:-1]}).encode(), "loss", "one value per lr"),
        (json.dumps({"rates": LRS}).encode(), "file", "keys lr and loss"),
        (b'"just a string"', "file", "header"),
        (json.dumps([["a", "b", "c"]] * 6).encode(), "file", "rows must be"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file", "binary"),
        (b"\xff\xfe\xfa lr,loss", "file", "could not be decoded"),
        (b"   \n  ", "file", "empty"),
        (b"lr,loss\n", "file", "no rows"),
        (b"lr,loss\n1e-3,abc\n", "loss", "must be a number"),
        (b"a,b,c\n1,2,3\n", "file", "header"),
        (json.dumps({"lr": LRS[:3], "loss": LOSSES[:3]}).encode(), "file", "at least 5"),
        (json.dumps({"lr": LRS[::-1], "loss": LOSSES}).encode(), "lr", "strictly increasing"),
        (json.dumps({"lr": [0.0, *LRS[1:]], "loss": LOSSES}).encode(), "lr", "> 0"),
        (b"[" * 100_000 + b"]" * 100_000, "file", "nested too deeply"),
    ],
)
def test_broken_files_get_one_line_messages(payload: bytes, field: str, words: str) -> None:
    refusal(field, parse_finder_output, payload, error=FinderError, words=words)


def test_decreasing_lr_names_the_row() -> None:
    lrs = [*LRS[:10], LRS[5], *LRS[11:]]
    with pytest.raises(FinderError) as err:
        parse_finder_output(json.dumps({"lr": lrs, "loss": LOSSES}))
    assert "at row 11" in str(err.value)


def test_size_and_row_caps() -> None:
    with pytest.raises(FinderError) as err:
        parse_finder_output(b"1e-3,1.0\n" * (MAX_BYTES // 9 + 1))
    assert "kB" in str(err.value)
    with pytest.raises(FinderError) as err:
        parse_finder_output(json.dumps({"lr": [1.0] * (MAX_ROWS + 1), "loss": [1] * (MAX_ROWS + 1)}).replace(" ", ""))
    assert f"at most {MAX_ROWS} rows" in str(err.value)


def test_nothing_uploaded_is_executed() -> None:
    payload = json.dumps({"lr": "__import__('os').system('false')", "loss": LOSSES}).encode()
    with pytest.raises(FinderError) as err:
        parse_finder_output(payload)
    assert err.value.field == "lr"
