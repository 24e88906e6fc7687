"""Trainer configs round trip through the studio: a trainer's own config, imported with ``import_config``,
exported to the same trainer's config target (``hf_args``, ``llamafactory``, ``axolotl``, ``timm_args``,
``lightning_cli``, ``nanogpt``) and run by that trainer, gives ``curve(imported.spec)`` at every update.

The configs are the held-out ones the importer tests compare with each trainer (``test_import_hf.FIXED``,
``test_import_formats.TIMM_CASES`` and the axolotl, LLaMA-Factory, Lightning and nanoGPT configs of
``test_import_formats``); the runs are the export tests' own (Trainer via ``hf_trainer_lrs`` from the
``TrainingArguments`` code, LLaMA-Factory's OmegaConf + HfArgumentParser path, axolotl's config rules,
timm's ``create_scheduler_v2``, ``LightningCLI``, nanoGPT's ``get_lr``) with their tolerances: 1e-12
relative for the closed forms, 1e-9 for timm and the torch schedulers Lightning steps.

A config whose spec the export cannot write is refused naming the field; the refusal must be one the spec
explains: an extension the trainer-config files do not write (``warmup.overlay``, ``main_steps``), a
warmup shape other than linear, or a family Trainer's own schedulers do not have. Every other config must
complete the round trip, and ``import_config`` of the exported text gives the imported spec back exactly
(the file's ``# spec v1:`` line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import schedules
from schedules import SpecError
from schedules.export import export
from schedules.imports import import_config
from tests.engine.test_export_hf_config import HF_KINDS
from tests.engine.test_export_hf_config import check as run_hf_export
from tests.engine.test_export_lightning_cli import check as run_lightning_export
from tests.engine.test_export_nanogpt import check as run_nanogpt_export
from tests.engine.test_export_timm import timm_scheduler  # noqa: F401  (the fixture loads timm.scheduler)
from tests.engine.test_export_timm_args import check as run_timm_export
from tests.engine.test_import_formats import TIMM_CASES
from tests.engine.test_import_hf import FIXED

#: name -> (config text, target, import_config keyword arguments)
CONFIGS: dict[str, tuple[str, str, dict[str, Any]]] = {}

for _name, (_cfg, _n) in FIXED.items():
    CONFIGS[f"hf: {_name}"] = (json.dumps(_cfg), "hf_args", {"fmt": "hf", "dataset_size": _n})

for _name, _cfg in TIMM_CASES.items():
    CONFIGS[f"timm: {_name}"] = (yaml.safe_dump({"batch_size": 16, **_cfg}), "timm_args", {"steps_per_epoch": 7})

CONFIGS.update({
    "axolotl: quadratic warmup": (
        "base_model: x\nlearning_rate: 2e-4\nmicro_batch_size: 2\ngradient_accumulation_steps: 4\n"
        "num_epochs: 3\nlr_scheduler: cosine\nlr_quadratic_warmup: true\nwarmup_ratio: 0.05\n",
        "axolotl", {"dataset_size": 1000}),
    "axolotl: min_lr ratio, default warmup": (
        "base_model: x\nlearning_rate: 1e-4\nmicro_batch_size: 4\nnum_epochs: 2\ncosine_min_lr_ratio: 0.1\n",
        "axolotl", {"dataset_size": 4000, "devices": 2}),
    "axolotl: constant ratio": (
        "base_model: x\nlearning_rate: 1e-4\nmax_steps: 300\nwarmup_steps: 1\ncosine_min_lr_ratio: 0.2\n"
        "cosine_constant_lr_ratio: 0.7\n", "axolotl", {}),
    "axolotl: one_cycle": (
        "base_model: x\nlearning_rate: 3e-4\nlr_scheduler: one_cycle\nmax_steps: 400\nwarmup_steps: 60\n",
        "axolotl", {}),
    "axolotl: linear": (
        "base_model: x\nlearning_rate: 5e-5\nlr_scheduler: linear\nnum_epochs: 1\nmicro_batch_size: 8\n",
        "axolotl", {"dataset_size": 800}),
    "llamafactory: cosine, warmup ratio": (
        "model_name_or_path: x\nstage: sft\nfinetuning_type: lora\nlearning_rate: 1.0e-4\nnum_train_epochs: 3.0\n"
        "per_device_train_batch_size: 2\ngradient_accumulation_steps: 8\nlr_scheduler_type: cosine\n"
        "warmup_ratio: 0.1\n", "llamafactory", {"dataset_size": 1000}),
    "lightning: cosine per epoch": (
        "trainer:\n  max_epochs: 20\noptimizer:\n  class_path: torch.optim.SGD\n  init_args:\n    lr: 1e-1\n"
        "    momentum: 0.9\nlr_scheduler:\n  class_path: torch.optim.lr_scheduler.CosineAnnealingLR\n"
        "  init_args:\n    T_max: 20\n    eta_min: 1e-4\n", "lightning_cli", {"steps_per_epoch": 13}),
    "lightning: multistep from dataset size": (
        "trainer: {max_epochs: 9, accumulate_grad_batches: 2}\noptimizer: {class_path: torch.optim.AdamW, "
        "init_args: {lr: 0.002}}\nlr_scheduler: {class_path: torch.optim.lr_scheduler.MultiStepLR, "
        "init_args: {milestones: [3, 6], gamma: 0.5}}\n", "lightning_cli", {"dataset_size": 1000, "batch_size": 32}),
    "nanogpt: decay_lr False": ("learning_rate = 3e-4\nmax_iters = 99\ndecay_lr = False\n", "nanogpt", {}),
})
for _iters, _decay, _warm in [(5000, 5000, 100), (3000, 2500, 200), (400, 400, 0)]:
    CONFIGS[f"nanogpt: max_iters {_iters}, lr_decay_iters {_decay}, warmup {_warm}"] = (
        f"out_dir = 'out-shakespeare-char'\nlearning_rate = 1e-3\nmax_iters = {_iters}\n"
        f"lr_decay_iters = {_decay}\nmin_lr = 1e-4\nwarmup_iters = {_warm}\nbeta2 = 0.99\n", "nanogpt", {})

#: The configs the export refuses, and the field it names. nanoGPT's get_lr reaches min_lr at
#: lr_decay_iters (the last iteration when it equals max_iters) and timm's default warmup is overlaid
#: (warmup_prefix False): both import as extensions that only the json / yaml exports write.
REFUSED: dict[str, str] = {
    "hf: warmup longer than the run, cosine_warmup_with_min_lr": "main_steps",
    "hf: warmup longer than the run, wsd": "main_steps",
    "hf: cosine_warmup_with_min_lr shifted": "main_steps",
    "hf: cosine_warmup_with_min_lr warmup rate": "main_steps",
    "hf: cosine_warmup_with_min_lr one warmup step": "main_steps",
    "hf: wsd explicit stable, 1-sqrt, cosine warmup": "main_steps",
    "timm: cosine prefixed warmup + cooldown": "main_steps",
    "timm: cosine per update": "steps_per_epoch",
    "timm: poly power = decay_rate": "main_steps",
    "axolotl: quadratic warmup": "warmup.shape",
    "axolotl: constant ratio": "main_steps",
    "axolotl: one_cycle": "schedule.type",
}
HF_TARGETS = ("hf_args", "llamafactory", "axolotl")


def imported_spec(name: str) -> schedules.Spec:
    text, _, kwargs = CONFIGS[name]
    kwargs = dict(kwargs)
    fmt = kwargs.pop("fmt", None)
    return import_config(text, fmt, **kwargs).spec


def exported_or_refusal(spec: schedules.Spec, target: str) -> tuple[str | None, SpecError | None]:
    try:
        return export(spec, target), None
    except SpecError as exc:
        return None, exc


def refusal_is_explained(spec: schedules.Spec, target: str, field: str) -> bool:
    """True when the spec itself shows why the trainer's config file cannot hold it."""
    if field in spec.extensions:
        return True
    if field == "warmup.shape":
        return spec.warmup.steps > 0 and spec.warmup.shape != "linear"
    if field == "schedule.type":
        return target in HF_TARGETS and spec.schedule.type not in HF_KINDS
    if field == "schedule.period":  # HF's restarts are a count of equal cycles
        return target in HF_TARGETS and spec.schedule.type == "cosine_restarts"
    if field == "steps_per_epoch":  # timm's arguments count epochs
        return target == "timm_args" and spec.steps_per_epoch is None
    return False


def run_export(spec: schedules.Spec, target: str, tmp: Path) -> float:
    """Run the target's trainer on the export and compare every update with ``curve(spec)``."""
    if target in HF_TARGETS:
        return run_hf_export(spec, target, tmp)
    if target == "timm_args":
        return run_timm_export(spec)
    if target == "lightning_cli":
        return run_lightning_export(spec, tmp)
    assert target == "nanogpt"
    return run_nanogpt_export(spec)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_config_round_trips_through_its_trainer_or_is_refused_by_field(name: str, tmp_path: Path,
                                                                      record_property) -> None:
    target = CONFIGS[name][1]
    spec = imported_spec(name)
    text, refusal = exported_or_refusal(spec, target)
    if name in REFUSED:
        assert refusal is not None, f"{name}: the {target} export now writes this spec; move it to the round trips"
        assert refusal.field == REFUSED[name] and str(refusal).startswith(f"{refusal.field}: "), str(refusal)
        assert "\n" not in str(refusal)
        assert refusal_is_explained(spec, target, refusal.field), (spec.to_dict(), str(refusal))
        # The spec itself is not lost: the data exports carry it exactly.
        assert import_config(export(spec, "json")).spec == spec
        return
    assert refusal is None, f"{name}: {refusal}"
    assert import_config(text).spec == spec
    record_property("max_rel_lr", run_export(spec, target, tmp_path))


def test_enough_configs_of_every_trainer_complete_the_round_trip() -> None:
    done = [n for n in CONFIGS if n not in REFUSED]
    assert set(REFUSED) <= set(CONFIGS)
    assert len(done) >= 6

    def count(prefix: str) -> int:
        return sum(n.startswith(prefix) for n in done)

    assert count("hf: ") >= 4 and count("axolotl: ") >= 2 and count("timm: ") >= 2
    assert count("lightning: ") >= 1 and count("nanogpt: ") >= 1 and count("llamafactory: ") >= 1
    assert "hf: cosine_with_min_lr rate" in done and "hf: cosine_with_min_lr absolute" in done
    # warmup as a ratio of the run: HF's warmup_steps < 1 and LLaMA-Factory's warmup_ratio
    assert FIXED["ratio rounds up"][0]["warmup_steps"] < 1 and "hf: ratio rounds up" in done
    assert "llamafactory: cosine, warmup ratio" in done
