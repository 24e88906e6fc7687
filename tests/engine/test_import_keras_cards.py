"""Keras model cards: the optimizer dict transformers' Keras callback writes under "Training hyperparameters".

The wrapped schedules are deserialized by the installed Keras (``keras.optimizers.schedules.deserialize``) and
evaluated at every step; transformers' ``WarmUp`` (``src/transformers/optimization_tf.py`` ``WarmUp.__call__``,
transformers 4, not installed with TensorFlow) is transcribed: ``initial_learning_rate · (step / warmup_steps) **
power`` before ``warmup_steps``, ``decay_schedule_fn(step − warmup_steps)`` after, in float32.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest

import schedules
from schedules import SpecError
from schedules.imports import detect, import_config
from tests.support.parity_helpers import assert_f32

POLY = (
    "{'class_name': 'PolynomialDecay', 'config': {'initial_learning_rate': 2e-05, 'decay_steps': 300, "
    "'end_learning_rate': 0.0, 'power': 1.0, 'cycle': False, 'name': None}, '__passive_serialization__': True}"
)


def card(optimizer: str) -> str:
    """A Keras model card's Training hyperparameters (the fields transformers' modelcard.py writes)."""
    return (
        "---\nlicense: apache-2.0\ntags:\n- generated_from_keras_callback\n---\n\n# my-model\n\n"
        "## Training procedure\n\n### Training hyperparameters\n\nThe following hyperparameters were used "
        f"during training:\n- optimizer: {optimizer}\n- training_precision: float32\n\n### Training results\n\n"
        "### Framework versions\n\n- Transformers 4.30.2\n- TensorFlow 2.12.0\n"
    )


def keras_values(config: dict, steps: np.ndarray) -> np.ndarray:
    schedule = keras.optimizers.schedules.deserialize(config)
    return np.array([float(schedule(int(s))) for s in steps])


def warmup_reference(peak: float, warm: int, power: float, inner: dict, n: int) -> np.ndarray:
    steps = np.arange(n)
    after = keras_values(inner, np.maximum(steps - warm, 0))
    before = np.float32(peak) * np.power(steps.astype(np.float32) / np.float32(warm), np.float32(power))
    return np.where(steps < warm, before, after)


def test_polynomial_decay_card_matches_keras(record_property) -> None:
    text = card(
        "{'name': 'AdamWeightDecay', 'learning_rate': " + POLY + ", 'decay': 0.0, 'beta_1': 0.9, "
        "'beta_2': 0.999, 'epsilon': 1e-08, 'amsgrad': False, 'weight_decay_rate': 0.01}"
    )
    assert detect(text) == "model_card"
    imported = import_config(text)
    assert imported.format == "keras" and imported.spec.total_steps == 300
    ref = keras_values(
        {
            "class_name": "PolynomialDecay",
            "config": {"initial_learning_rate": 2e-05, "decay_steps": 300, "end_learning_rate": 0.0},
        },
        np.arange(300),
    )
    assert_f32(schedules.curve(imported.spec), ref, 2e-5, record_property)
    assert imported.transformers_version == "4.30.2"


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_warmup_wrapped_schedule_matches_transformers_warmup(power: float) -> None:
    text = card(
        "{'name': 'AdamWeightDecay', 'learning_rate': {'class_name': 'WarmUp', 'config': "
        f"{{'initial_learning_rate': 2e-05, 'decay_schedule_fn': {POLY}, 'warmup_steps': 30, "
        f"'power': {power}, 'name': None}}}}, 'decay': 0.0, 'beta_1': 0.9}}"
    )
    imported = import_config(text)
    inner = {
        "class_name": "PolynomialDecay",
        "config": {"initial_learning_rate": 2e-05, "decay_steps": 300, "end_learning_rate": 0.0},
    }
    assert imported.spec.total_steps == 330
    assert_f32(schedules.curve(imported.spec), warmup_reference(2e-5, 30, power, inner, 330), 2e-5)


def test_constant_learning_rate_asks_for_the_length() -> None:
    text = card("{'name': 'Adam', 'learning_rate': 0.001, 'decay': 0.0, 'beta_1': 0.9}")
    with pytest.raises(SpecError, match=r"^total_steps: .*supply total_steps"):
        import_config(text)
    imported = import_config(text, total_steps=500)
    assert imported.spec.schedule.type == "constant" and imported.spec.lr == 0.001


@pytest.mark.parametrize(
    ("optimizer", "start"),
    [
        ("{'name': 'Adam', 'learning_rate': 0.001, 'decay': 0.01}", "optimizer.decay:"),
        (
            "{'name': 'AdamWeightDecay', 'learning_rate': {'class_name': 'WarmUp', 'config': {'initial_learning_rate': "
            "2e-05, 'decay_schedule_fn': '<keras.src.optimizers.schedules.PolynomialDecay object at 0x7f>', "
            "'warmup_steps': 10, 'power': 1.0}}}",
            "optimizer.learning_rate.config.decay_schedule_fn:",
        ),
        (
            "{'name': 'AdamWeightDecay', 'learning_rate': {'class_name': 'WarmUp', 'config': {'initial_learning_rate': "
            "3e-05, 'decay_schedule_fn': " + POLY + ", 'warmup_steps': 10, 'power': 1.0}}}",
            "optimizer.learning_rate.config.initial_learning_rate:",
        ),
        ("{'name': 'Adam', 'learning_rate': __import__('os')}", "optimizer: is not a Keras optimizer config"),
    ],
)
def test_what_cannot_be_imported_is_named(optimizer: str, start: str) -> None:
    with pytest.raises(SpecError) as info:
        import_config(card(optimizer), total_steps=100)
    assert str(info.value).startswith(start) and "\n" not in str(info.value)
