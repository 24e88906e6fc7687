"""Read the output of a user's own LR range test: JSON or CSV text in, a checked (lrs, losses) curve out.

Pure: the standard library and NumPy. Nothing read is executed; JSON is parsed with :func:`json.loads` and CSV
split by hand. Accepted shapes:

- torch-lr-finder ``lr_finder.history`` and PyTorch Lightning ``lr_finder.results``: ``{"lr": [...], "loss": [...]}``
  (both record a smoothed loss).
- fastai ``learn.recorder``: ``{"lrs": [...], "losses": [...]}`` (``recorder.losses`` is smoothed).
- this project's range-test snippet: ``{"format": "lr-range-test", "lr": [...], "loss": [...], ...}`` (raw loss).
- a list of rows ``[{"lr": ..., "loss": ...}, ...]`` or ``[[lr, loss], ...]``.
- CSV with two columns ``lr,loss`` (comma, semicolon or tab; header optional; a header may name the columns
  ``lr``/``lrs``/``learning_rate`` and ``loss``/``losses`` among others, as a pandas ``to_csv`` writes them).

Rows whose lr or loss is not finite (NaN, inf, null: a diverged last batch) are dropped and counted. Every other
problem raises :class:`~schedules.finder.FinderError` with a one-line message.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.finder import MIN_POINTS, FinderError

#: Largest upload read, in bytes.
MAX_BYTES = 1_000_000
#: Most rows read.
MAX_ROWS = 100_000
#: The ``format`` tag the range-test snippet writes.
SNIPPET_FORMAT = "lr-range-test"

LR_NAMES = ("lr", "lrs", "learning_rate", "learning_rates", "learning rate")
LOSS_NAMES = ("loss", "losses", "smooth_loss", "train_loss")
_SPLIT = re.compile(r"[,;\t]")


@dataclass(frozen=True)
class FinderData:
    """A parsed range test: ``lrs`` strictly increasing and ``losses``, float64, finite.

    ``source`` names the format recognised; ``presmoothed`` is true when that tool records an already smoothed
    loss (then smoothing again with beta > 0 only delays the curve); ``dropped`` counts rows removed for a
    non-finite lr or loss.
    """

    lrs: np.ndarray
    losses: np.ndarray
    source: str
    presmoothed: bool
    dropped: int


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise FinderError("file", f"must be at most {MAX_BYTES // 1000} kB", context=f"got {len(data)} chars")
        text = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) > MAX_BYTES:
            raise FinderError("file", f"must be at most {MAX_BYTES // 1000} kB", context=f"got {len(raw)} bytes")
        if b"\x00" in raw:
            raise FinderError("file", "must be UTF-8 text (CSV or JSON); this file looks binary")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FinderError("file", "must be UTF-8 text (CSV or JSON); it could not be decoded") from None
    else:
        raise FinderError("file", "must be text or bytes", type(data).__name__)
    if "\x00" in text:
        raise FinderError("file", "must be UTF-8 text (CSV or JSON); this file looks binary")
    if not text.strip():
        raise FinderError("file", "is empty")
    return text.lstrip("\ufeff")


def _number(value: Any, field: str, row: int) -> float:
    """A JSON value as float: null becomes NaN (dropped later); strings and bools are type errors."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FinderError(field, "must hold numbers only", value, f"at row {row + 1}")
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _column(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj[key]
    if not isinstance(value, list):
        raise FinderError(key, "must be a list of numbers", value)
    return value


def _from_json(text: str) -> tuple[list[float], list[float], str, bool]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FinderError("file", "is not valid JSON", context=f"{exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise FinderError("file", "is nested too deeply to be a range-test result") from None
    if isinstance(obj, dict):
        if obj.get("format") == SNIPPET_FORMAT and "lr" in obj and "loss" in obj:
            keys, source, presmoothed = ("lr", "loss"), "range-test snippet", False
        elif "lr" in obj and "loss" in obj:
            keys, source, presmoothed = ("lr", "loss"), "torch-lr-finder history / Lightning results", True
        elif "lrs" in obj and "losses" in obj:
            keys, source, presmoothed = ("lrs", "losses"), "fastai recorder", True
        else:
            # Keys are shown as short reprs: a key holding a newline or markup must not break the one-line message.
            found = ", ".join(repr(k[:30]) for k in sorted(map(str, obj))[:6]) or "none"
            raise FinderError("file", "must have keys lr and loss (or lrs and losses)", context=f"found {found}")
        lr_list, loss_list = _column(obj, keys[0]), _column(obj, keys[1])
        if len(lr_list) != len(loss_list):
            raise FinderError(keys[1], "must have one value per lr", len(loss_list), f"{len(lr_list)} lrs")
        _check_rows(len(lr_list))
        lrs = [_number(v, keys[0], i) for i, v in enumerate(lr_list)]
        losses = [_number(v, keys[1], i) for i, v in enumerate(loss_list)]
        return lrs, losses, source, presmoothed
    if isinstance(obj, list):
        _check_rows(len(obj))
        lrs, losses = [], []
        for i, row in enumerate(obj):
            if isinstance(row, dict) and "lr" in row and "loss" in row:
                pair = (row["lr"], row["loss"])
            elif isinstance(row, list) and len(row) == 2:
                pair = (row[0], row[1])
            else:
                raise FinderError("file", "rows must be {\"lr\": x, \"loss\": y} or [lr, loss]", context=f"row {i + 1}")
            lrs.append(_number(pair[0], "lr", i))
            losses.append(_number(pair[1], "loss", i))
        return lrs, losses, "JSON rows", False
    raise FinderError("file", "must be a JSON object with lr and loss lists", type(obj).__name__)


def _check_rows(n: int) -> None:
    if n > MAX_ROWS:
        raise FinderError("file", f"must have at most {MAX_ROWS} rows", n)


def _csv_float(cell: str) -> float | None:
    """The cell as a float, NaN/inf spelled any usual way; ``None`` when it is not a number at all."""
    token = cell.strip().strip('"').strip("'")
    try:
        return float(token)
    except ValueError:
        return math.nan if token.lower() in ("", "nan", "null", "none", "inf", "-inf") else None


def _from_csv(text: str) -> tuple[list[float], list[float], str, bool]:
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise FinderError("file", "is empty")
    first = [c.strip().strip('"').lower() for c in _split(lines[0])]
    lr_col, loss_col = 0, 1
    body = lines
    if any(_csv_float(c) is None for c in first):
        lr_hits = [i for i, c in enumerate(first) if c in LR_NAMES]
        loss_hits = [i for i, c in enumerate(first) if c in LOSS_NAMES]
        if lr_hits and loss_hits:
            lr_col, loss_col = lr_hits[0], loss_hits[0]
        elif len(first) != 2:
            raise FinderError("file", "CSV header must name an lr and a loss column", ",".join(first))
        body = lines[1:]
    _check_rows(len(body))
    if not body:
        raise FinderError("file", "has a header but no rows")
    need = max(lr_col, loss_col) + 1
    lrs, losses = [], []
    for i, line in enumerate(body):
        cells = _split(line)
        if len(cells) < need:
            raise FinderError("file", f"each CSV row needs {need} columns (lr, loss)", line[:40], f"row {i + 1}")
        lr, loss = _csv_float(cells[lr_col]), _csv_float(cells[loss_col])
        if lr is None or loss is None:
            bad = cells[lr_col] if lr is None else cells[loss_col]
            raise FinderError("lr" if lr is None else "loss", "must be a number", bad.strip(), f"at row {i + 1}")
        lrs.append(lr)
        losses.append(loss)
    return lrs, losses, "CSV", False


def _split(line: str) -> list[str]:
    return _SPLIT.split(line) if _SPLIT.search(line) else line.split()


def parse_finder_output(data: bytes | str) -> FinderData:
    """Parse an uploaded range-test result (see the module docstring for the formats).

    Raises:
        FinderError: too big, binary, malformed, wrong types, too few rows, or lr not strictly increasing.
    """
    text = _decode(data)
    head = text.lstrip()[:1]
    lrs, losses, source, presmoothed = _from_json(text) if head in ("{", "[") else _from_csv(text)
    x = np.asarray(lrs, dtype=np.float64)
    y = np.asarray(losses, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    rows = np.flatnonzero(keep)
    dropped = int(x.size - rows.size)
    x, y = x[keep], y[keep]
    if x.size < MIN_POINTS:
        raise FinderError("file", f"must have at least {MIN_POINTS} rows with a finite lr and loss", int(x.size))
    nonpos = np.flatnonzero(x <= 0)
    if nonpos.size:
        i = nonpos[0]
        raise FinderError("lr", "must be > 0", float(x[i]), f"at row {int(rows[i]) + 1}")
    falls = np.flatnonzero(np.diff(x) <= 0)
    if falls.size:
        i = int(falls[0]) + 1
        raise FinderError(
            "lr", "must be strictly increasing", float(x[i]), f"at row {int(rows[i]) + 1}, after {float(x[i - 1])!r}"
        )
    return FinderData(lrs=x, losses=y, source=source, presmoothed=presmoothed, dropped=dropped)
