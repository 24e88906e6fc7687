"""trainer_state.json points placed by the transformers version that wrote them.

transformers 5 (installed) is checked by running a real ``Trainer.train()`` and reading its ``log_history``.
Versions before 4.51 logged, at global step k, ``_get_learning_rate()`` after ``lr_scheduler.step()``
(transformers v4.48.1 ``src/transformers/trainer.py`` ``Trainer._inner_training_loop`` then
``_maybe_log_save_evaluate``; changed by huggingface/transformers PR #36973, released in 4.51.0): that is the lr
after k scheduler steps, which this test produces from the same installed scheduler stepped the same way.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
import transformers
from transformers import Trainer, TrainingArguments
from transformers.optimization import get_cosine_schedule_with_warmup

import schedules
from schedules import SpecError
from schedules.imports import import_config, read_trainer_state
from tests.engine.test_import_hf import TinyModel
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel

CFG = {"learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_steps": 5, "max_steps": 40}


def v4_state(logging_steps: int = 4) -> str:
    """A trainer_state.json as transformers < 4.51 wrote it: the lr after each logged step's scheduler step."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], lr=1e-3)
    sched = get_cosine_schedule_with_warmup(opt, 5, 40)
    history = []
    for step in range(1, 41):
        opt.step()
        sched.step()
        if step % logging_steps == 0:
            history.append({"loss": 0.5, "learning_rate": sched.get_last_lr()[0], "epoch": step / 40, "step": step})
    return json.dumps({"global_step": 40, "max_steps": 40, "logging_steps": logging_steps, "log_history": history})


def test_installed_transformers_logs_the_lr_the_update_used(tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = TrainingArguments(
            output_dir=str(tmp_path),
            report_to=[],
            use_cpu=True,
            logging_steps=3,
            save_strategy="no",
            per_device_train_batch_size=4,
            **CFG,
        )
        data = [{"x": torch.zeros(1)} for _ in range(200)]
        trainer = Trainer(
            model=TinyModel(),
            args=args,
            train_dataset=data,
            data_collator=lambda rows: {"x": torch.zeros(len(rows), 1)},
        )
        trainer.train()
    text = json.dumps({"max_steps": trainer.state.max_steps, "log_history": trainer.state.log_history})
    imported = import_config(json.dumps(CFG))
    state = read_trainer_state(text, transformers.__version__)
    steps, lrs = (np.array(v) for v in zip(*state.logged, strict=True))
    assert_rel(schedules.curve(imported.spec, steps), lrs, RTOL_CLOSED, 1e-3)
    other_steps = np.array([s for s, _ in state.alternative])
    assert np.array_equal(other_steps, steps + 1)
    assert not np.allclose(schedules.curve(imported.spec, other_steps), lrs)


def test_version_before_4_51_places_points_at_the_step() -> None:
    imported = import_config(json.dumps(CFG))
    state = read_trainer_state(v4_state(), "4.46.2")
    steps, lrs = (np.array(v) for v in zip(*state.logged, strict=True))
    assert steps[0] == 4 and steps[-1] == 40
    assert_rel(schedules.curve(imported.spec, steps), lrs, RTOL_CLOSED, 1e-3)
    assert "transformers 4.46.2" in state.assumptions[0] and "fp16" in state.assumptions[-1]


def test_unknown_version_says_which_reading_it_assumed() -> None:
    state = read_trainer_state(v4_state())
    assert state.logged[0][0] == 4 and state.alternative[0][0] == 3
    assert state.assumptions[0].startswith("transformers version not given")
    assert read_trainer_state(v4_state(), "4.51.0").logged[0][0] == 3
    with pytest.raises(SpecError, match=r"^transformers_version: must look like"):
        read_trainer_state(v4_state(), "latest")


def test_a_model_card_gives_the_version() -> None:
    card = (
        "## Training procedure\n\n### Training hyperparameters\n\n- learning_rate: 0.001\n"
        "- lr_scheduler_type: cosine\n- lr_scheduler_warmup_steps: 5\n- training_steps: 40\n\n"
        "### Framework versions\n\n- Transformers 4.35.2\n- Pytorch 2.1.0\n"
    )
    imported = import_config(card)
    assert imported.transformers_version == "4.35.2"
    assert imported.assumptions[-1] == "written by transformers 4.35.2 (the card's Framework versions)"
    state = read_trainer_state(v4_state(), imported.transformers_version)
    steps, lrs = (np.array(v) for v in zip(*state.logged, strict=True))
    assert_rel(schedules.curve(imported.spec, steps), lrs, RTOL_CLOSED, 1e-3)
