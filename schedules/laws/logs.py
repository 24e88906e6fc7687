"""Read a logged run (the loss and lr at logged updates) from the files people have: a Hugging Face
``trainer_state.json`` or a CSV of ``step, lr, loss``.

``read_log(data, filename)`` returns a :class:`Log` of 0-based update indices, lrs and losses, checked by
:func:`schedules.laws.fitting.check_log`, ready for :func:`schedules.laws.fit`. Every bad file is refused with
one :class:`~schedules.SpecError` line naming the field (and the row or entry) and the rule.

trainer_state.json: the Trainer appends ``{"loss", "learning_rate", "step", ...}`` to ``log_history`` every
``logging_steps`` updates (``transformers/trainer.py`` ``_maybe_log_save_evaluate``); ``step`` counts updates
from 1, so the loss after update ``step`` is placed at index ``step - 1``. The loss logged there is the mean
training loss since the previous log, and the lr the one of the update around ``step`` (which one depends on
the transformers version: a shift of one update, below what a law can tell apart over a logging interval).
Evaluation entries (``eval_loss``) and the final summary (``train_loss``) are not training points.

CSV: a header row naming the columns ``step``, ``lr`` (or ``learning_rate``) and ``loss`` (any order, other
columns ignored); ``step`` counts updates from 0 unless the first logged step is 1 or more, as every log does.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedules.errors import SpecError
from schedules.laws.fitting import check_log

#: Largest log file read (a 200,000-entry trainer_state.json is ~40 MB; logs people fit are far smaller).
MAX_LOG_BYTES = 32 * 1024 * 1024
STEP_KEYS = ("step", "steps", "global_step", "iteration", "iter")
LR_KEYS = ("lr", "learning_rate")
LOSS_KEYS = ("loss", "train_loss", "training_loss")


@dataclass(frozen=True)
class Log:
    """A logged run: ``losses[i]`` and ``lrs[i]`` after update ``steps[i]`` (0-based, increasing)."""

    steps: np.ndarray
    lrs: np.ndarray
    losses: np.ndarray
    kind: str
    notes: tuple[str, ...]

    @property
    def updates(self) -> int:
        """Updates the log covers (the last logged index + 1)."""
        return int(self.steps[-1]) + 1


def read_log(data: bytes | str, filename: str = "") -> Log:
    """A :class:`Log` from a trainer_state.json or a CSV (told apart by content, the name helping).

    Raises:
        SpecError: naming ``file``, ``log_history[i].<key>``, ``row <n>.<column>``, ``columns`` or what
            :func:`~schedules.laws.fitting.check_log` names.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_LOG_BYTES:
            raise SpecError("file", f"must be at most {MAX_LOG_BYTES // (1024 * 1024)} MB", f"{len(data):,} bytes")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError("file", "must be UTF-8 text (a trainer_state.json or a CSV)") from None
    if not isinstance(data, str):
        raise SpecError("file", "must be text")
    if len(data) > MAX_LOG_BYTES:
        raise SpecError("file", f"must be at most {MAX_LOG_BYTES // (1024 * 1024)} MB", f"{len(data):,} characters")
    text = data.strip()
    if not text:
        raise SpecError("file", "is empty")
    if text[0] in "{[" or filename.lower().endswith(".json"):
        return _trainer_state(text)
    return _csv(text)


def _trainer_state(text: str) -> Log:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SpecError("file", f"is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(doc, dict) or "log_history" not in doc:
        raise SpecError("log_history", "is missing: a trainer_state.json holds the run's log in log_history")
    history = doc["log_history"]
    if not isinstance(history, list):
        raise SpecError("log_history", "must be a list of logged entries")
    steps: list[float] = []
    lrs: list[float] = []
    losses: list[float] = []
    places: list[str] = []
    for i, entry in enumerate(history):
        if not isinstance(entry, dict) or "loss" not in entry:
            continue  # evaluation entries (eval_loss) and the run's summary (train_loss) train nothing
        for key in ("step", "learning_rate"):
            if key not in entry:
                raise SpecError(
                    f"log_history[{i}].{key}", "is missing (training entries log loss, learning_rate and step)"
                )
        steps.append(_number(entry["step"], f"log_history[{i}].step") - 1)
        lrs.append(_number(entry["learning_rate"], f"log_history[{i}].learning_rate"))
        losses.append(_number(entry["loss"], f"log_history[{i}].loss"))
        places.append(f"log_history[{i}]")
    if not steps:
        raise SpecError("log_history", "has no training entry with a loss (only evaluation or summary entries)")
    columns = {"step": "step", "lr": "learning_rate", "loss": "loss"}
    s, lr, loss = _checked(steps, lrs, losses, "log_history", places, columns, 1)
    notes = (
        f"{len(s)} training entries of log_history; the loss after update step is placed at step - 1",
        "the lr logged at step k is the one of update k or k - 1, by transformers version: one update's "
        "difference, which the fit does not resolve",
    )
    return Log(s, lr, loss, "trainer_state.json", notes)


def _csv(text: str) -> Log:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise SpecError("file", f"is not a readable CSV ({str(exc)[:80]})") from None
    header = [cell.strip().lower() for cell in rows[0]]
    found = {}
    for what, names in (("step", STEP_KEYS), ("lr", LR_KEYS), ("loss", LOSS_KEYS)):
        column = next((header.index(n) for n in names if n in header), None)
        if column is None:
            raise SpecError(
                "columns",
                f"must include {what} (named one of {', '.join(names)}) in the header row",
                ", ".join(header[:6])[:80],
            )
        found[what] = column
    values: dict[str, list[float]] = {"step": [], "lr": [], "loss": []}
    places: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        places.append(f"row {n}")
        for what, column in found.items():
            if column >= len(row) or not row[column].strip():
                raise SpecError(f"row {n}.{header[column]}", "is empty")
            values[what].append(_number(row[column].strip(), f"row {n}.{header[column]}"))
    if not values["step"]:
        raise SpecError("file", "has a header but no rows")
    steps = values["step"]
    # Logs count updates from 1 (the loss after the first update is logged at step 1) unless they hold step 0.
    offset = 1 if steps[0] >= 1 else 0
    columns = {what: header[column] for what, column in found.items()}
    s, lr, loss = _checked([v - offset for v in steps], values["lr"], values["loss"], "rows", places, columns, offset)
    notes = (
        f"{len(s)} rows; steps counted from {offset} (the loss after update step is placed at step - {offset})",
    )
    return Log(s, lr, loss, "CSV", notes)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise SpecError(field, "must be a number", value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(field, "must be a number", value) from None
    if not math.isfinite(number):
        raise SpecError(field, "must be finite", value)
    return number


def _checked(
    steps: list[float],
    lrs: list[float],
    losses: list[float],
    where: str,
    places: list[str],
    columns: dict[str, str],
    shift: int,
) -> tuple[np.ndarray, ...]:
    """check_log, its errors pointing at the file: ``steps[4]`` becomes the entry or row it came from
    (``places[4]``), that file's column name (``columns``) and the step as the file wrote it (``+ shift``)."""
    try:
        return check_log(steps, lrs, losses)
    except SpecError as exc:
        name, _, index = exc.field.partition("[")
        column = columns[{"steps": "step", "lrs": "lr", "losses": "loss"}.get(name, "step")]
        field = f"{places[int(index.rstrip(']'))]}.{column}" if index else where
        value = exc.value + shift if name == "steps" and index and isinstance(exc.value, float) else exc.value
        raise SpecError(field, exc.rule, value) from None
