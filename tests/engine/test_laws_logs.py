"""Logged runs read from trainer_state.json and CSV (``schedules.laws.logs``): any valid log reads back exactly,
in both forms alike; any corruption is one SpecError line naming the entry or row and the column."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules import SpecError
from schedules.laws.logs import read_log
from tests.support.refusals import refusal

finite = st.floats(1e-3, 20.0, allow_nan=False)


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[int], list[float], list[float]]:
    """Logged steps (from 1, increasing), lrs and losses as a Trainer logs them."""
    n = draw(st.integers(8, 60))
    gaps = draw(st.lists(st.integers(1, 50), min_size=n, max_size=n))
    steps = list(np.cumsum(gaps))
    lrs = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    lrs[0] = draw(st.floats(1e-6, 1.0))
    losses = draw(st.lists(finite, min_size=n, max_size=n))
    return [int(s) for s in steps], lrs, losses


def as_trainer_state(steps: list[int], lrs: list[float], losses: list[float]) -> bytes:
    history = [{"loss": y, "learning_rate": r, "step": s, "epoch": s / 100, "grad_norm": 1.0}
               for s, r, y in zip(steps, lrs, losses, strict=True)]
    history.insert(len(history) // 2, {"eval_loss": 1.0, "step": steps[len(steps) // 2]})
    history.append({"train_loss": 1.0, "train_runtime": 3.0, "step": steps[-1]})
    return json.dumps({"global_step": steps[-1], "log_history": history}).encode()


def as_csv(steps: list[int], lrs: list[float], losses: list[float]) -> bytes:
    rows = ["epoch,loss,step,learning_rate"] + [f"0,{y!r},{s},{r!r}" for s, r, y in zip(steps, lrs, losses,
                                                                                          strict=True)]
    return "\n".join(rows).encode()


@settings(max_examples=60, deadline=None)
@given(log=logs())
def test_a_valid_log_reads_back_exactly_in_either_form(log: tuple[list[int], list[float], list[float]]) -> None:
    steps, lrs, losses = log
    for data, name in ((as_trainer_state(*log), "trainer_state.json"), (as_csv(*log), "log.csv")):
        read = read_log(data, name)
        np.testing.assert_array_equal(read.steps, np.asarray(steps) - 1)  # the loss after update k is at k - 1
        np.testing.assert_array_equal(read.lrs, lrs)
        np.testing.assert_array_equal(read.losses, losses)


CORRUPT = {
    "loss": (-1.0, "must be > 0"),
    "learning_rate": (-0.5, "must be >= 0"),
    "step": (None, "must be a number"),
}


@settings(max_examples=60, deadline=None)
@given(log=logs(), what=st.sampled_from(sorted(CORRUPT)), at=st.integers(0, 7))
def test_a_corrupted_entry_is_named_by_its_place_and_column(
    log: tuple[list[int], list[float], list[float]], what: str, at: int
) -> None:
    value, words = CORRUPT[what]
    history = json.loads(as_trainer_state(*log))["log_history"]
    index = next(i for i, e in enumerate(history) if "loss" in e and sum("loss" in h for h in history[:i]) == at)
    history[index][what] = value
    refusal(f"log_history[{index}].{what}", read_log, json.dumps({"log_history": history}), "trainer_state.json",
            words=words)
    column = {"loss": "loss", "learning_rate": "learning_rate", "step": "step"}[what]
    rows = as_csv(*log).decode().split("\n")
    cells = rows[1 + at].split(",")
    cells[{"loss": 1, "step": 2, "learning_rate": 3}[what]] = "x" if value is None else repr(value)
    rows[1 + at] = ",".join(cells)
    refusal(f"row {2 + at}.{column}", read_log, "\n".join(rows), "log.csv", words=words)


@pytest.mark.parametrize(
    "data,field",
    [
        (b"", "file"),
        (b"   \n", "file"),
        (b"\xff\xfe\xfd", "file"),
        (b"{\"log_history\": [", "file"),
        (b"[1, 2]", "log_history"),
        (b"{\"log_history\": {}}", "log_history"),
        (b"{\"log_history\": [{\"loss\": 1.0, \"step\": 3}]}", "log_history[0].learning_rate"),
        (b"{\"log_history\": [{\"loss\": true, \"step\": 3, \"learning_rate\": 1e-3}]}", "log_history[0].loss"),
        (b"{\"log_history\": [{\"loss\": 1e999, \"step\": 3, \"learning_rate\": 1e-3}]}", "log_history[0].loss"),
        (b"step,loss\n1,2\n", "columns"),
        (b"step,lr,loss\n", "file"),
        (b"step,lr,loss\n1,1e-3\n", "row 2.loss"),
        (b"step,lr,loss\n1.5,1e-3,2\n" * 1 + b"2,1e-3,2\n" * 8, "rows"),
    ],
)
def test_files_that_are_not_logs_are_refused_in_one_line(data: bytes, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        read_log(data, "trainer_state.json" if data.startswith(b"{") else "log.csv")
    message = str(caught.value)
    assert message.startswith(f"{field}") and "\n" not in message
