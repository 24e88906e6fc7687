"""litgpt configs against litgpt's own rule, update by update.

litgpt is not installed: its loops are transcribed below from github.com/Lightning-AI/litgpt (0.5.13), while the
objects they drive are torch's own: the finetune scheduler is built exactly as ``litgpt/finetune/lora.py``
``get_lr_scheduler`` builds it (``SequentialLR`` of ``LambdaLR(step / warmup)`` and ``CosineAnnealingLR``), the
loader length is a real ``DataLoader`` over a ``DistributedSampler`` (what Fabric's ``setup_dataloaders`` puts
in), and ``fit``'s iteration counter, ``CycleIterator`` epochs and ``is_accumulating`` test are replayed as
written there. Pretraining replays ``litgpt/pretrain.py`` ``fit`` with its ``get_lr``.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, DistributedSampler

import schedules
from schedules import SpecError
from schedules.imports import detect, import_config
from tests.support.parity_helpers import RTOL_CLOSED, RTOL_RECURSIVE, assert_rel, new_optimizer


def loader_len(n: int, micro: int, world: int, drop_last: bool = False) -> int:
    """``len(train_dataloader)`` on rank 0: the real torch objects Fabric sets up."""
    data = list(range(n))
    sampler = DistributedSampler(data, num_replicas=world, rank=0, shuffle=False)
    return len(DataLoader(data, batch_size=micro, sampler=sampler, drop_last=drop_last))


def finetune_reference(
    lr: float, warm: int, epochs: int, max_steps: int | None, batches: int, accum: int
) -> np.ndarray:
    """The lr of every update of litgpt finetune's ``fit`` (lora.py): ``get_lr_scheduler`` stepped after every
    optimizer step, over the iterations ``CycleIterator`` yields until its epoch reaches ``epochs``."""
    steps_per_epoch = batches // accum
    lr_max = min(epochs * steps_per_epoch, max_steps or math.inf)
    opt = new_optimizer(lr)
    sched = lr_scheduler.SequentialLR(
        opt,
        [
            lr_scheduler.LambdaLR(opt, lambda step: step / warm),
            lr_scheduler.CosineAnnealingLR(opt, T_max=lr_max - warm),
        ],
        milestones=[warm],
    )
    out, step_count, iter_num, epoch, position = [], 0, 0, 0, 0
    while step_count < (max_steps or math.inf):
        iter_num += 1
        if position == batches:
            position, epoch = 0, epoch + 1
        position += 1
        if epoch >= epochs:
            break
        if iter_num % accum == 0:
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
            step_count += 1
    return np.array(out)


def get_lr(learning_rate: float, it: int, warmup_iters: int, max_iters: int, min_lr: float) -> float:
    """litgpt/pretrain.py ``get_lr``, as written there."""
    if it < warmup_iters:
        return learning_rate * it / warmup_iters
    if it > max_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (max_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def pretrain_reference(
    lr: float, max_tokens: int, world: int, micro: int, seq: int, warm_steps: int, accum: int, min_lr: float
) -> np.ndarray:
    """The lr each optimizer step of litgpt/pretrain.py ``fit`` uses (set before every micro-batch)."""
    max_iters = (max_tokens // world) // (micro * seq)
    warmup_iters = min(max_iters, warm_steps * accum)
    out, current = [], None
    for it in range(max_iters):
        current = get_lr(lr, it, warmup_iters, max_iters, min_lr)
        if (it + 1) % accum == 0:
            out.append(current)
    return np.array(out)


def finetune_yaml(
    lr: float = 2e-4,
    warm: int = 10,
    epochs: int = 2,
    max_steps: int | None = None,
    global_bs: int = 8,
    micro: int = 1,
    devices: int | str = 1,
    min_lr: float = 6e-5,
) -> str:
    """A config with the fields of litgpt's config_hub/finetune/*/lora.yaml (written here, not copied)."""
    return textwrap.dedent(f"""\
        checkpoint_dir: checkpoints/some/model
        out_dir: out/finetune/lora
        precision: bf16-true
        devices: {devices}
        num_nodes: 1
        lora_r: 32
        data:
          class_path: litgpt.data.Alpaca2k
          init_args:
            seed: 42
        train:
          save_interval: 200
          log_interval: 1
          global_batch_size: {global_bs}
          micro_batch_size: {micro}
          lr_warmup_steps: {warm}
          epochs: {epochs}
          max_tokens:
          max_steps: {"" if max_steps is None else max_steps}
          max_seq_length: 512
          min_lr: {min_lr}
        eval:
          interval: 100
        optimizer:
          class_path: torch.optim.AdamW
          init_args:
            lr: {lr}
            weight_decay: 0.0
        """)


def pretrain_yaml(
    lr: float = 4e-4,
    max_tokens: int = 10_000_000,
    global_bs: int = 4,
    micro: int = 4,
    seq: int | None = 2048,
    warm: int | None = 20,
    devices: int | str = 1,
    min_lr: float = 4e-5,
) -> str:
    """A config with the fields of litgpt's config_hub/pretrain/*.yaml."""
    return textwrap.dedent(f"""\
        model_name: tiny-llama-1.1b
        out_dir: out/pretrain/tiny-llama
        precision: bf16-mixed
        data: TinyLlama
        train:
          global_batch_size: {global_bs}
          micro_batch_size: {micro}
          {"" if warm is None else f"lr_warmup_steps: {warm}"}
          epochs:
          max_tokens: {max_tokens}
          max_steps:
          max_seq_length: {"" if seq is None else seq}
          max_norm: 1.0
          min_lr: {min_lr}
        optimizer:
          class_path: torch.optim.AdamW
          init_args:
            lr: {lr}
        devices: {devices}
        num_nodes: 1
        """)


def test_finetune_config_is_detected_and_matches_litgpt(record_property) -> None:
    text = finetune_yaml(warm=10, epochs=2, global_bs=8, micro=1)
    assert detect(text) == "litgpt"
    imported = import_config(text, dataset_size=1000)
    ref = finetune_reference(2e-4, 10, 2, None, loader_len(1000, 1, 1), 8)
    assert imported.spec.total_steps == len(ref) == 250
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 2e-4, record_property)
    assert any("train.min_lr is not used" in line for line in imported.assumptions)


def test_finetune_max_steps_and_devices() -> None:
    text = finetune_yaml(warm=5, epochs=3, max_steps=60, global_bs=16, micro=2, devices=2)
    imported = import_config(text, dataset_size=999)
    ref = finetune_reference(2e-4, 5, 3, 60, loader_len(999, 2, 2), 4)
    assert imported.spec.total_steps == len(ref) == 60
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 2e-4)


def test_finetune_run_past_the_cosine_is_refused_by_name() -> None:
    # 7 batches, 4 per update, 4 epochs: floor(28 / 4) = 7 updates but lr_max_steps = 4 × 1 = 4.
    text = finetune_yaml(warm=1, epochs=4, global_bs=4, micro=1)
    ref = finetune_reference(2e-4, 1, 4, None, loader_len(7, 1, 1), 4)
    assert len(ref) == 7 and ref[5] > ref[4]
    with pytest.raises(
        SpecError,
        match=r"^train\.epochs: litgpt runs 7 updates but its CosineAnnealingLR reaches 0 "
        r"at update 4",
    ):
        import_config(text, dataset_size=7)


def test_finetune_one_update_past_lr_max_steps_uses_the_cosine_end() -> None:
    # 7 batches, 4 per update, 2 epochs: floor(14 / 4) = 3 updates, lr_max_steps 2: the last one is at 0.
    ref = finetune_reference(2e-4, 1, 2, None, loader_len(7, 1, 1), 4)
    imported = import_config(finetune_yaml(warm=1, epochs=2, global_bs=4, micro=1), dataset_size=7)
    assert imported.spec.total_steps == len(ref) == 3 and imported.spec.main_steps == 1
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 2e-4)


def test_pretrain_without_accumulation_matches_get_lr(record_property) -> None:
    text = pretrain_yaml(max_tokens=3_000_000, global_bs=4, micro=4, seq=2048, warm=20)
    assert detect(text) == "litgpt"
    imported = import_config(text)
    ref = pretrain_reference(4e-4, 3_000_000, 1, 4, 2048, 20, 1, 4e-5)
    assert imported.spec.total_steps == len(ref) == 366
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 4e-4, record_property)


def test_pretrain_with_accumulation_is_refused_by_name() -> None:
    ref = pretrain_reference(4e-4, 3_000_000, 1, 2, 2048, 5, 2, 4e-5)
    assert ref[0] == pytest.approx(4e-4 * 1 / 10)  # update 0 uses iteration 1: off the spec's grid
    with pytest.raises(SpecError, match=r"^train\.global_batch_size: gives 2 micro-batches per update"):
        import_config(pretrain_yaml(max_tokens=3_000_000, global_bs=4, micro=2, warm=5))


@pytest.mark.parametrize(
    ("text", "budget", "start"),
    [
        (pretrain_yaml(devices="auto"), {}, "devices: is auto"),
        (pretrain_yaml(seq=None), {}, "train.max_seq_length:"),
        (pretrain_yaml(warm=None), {}, "train.lr_warmup_steps:"),
        (finetune_yaml(warm=0), {"dataset_size": 100}, "train.lr_warmup_steps: must be >= 1"),
        (finetune_yaml(), {}, "total_steps: the litgpt config does not give the run's length; supply dataset_size"),
        (finetune_yaml(global_bs=1, micro=2), {"dataset_size": 100}, "train.global_batch_size:"),
        (finetune_yaml(warm=500), {"dataset_size": 100}, "train.lr_warmup_steps: must be < lr_max_steps"),
    ],
)
def test_what_the_config_does_not_say_is_asked_by_name(text: str, budget: dict, start: str) -> None:
    with pytest.raises(SpecError) as info:
        import_config(text, **budget)
    assert str(info.value).startswith(start) and "\n" not in str(info.value)


def test_devices_auto_uses_the_supplied_devices() -> None:
    imported = import_config(pretrain_yaml(devices="auto", global_bs=8, micro=4, max_tokens=8_000_000), devices=2)
    ref = pretrain_reference(4e-4, 8_000_000, 2, 4, 2048, 20, 1, 4e-5)
    assert imported.spec.total_steps == len(ref)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 4e-4)


FIELDS = {"train.epochs", "train.lr_warmup_steps", "train.global_batch_size", "dataset_size"}


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 3000),
    micro=st.integers(1, 4),
    accum=st.integers(1, 6),
    devices=st.integers(1, 3),
    epochs=st.integers(1, 4),
    warm=st.integers(1, 80),
    max_steps=st.one_of(st.none(), st.integers(1, 400)),
)
def test_finetune_is_exact_or_refused_by_name(
    n: int, micro: int, accum: int, devices: int, epochs: int, warm: int, max_steps: int | None
) -> None:
    """Every litgpt finetune config either imports as litgpt runs it or is refused in one line naming a field."""
    text = finetune_yaml(
        warm=warm, epochs=epochs, max_steps=max_steps, global_bs=micro * accum * devices, micro=micro, devices=devices
    )
    batches = loader_len(n, micro, devices)
    try:
        imported = import_config(text, dataset_size=n)
    except SpecError as exc:
        assert exc.field in FIELDS and "\n" not in str(exc)
        lr_max = min(epochs * (batches // accum), max_steps or math.inf)
        if exc.field == "train.epochs":
            assert len(finetune_reference(2e-4, warm, epochs, max_steps, batches, accum)) > lr_max + 1
        elif exc.field == "train.lr_warmup_steps":
            assert lr_max - warm < 1
        return
    ref = finetune_reference(2e-4, warm, epochs, max_steps, batches, accum)
    assert imported.spec.total_steps == len(ref)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_RECURSIVE, 2e-4)


@settings(max_examples=60, deadline=None)
@given(
    tokens=st.integers(1, 5_000_000),
    micro=st.integers(1, 4),
    seq=st.sampled_from([64, 512, 2048]),
    warm=st.integers(0, 300),
    devices=st.integers(1, 2),
    accum=st.integers(1, 2),
)
def test_pretrain_is_exact_or_refused_by_name(
    tokens: int, micro: int, seq: int, warm: int, devices: int, accum: int
) -> None:
    text = pretrain_yaml(
        max_tokens=tokens, global_bs=micro * accum * devices, micro=micro, seq=seq, warm=warm, devices=devices
    )
    try:
        imported = import_config(text)
    except SpecError as exc:
        assert exc.field in {"train.global_batch_size", "train.lr_warmup_steps", "train.max_tokens"}
        assert "\n" not in str(exc)
        if exc.field == "train.global_batch_size":
            assert accum > 1
        return
    ref = pretrain_reference(4e-4, tokens, devices, micro, seq, warm, accum, 4e-5)
    assert accum == 1 and imported.spec.total_steps == len(ref)
    assert_rel(schedules.curve(imported.spec), ref, RTOL_CLOSED, 4e-4)


def test_torch_objects_are_the_ones_fabric_builds() -> None:
    """The reference's loader length is the padded distributed one: 10 rows on 4 ranks give 3 each."""
    assert loader_len(10, 1, 4) == 3 and loader_len(10, 2, 4) == 2 and loader_len(10, 2, 4, drop_last=True) == 1
    assert torch.__version__.startswith("2.")
