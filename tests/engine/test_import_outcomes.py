"""One property across formats: an import either equals the trainer's curve at every update or raises one
``SpecError`` line that names a field (never a traceback, never a curve that differs).

Each format draws configs with hypothesis and compares against the reference its own test module checks
against the trainer (litgpt's replayed ``fit`` with torch's schedulers, torchtune's recipe counting with the
installed cosine, nanoGPT's ``get_lr``, Keras' own schedules under transformers' ``WarmUp``).
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.optimization import get_cosine_schedule_with_warmup

import schedules
from schedules import SpecError
from schedules.imports import import_config
from tests.engine.test_import_formats import nanogpt_get_lr
from tests.engine.test_import_keras_cards import card, warmup_reference
from tests.engine.test_import_litgpt import finetune_reference, finetune_yaml, loader_len
from tests.engine.test_import_torchtune import config as torchtune_config
from tests.engine.test_import_torchtune import recipe_updates
from tests.support.parity_helpers import RTOL_CLOSED, RTOL_RECURSIVE, assert_f32, assert_rel, new_optimizer, run_torch


def outcome(text: str, **budget: int) -> schedules.Spec | SpecError:
    """The spec, or the SpecError (checked to be one line starting with its field)."""
    try:
        return import_config(text, **budget).spec
    except SpecError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(f"{exc.field}: ") and exc.field
        return exc


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 2000),
    micro=st.integers(1, 3),
    accum=st.integers(1, 4),
    epochs=st.integers(1, 3),
    warm=st.integers(0, 60),
)
def test_litgpt(n: int, micro: int, accum: int, epochs: int, warm: int) -> None:
    result = outcome(finetune_yaml(warm=warm, epochs=epochs, global_bs=micro * accum, micro=micro), dataset_size=n)
    if isinstance(result, SpecError):
        return
    ref = finetune_reference(2e-4, warm, epochs, None, loader_len(n, micro, 1), accum)
    assert result.total_steps == len(ref)
    assert_rel(schedules.curve(result), ref, RTOL_RECURSIVE, 2e-4)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3000),
    batch=st.integers(1, 4),
    ga=st.integers(1, 4),
    epochs=st.integers(1, 2),
    warm=st.one_of(st.none(), st.integers(0, 100)),
)
def test_torchtune(n: int, batch: int, ga: int, epochs: int, warm: int | None) -> None:
    result = outcome(torchtune_config(warm=warm, batch=batch, ga=ga, epochs=epochs), dataset_size=n)
    if isinstance(result, SpecError):
        return
    total = recipe_updates(n, batch, 1, ga, epochs, None)
    opt = new_optimizer(2e-5)
    ref = (
        run_torch(opt, get_cosine_schedule_with_warmup(opt, warm, total), total)
        if warm is not None
        else np.full(total, 2e-5)
    )
    assert result.total_steps == total
    assert_rel(schedules.curve(result), ref, RTOL_CLOSED, 2e-5)


@settings(max_examples=40, deadline=None)
@given(max_iters=st.integers(1, 800), warm=st.integers(0, 300), decay=st.integers(1, 900))
def test_nanogpt(max_iters: int, warm: int, decay: int) -> None:
    source = (
        f"learning_rate = 1e-3\nmax_iters = {max_iters}\nwarmup_iters = {warm}\nlr_decay_iters = {decay}\n"
        "min_lr = 1e-4\n"
    )
    result = outcome(source)
    if isinstance(result, SpecError):
        return
    ref = np.array([nanogpt_get_lr(it, 1e-3, warm, decay, 1e-4) for it in range(max_iters + 1)])
    assert_rel(schedules.curve(result), ref, RTOL_CLOSED, 1e-3)


@settings(max_examples=15, deadline=None)
@given(
    warm=st.integers(1, 40),
    decay=st.integers(1, 200),
    power=st.sampled_from([1.0, 2.0, 3.0]),
    end=st.sampled_from([0.0, 1e-6]),
)
def test_keras_card(warm: int, decay: int, power: float, end: float) -> None:
    inner = {
        "class_name": "PolynomialDecay",
        "config": {"initial_learning_rate": 2e-05, "decay_steps": decay, "end_learning_rate": end},
    }
    text = card(
        "{'name': 'AdamWeightDecay', 'learning_rate': {'class_name': 'WarmUp', 'config': "
        "{'initial_learning_rate': 2e-05, 'decay_schedule_fn': {'class_name': 'PolynomialDecay', 'config': "
        f"{{'initial_learning_rate': 2e-05, 'decay_steps': {decay}, 'end_learning_rate': {end}, "
        f"'power': 1.0, 'cycle': False}}}}, 'warmup_steps': {warm}, 'power': {power}}}}}}}"
    )
    result = outcome(text)
    if isinstance(result, SpecError):
        assert power not in (1.0, 2.0)
        return
    assert_f32(schedules.curve(result), warmup_reference(2e-5, warm, power, inner, warm + decay), 2e-5)
    assert math.isclose(result.lr, 2e-5)
