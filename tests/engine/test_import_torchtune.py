"""torchtune recipe configs against the recipe's own counting and scheduler.

torchtune is not installed: the run length is replayed from ``recipes/full_finetune_distributed.py``
(``setup``, ``_setup_data``; github.com/pytorch/torchtune) on real torch objects (``DistributedSampler`` with
``drop_last=False`` under a ``DataLoader(drop_last=True)``, what ``StatefulDistributedSampler`` and
``StatefulDataLoader`` subclass), and the scheduler is Hugging Face's ``get_cosine_schedule_with_warmup``, of
which ``torchtune/training/lr_schedulers.py`` ``get_cosine_schedule_with_warmup`` is a copy (its docstring
cites it; the ``max(0, ...)`` is HF's too).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, DistributedSampler
from transformers.optimization import get_cosine_schedule_with_warmup

import schedules
from schedules import SpecError
from schedules.imports import detect, import_config
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel, new_optimizer, run_torch


def recipe_updates(n: int, batch: int, dp: int, ga: int, epochs: int, cap: int | None) -> int:
    """``epochs × steps_per_epoch`` as the recipe computes it on rank 0."""
    data = list(range(n))
    loader = DataLoader(
        data, batch_size=batch, sampler=DistributedSampler(data, num_replicas=dp, rank=0), drop_last=True
    )
    per_epoch = len(loader) // ga
    if cap is not None and cap < per_epoch:
        per_epoch = cap
    return epochs * per_epoch


def config(
    lr: float = 2e-5,
    warm: int | None = 100,
    batch: int = 2,
    ga: int = 8,
    epochs: int = 1,
    cap: int | None = None,
    tp: int | None = None,
) -> str:
    """The fields of torchtune's recipes/configs/llama3_2/1B_full.yaml (written here, not copied)."""
    text = textwrap.dedent(f"""\
        output_dir: /tmp/out
        model:
          _component_: torchtune.models.llama3_2.llama3_2_1b
        dataset:
          _component_: torchtune.datasets.alpaca_dataset
          packed: False
        seed: null
        shuffle: True
        batch_size: {batch}
        epochs: {epochs}
        optimizer:
          _component_: torch.optim.AdamW
          lr: {lr}
          fused: True
        loss:
          _component_: torchtune.modules.loss.LinearCrossEntropyLoss
        max_steps_per_epoch: {"null" if cap is None else cap}
        gradient_accumulation_steps: {ga}
        """)
    if warm is not None:
        text += (
            "lr_scheduler:\n  _component_: torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n"
            f"  num_warmup_steps: {warm}\n"
        )
    if tp is not None:
        text += f"tensor_parallel_dim: {tp}\n"
    return text


def test_cosine_recipe_matches_the_scheduler(record_property) -> None:
    text = config(warm=20)
    assert detect(text) == "torchtune"
    imported = import_config(text, dataset_size=5000)
    total = recipe_updates(5000, 2, 1, 8, 1, None)
    opt = new_optimizer(2e-5)
    ref = run_torch(opt, get_cosine_schedule_with_warmup(opt, 20, total), total)
    assert imported.spec.total_steps == total == 312
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 2e-5, record_property)


def test_no_lr_scheduler_is_a_constant_lr() -> None:
    text = config(warm=None, epochs=3)
    assert detect(text) == "torchtune"
    imported = import_config(text, dataset_size=1000)
    assert imported.spec.schedule.type == "constant" and imported.spec.lr == 2e-5
    assert imported.spec.total_steps == recipe_updates(1000, 2, 1, 8, 3, None) == 186
    assert any("constant" in line for line in imported.assumptions)


def test_distributed_sampler_pads_rather_than_drops() -> None:
    """10 rows on 4 data-parallel ranks: each rank gets ceil(10 / 4) = 3 (padded), not floor."""
    imported = import_config(config(batch=1, ga=1, warm=0), dataset_size=10, devices=4)
    assert imported.spec.total_steps == recipe_updates(10, 1, 4, 1, 1, None) == 3
    tensor_parallel = import_config(config(batch=1, ga=1, warm=0, tp=2), dataset_size=10, devices=4)
    assert tensor_parallel.spec.total_steps == recipe_updates(10, 1, 2, 1, 1, None) == 5
    with pytest.raises(SpecError, match=r"^devices: must be a multiple of tensor_parallel_dim"):
        import_config(config(tp=8), dataset_size=10)


def test_ppo_length_comes_from_the_config() -> None:
    text = config(warm=10).replace(
        "batch_size: 2\n", "batch_size: 16\nnum_steps: 1000\nppo_epochs: 2\nppo_batch_size: 8\n"
    )
    imported = import_config(text)
    assert imported.spec.total_steps == (1000 // 16) * 2 * (16 // 8) == 248


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 4000),
    batch=st.integers(1, 8),
    ga=st.integers(1, 8),
    dp=st.integers(1, 4),
    epochs=st.integers(1, 3),
    cap=st.one_of(st.none(), st.integers(1, 50)),
    warm=st.integers(0, 200),
)
def test_every_config_is_exact_or_refused_by_name(
    n: int, batch: int, ga: int, dp: int, epochs: int, cap: int | None, warm: int
) -> None:
    total = recipe_updates(n, batch, dp, ga, epochs, cap)
    try:
        imported = import_config(
            config(warm=warm, batch=batch, ga=ga, epochs=epochs, cap=cap), dataset_size=n, devices=dp
        )
    except SpecError as exc:
        assert "\n" not in str(exc)
        assert (exc.field, total == 0 or warm >= total) in {
            ("dataset_size", True),
            ("gradient_accumulation_steps", True),
            ("lr_scheduler.num_warmup_steps", True),
        }
        return
    opt = new_optimizer(2e-5)
    ref = run_torch(opt, get_cosine_schedule_with_warmup(opt, warm, total), total)
    assert imported.spec.total_steps == total
    assert_rel(schedules.curve(imported.spec), np.asarray(ref), RTOL_CLOSED, 2e-5)
