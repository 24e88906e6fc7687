"""The Lightning CLI YAML export, loaded by the real ``LightningCLI`` (``--config``): the CLI builds the
optimizer and the ``lr_scheduler`` class_path, ``configure_optimizers`` hands them to Lightning, and the
scheduler is stepped once per epoch as Lightning steps it; every update is compared with ``schedules.curve``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import schedules
from schedules import SpecError
from schedules.export import export
from schedules.export.spec_line import find_spec_line
from tests.support.parity_helpers import RTOL_RECURSIVE, assert_rel
from tests.support.trainer_runs import class_path_lrs, lightning_cli_lrs
from tests.support.trainer_specs import specs, unknown_kind, unknown_shape

CASES = {
    "constant": {"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                 "schedule": {"type": "constant"}},
    "linear": {"total_steps": 60, "lr": 0.1, "steps_per_epoch": 3, "interval": "epoch",
               "schedule": {"type": "linear", "end_lr": 0.01}},
    "cosine": {"total_steps": 100, "lr": 0.2, "steps_per_epoch": 5, "interval": "epoch",
               "schedule": {"type": "cosine", "min_lr": 0.002}},
    "polynomial": {"total_steps": 64, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                   "schedule": {"type": "polynomial", "power": 1.7}},
    "step": {"total_steps": 90, "lr": 0.1, "steps_per_epoch": 3, "interval": "epoch",
             "schedule": {"type": "step", "step_size": 21, "gamma": 0.5}},
    "multistep": {"total_steps": 90, "lr": 0.1, "steps_per_epoch": 3, "interval": "epoch",
                  "schedule": {"type": "multistep", "milestones": [30, 60, 63], "gamma": 0.2}},
    "restarts": {"total_steps": 140, "lr": 0.1, "steps_per_epoch": 2, "interval": "epoch",
                 "schedule": {"type": "cosine_restarts", "period": 10, "period_mult": 2, "min_lr": 1e-3}},
}
REFUSED = {
    "per_update": ({"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "schedule": {"type": "cosine"}}, "interval"),
    "warmup": ({"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch", "warmup": {"steps": 8},
                "schedule": {"type": "cosine"}}, "warmup.steps"),
    "ragged": ({"total_steps": 42, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                "schedule": {"type": "cosine"}}, "total_steps"),
    "poly_end": ({"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                  "schedule": {"type": "polynomial", "end_lr": 0.01}}, "schedule.end_lr"),
    "peak_decay": ({"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                    "schedule": {"type": "cosine_restarts", "period": 8, "peak_decay": 0.5}}, "schedule.peak_decay"),
    "cyclic": ({"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                "schedule": {"type": "cyclic", "step_size": 8}}, "schedule.type"),
    "groups": ({"total_steps": 40, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch",
                "schedule": {"type": "cosine"}, "param_groups": [{"name": "a"}]}, "param_groups"),
}
SPECS = specs(CASES)


def check(spec: schedules.Spec, tmp: Path) -> float:
    text = export(spec, "lightning_cli")
    assert schedules.loads_spec(find_spec_line(text)) == spec
    path = tmp / "config.yaml"
    path.write_text(text, encoding="utf-8")
    lrs, epochs = lightning_cli_lrs(str(path), str(tmp), spec.steps_per_epoch)
    assert epochs * spec.steps_per_epoch == spec.total_steps
    return assert_rel(lrs, schedules.curve(spec), RTOL_RECURSIVE, spec.lr)


@pytest.mark.parametrize("name", list(SPECS))
def test_lightning_cli_runs_the_export(name: str, tmp_path: Path) -> None:
    spec = SPECS[name]
    try:
        export(spec, "lightning_cli")
    except SpecError as exc:
        assert name.startswith("preset:") and exc.field in ("interval", "schedule.type", "momentum"), exc
        return
    check(spec, tmp_path)


def test_presets_lightning_cli_runs() -> None:
    def ok(spec: schedules.Spec) -> bool:
        try:
            export(spec, "lightning_cli")
            return True
        except SpecError:
            return False

    assert [n for n, s in SPECS.items() if n.startswith("preset:") and ok(s)] == ["preset:resnet50_step"]


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_naming_the_field(name: str) -> None:
    data, field = REFUSED[name]
    with pytest.raises(SpecError) as err:
        export(schedules.load_spec(data), "lightning_cli")
    assert err.value.field == field and "Lightning code export" in str(err.value)


def test_unknown_shapes_and_kinds_are_refused() -> None:
    base = SPECS["cosine"]
    for spec, field in ((unknown_shape(base), "warmup.shape"), (unknown_kind(base), "schedule.type")):
        with pytest.raises(SpecError) as err:
            export(spec, "lightning_cli")
        assert err.value.field in (field, "warmup.steps")


@st.composite
def cli_specs(draw: st.DrawFn) -> dict:
    spe = draw(st.integers(1, 6))
    epochs = draw(st.integers(2, 25))
    kind = draw(st.sampled_from(("constant", "linear", "cosine", "polynomial", "step", "multistep",
                                 "cosine_restarts")))
    lr = draw(st.floats(1e-5, 1.0))
    sched: dict = {"type": kind}
    if kind in ("cosine", "cosine_restarts"):
        sched["min_lr"] = draw(st.floats(0.0, lr))
    if kind == "linear":
        sched["end_lr"] = draw(st.floats(0.0, lr))
    if kind == "polynomial":
        sched["power"] = draw(st.floats(0.1, 5.0))
    if kind == "step":
        sched.update(step_size=spe * draw(st.integers(1, epochs)), gamma=draw(st.floats(0.05, 1.0)))
    if kind == "multistep":
        sched["milestones"] = [spe * m for m in sorted(draw(st.lists(st.integers(1, epochs), min_size=1,
                                                                        max_size=4, unique=True)))]
    if kind == "cosine_restarts":
        sched.update(period=spe * draw(st.integers(1, epochs)), period_mult=draw(st.integers(1, 3)))
    return {"total_steps": epochs * spe, "lr": lr, "steps_per_epoch": spe, "interval": "epoch", "schedule": sched}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=cli_specs())
def test_generated_specs_run(data: dict) -> None:
    """Generated specs: the class_path / init_args instantiated on a torch optimizer (starting LightningCLI
    150 times would cost minutes; the fixed cases above go through the CLI itself)."""
    try:
        spec = schedules.load_spec(data)
    except SpecError:
        assume(False)
        return
    text = export(spec, "lightning_cli")
    lrs = class_path_lrs(yaml.safe_load(text), spec.steps_per_epoch)
    assert_rel(lrs, schedules.curve(spec), RTOL_RECURSIVE, spec.lr)
