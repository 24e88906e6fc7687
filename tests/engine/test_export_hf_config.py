"""The HF Trainer config exports (``TrainingArguments(...)``, the LLaMA-Factory YAML and the axolotl YAML),
run by the real transformers Trainer: each export is loaded the way its trainer loads it (axolotl, not
installable here, through its config-to-TrainingArguments rules transcribed below), Trainer builds its own
optimizer and scheduler, and the scheduler is stepped once per update; every step is compared with
``schedules.curve``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from omegaconf import OmegaConf
from transformers import HfArgumentParser, Seq2SeqTrainingArguments, TrainingArguments

import schedules
from schedules import SpecError
from schedules.export import export
from schedules.export.spec_line import find_spec_line
from tests.support.parity_helpers import RTOL_CLOSED, assert_rel
from tests.support.trainer_runs import hf_trainer_lrs
from tests.support.trainer_specs import specs, trainer_spec_dicts, unknown_kind, unknown_shape

HF_KINDS = ("constant", "linear", "cosine", "polynomial", "inverse_sqrt", "wsd", "cosine_restarts")
CASES = {
    "constant": {"total_steps": 40, "lr": 0.1, "schedule": {"type": "constant"}},
    "constant_warm": {"total_steps": 40, "lr": 0.1, "warmup": {"steps": 7}, "schedule": {"type": "constant"}},
    "linear_end": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "linear",
                                                                                        "end_lr": 0.004}},
    "cosine": {"total_steps": 80, "lr": 0.2, "warmup": {"steps": 10}, "schedule": {"type": "cosine"}},
    "cosine_min": {"total_steps": 80, "lr": 0.2, "schedule": {"type": "cosine", "min_lr": 0.01}},
    "polynomial": {"total_steps": 70, "lr": 0.1, "warmup": {"steps": 5},
                   "schedule": {"type": "polynomial", "power": 2.5, "end_lr": 1e-3}},
    "inverse_sqrt": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 8}, "schedule": {"type": "inverse_sqrt"}},
    "inverse_sqrt_ts": {"total_steps": 60, "lr": 0.1, "schedule": {"type": "inverse_sqrt", "timescale": 13}},
    "wsd_sqrt": {"total_steps": 90, "lr": 0.1, "warmup": {"steps": 9}, "schedule": {"type": "wsd", "decay_steps": 20}},
    "wsd_linear_floor": {"total_steps": 90, "lr": 0.1, "warmup": {"steps": 9, "start_lr": 0.01},
                         "schedule": {"type": "wsd", "shape": "linear", "decay_fraction": 0.3, "min_lr": 0.01}},
    "wsd_cosine": {"total_steps": 90, "lr": 0.1, "schedule": {"type": "wsd", "shape": "cosine", "decay_steps": 31}},
    "restarts_cycles": {"total_steps": 97, "lr": 0.1, "warmup": {"steps": 4},
                        "schedule": {"type": "cosine_restarts", "cycles": 3.5}},
    "warmup_outlasts_run": {"total_steps": 40, "lr": 0.1, "warmup": {"steps": 64}, "schedule": {"type": "cosine"}},
}
#: (spec, the field the refusal must name)
REFUSED = {
    "epoch": ({"total_steps": 100, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
               "schedule": {"type": "cosine"}}, "interval"),
    "groups": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "cosine"},
                "param_groups": [{"name": "head", "lr_scale": 2.0}]}, "param_groups"),
    "exp_warmup": ({"total_steps": 50, "lr": 0.1, "warmup": {"steps": 5, "shape": "exponential", "start_lr": 0.001},
                    "schedule": {"type": "cosine"}}, "warmup.shape"),
    "warm_start": ({"total_steps": 50, "lr": 0.1, "warmup": {"steps": 5, "start_lr": 0.01},
                    "schedule": {"type": "cosine"}}, "warmup.start_lr"),
    "step": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "step", "step_size": 10}}, "schedule.type"),
    "momentum": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "one_cycle"},
                  "momentum": {"base": 0.85, "max": 0.95}}, "momentum"),
    "wsd_exp": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "wsd", "shape": "exponential"}}, "schedule.shape"),
    "restarts_period": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "cosine_restarts", "period": 10}},
                        "schedule.period"),
    "restarts_floor": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "cosine_restarts", "cycles": 2,
                                                                   "min_lr": 0.01}}, "schedule.min_lr"),
    "polynomial_warmup_is_run": ({"total_steps": 50, "lr": 0.1, "warmup": {"steps": 50},
                                  "schedule": {"type": "polynomial"}}, "warmup.steps"),
}
SPECS = specs(CASES)
TARGETS = ("hf_args", "llamafactory", "axolotl")


def load_hf_args(text: str, tmp: Path) -> TrainingArguments:
    """Run the exported ``TrainingArguments(...)`` code, as the user's script does."""
    namespace: dict = {}
    exec(compile(text.replace('output_dir="trainer_output"', f"output_dir={str(tmp)!r}"), "<export>", "exec"),
         namespace)
    return namespace["training_args"]


def load_llamafactory(text: str, tmp: Path) -> TrainingArguments:
    """LLaMA-Factory's loading path: ``OmegaConf.load`` -> ``to_container`` -> ``HfArgumentParser.parse_dict``
    over its ``Seq2SeqTrainingArguments`` subclass (llamafactory/hparams/parser.py ``read_args``,
    ``_parse_args``)."""
    path = tmp / "train.yaml"
    path.write_text(text, encoding="utf-8")
    data = OmegaConf.to_container(OmegaConf.load(path))
    data["output_dir"] = str(tmp)
    (args,) = HfArgumentParser(Seq2SeqTrainingArguments).parse_dict(data, allow_extra_keys=False)
    return args


def axolotl_training_args(cfg: dict, total_num_steps: int, tmp: Path) -> TrainingArguments:
    """axolotl's config -> TrainingArguments rules for the schedule keys, transcribed from
    axolotl-ai-cloud/axolotl ``src/axolotl/core/builders/base.py`` (``_configure_warmup_and_logging``,
    ``_configure_scheduler``, ``_set_base_training_args``). Its trainer's ``create_scheduler``
    (``src/axolotl/core/trainers/mixins/scheduler.py``) only replaces transformers' scheduler for
    ``one_cycle`` / ``rex``, ``lr_quadratic_warmup`` or ``cosine`` with ``cosine_min_lr_ratio``: asserted off."""
    if cfg.get("warmup_steps") is not None:
        warmup_steps = cfg["warmup_steps"]
    elif cfg.get("warmup_ratio") is not None:
        warmup_steps = max(int(cfg["warmup_ratio"] * total_num_steps), 0)
    else:
        warmup_steps = min(int(0.03 * total_num_steps), 100)
    if warmup_steps == 1:
        warmup_steps = 2
    assert cfg.get("lr_scheduler") not in ("one_cycle", "rex")
    assert not cfg.get("lr_quadratic_warmup") and cfg.get("cosine_min_lr_ratio") is None
    return TrainingArguments(
        output_dir=str(tmp),
        learning_rate=cfg["learning_rate"],
        lr_scheduler_type=cfg.get("lr_scheduler") or "cosine",
        lr_scheduler_kwargs=cfg.get("lr_scheduler_kwargs") or {},
        warmup_steps=warmup_steps,
        max_steps=cfg.get("max_steps") or total_num_steps or -1,
    )


def load_axolotl(text: str, tmp: Path) -> TrainingArguments:
    """axolotl reads its config with ``yaml.safe_load``; the dataset-derived total is deliberately wrong
    here, so only the exported ``max_steps`` can make the curve match."""
    import yaml

    return axolotl_training_args(yaml.safe_load(text), total_num_steps=10**6, tmp=tmp)


LOADERS = {"hf_args": load_hf_args, "llamafactory": load_llamafactory, "axolotl": load_axolotl}


def check(spec: schedules.Spec, target: str, tmp: Path) -> float:
    text = export(spec, target)
    assert schedules.loads_spec(find_spec_line(text)) == spec
    args = LOADERS[target](text, tmp)
    assert args.max_steps == spec.total_steps
    lrs, total = hf_trainer_lrs(args)
    assert total == spec.total_steps
    return assert_rel(lrs, schedules.curve(spec), RTOL_CLOSED, spec.lr)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", list(SPECS))
def test_trainer_runs_the_export(name: str, target: str, tmp_path: Path) -> None:
    spec = SPECS[name]
    try:
        export(spec, target)
    except SpecError as exc:
        # Presets Trainer cannot run are refused naming the field; the cases above are all runnable.
        assert name.startswith("preset:") and exc.field in ("schedule.type", "schedule.shape", "schedule.period",
                                                            "interval", "momentum"), exc
        return
    check(spec, target, tmp_path)


def test_presets_trainer_runs() -> None:
    """The presets Trainer can run natively (the rest are refused above)."""
    ok = []
    for name, spec in SPECS.items():
        if name.startswith("preset:"):
            try:
                export(spec, "hf_args")
                ok.append(name)
            except SpecError:
                pass
    assert ok == ["preset:bert", "preset:gpt_cosine", "preset:noam"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_naming_the_field(name: str, target: str) -> None:
    data, field = REFUSED[name]
    with pytest.raises(SpecError) as err:
        export(schedules.load_spec(data), target)
    assert err.value.field == field
    assert "code export" in str(err.value) and "\n" not in str(err.value)


def test_axolotl_refuses_a_one_step_warmup() -> None:
    spec = schedules.load_spec({"total_steps": 20, "lr": 0.1, "warmup": {"steps": 1}, "schedule": {"type": "cosine"}})
    with pytest.raises(SpecError) as err:
        export(spec, "axolotl")
    assert err.value.field == "warmup.steps"
    export(spec, "hf_args")  # Trainer itself takes one warmup step as given


@pytest.mark.parametrize("target", TARGETS)
def test_unknown_shapes_and_kinds_are_refused(target: str) -> None:
    base = SPECS["cosine"]
    for spec, field in ((unknown_shape(base), "warmup.shape"), (unknown_kind(base), "schedule.type")):
        with pytest.raises(SpecError) as err:
            export(spec, target)
        assert err.value.field == field


def test_yaml_floats_are_floats_for_pyyaml_too() -> None:
    """PyYAML (YAML 1.1) reads ``2e-05`` as a string; the export writes ``2.0e-05``."""
    import yaml

    data = yaml.safe_load(export(schedules.load_preset("bert"), "llamafactory"))
    assert isinstance(data["learning_rate"], float) and data["learning_rate"] == 2e-5


@settings(max_examples=160, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=trainer_spec_dicts(HF_KINDS, start_at_floor=True))
def test_generated_specs_run_or_are_refused(data: dict, tmp_path: Path) -> None:
    try:
        spec = schedules.load_spec(data)
    except SpecError:
        assume(False)
        return
    for target in TARGETS:
        try:
            export(spec, target)
        except SpecError as exc:
            assert exc.field.split(".")[0] in ("interval", "param_groups", "momentum", "warmup", "schedule"), exc
            continue
        check(spec, target, tmp_path)


def test_axolotl_yaml_keys() -> None:
    text = export(schedules.load_preset("gpt_cosine"), "axolotl")
    import yaml

    assert yaml.safe_load(text) == {"learning_rate": 3e-4, "lr_scheduler": "cosine_with_min_lr", "warmup_steps": 2000,
                                    "max_steps": 250000, "lr_quadratic_warmup": False,
                                    "lr_scheduler_kwargs": {"min_lr_rate": 0.1}}


def test_max_steps_comment_states_epochs() -> None:
    text = export(schedules.load_preset("bert"), "hf_args")
    assert "max_steps = 10000 optimizer updates (4 epochs of 2500 updates)" in text
    assert math.isclose(float(text.split("learning_rate=")[1].split(",")[0]), 2e-5)
    assert np.isfinite(2e-5)
