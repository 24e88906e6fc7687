"""The timm ``args.yaml`` export, run by timm's own scheduler factory: the YAML is read with
``yaml.safe_load`` as train.py reads ``--config``, ``create_scheduler_v2`` builds the scheduler from
``scheduler_kwargs(args)``, and it is stepped as train.py steps it (``step_update`` after every update,
``step(epoch + 1)`` after every epoch) for the number of epochs the factory returns; every update is
compared with ``schedules.curve``."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import schedules
from schedules import SpecError
from schedules.export import export
from schedules.export.spec_line import find_spec_line
from tests.engine.test_export_timm import RTOL, timm_scheduler  # noqa: F401  (the fixture loads timm.scheduler)
from tests.support.parity_helpers import assert_rel
from tests.support.trainer_runs import timm_train_lrs
from tests.support.trainer_specs import specs, unknown_kind, unknown_shape

CASES = {
    "constant_warm": {"total_steps": 60, "lr": 0.1, "steps_per_epoch": 6, "warmup": {"steps": 12, "start_lr": 0.01},
                      "schedule": {"type": "constant"}},
    "cosine_epoch": {"total_steps": 100, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
                     "warmup": {"steps": 20, "start_lr": 0.01}, "schedule": {"type": "cosine", "min_lr": 1e-3}},
    "cosine_step": {"total_steps": 120, "lr": 0.2, "steps_per_epoch": 8, "warmup": {"steps": 16},
                    "schedule": {"type": "cosine"}},
    "linear": {"total_steps": 90, "lr": 0.1, "steps_per_epoch": 9, "schedule": {"type": "linear", "end_lr": 0.01}},
    "poly_epoch": {"total_steps": 80, "lr": 0.1, "steps_per_epoch": 4, "interval": "epoch", "warmup": {"steps": 8},
                   "schedule": {"type": "polynomial", "power": 2.0, "end_lr": 1e-4}},
    "step": {"total_steps": 96, "lr": 0.1, "steps_per_epoch": 8, "warmup": {"steps": 8, "start_lr": 0.001},
             "schedule": {"type": "step", "step_size": 24, "gamma": 0.5}},
    "multistep_epoch": {"total_steps": 100, "lr": 0.1, "steps_per_epoch": 5, "interval": "epoch",
                        "warmup": {"steps": 10}, "schedule": {"type": "multistep", "milestones": [20, 45, 70]}},
    "multistep_step": {"total_steps": 100, "lr": 0.1, "steps_per_epoch": 5,
                       "schedule": {"type": "multistep", "milestones": [19, 44, 69], "gamma": 0.3}},
    "restarts": {"total_steps": 150, "lr": 0.1, "steps_per_epoch": 5, "warmup": {"steps": 10},
                 "schedule": {"type": "cosine_restarts", "period": 20, "period_mult": 2, "peak_decay": 0.5,
                              "min_lr": 1e-3}},
    "restarts_flat": {"total_steps": 90, "lr": 0.1, "steps_per_epoch": 3, "interval": "epoch",
                      "schedule": {"type": "cosine_restarts", "period": 30}},
}
REFUSED = {
    "no_epochs": ({"total_steps": 50, "lr": 0.1, "schedule": {"type": "cosine"}}, "steps_per_epoch"),
    "ragged_total": ({"total_steps": 55, "lr": 0.1, "steps_per_epoch": 10, "schedule": {"type": "cosine"}},
                     "total_steps"),
    "ragged_warmup": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 10, "warmup": {"steps": 5},
                       "schedule": {"type": "cosine"}}, "warmup.steps"),
    "milestone": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 10,
                   "schedule": {"type": "multistep", "milestones": [20]}}, "schedule.milestones"),
    "cyclic": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 10, "schedule": {"type": "cyclic"}},
               "schedule.type"),
    "warm_shape": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 10,
                    "warmup": {"steps": 10, "shape": "cosine"}, "schedule": {"type": "cosine"}}, "warmup.shape"),
    "groups": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 10, "schedule": {"type": "cosine"},
                "param_groups": [{"name": "a", "lr_scale": 0.5}]}, "param_groups"),
    "restart_mid": ({"total_steps": 50, "lr": 0.1, "steps_per_epoch": 10,
                     "schedule": {"type": "cosine_restarts", "period": 20}}, "total_steps"),
}
SPECS = specs(CASES)


def check(spec: schedules.Spec) -> float:
    text = export(spec, "timm_args")
    assert schedules.loads_spec(find_spec_line(text)) == spec
    fields = yaml.safe_load(text)
    lrs, epochs = timm_train_lrs(timm_scheduler_module(), fields, spec.steps_per_epoch)
    assert epochs * spec.steps_per_epoch == spec.total_steps
    return assert_rel(lrs, schedules.curve(spec), RTOL, spec.lr)


def timm_scheduler_module():
    import sys

    return sys.modules["timm.scheduler"]


@pytest.mark.parametrize("name", list(SPECS))
def test_timm_runs_the_export(name: str) -> None:
    spec = SPECS[name]
    try:
        export(spec, "timm_args")
    except SpecError as exc:
        assert name.startswith("preset:"), exc
        return
    check(spec)


def test_presets_timm_runs() -> None:
    ok = [n for n, s in SPECS.items() if n.startswith("preset:") and _exports(s)]
    assert ok == ["preset:resnet50_step", "preset:sgdr"]


def _exports(spec: schedules.Spec) -> bool:
    try:
        export(spec, "timm_args")
        return True
    except SpecError:
        return False


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_naming_the_field(name: str) -> None:
    data, field = REFUSED[name]
    with pytest.raises(SpecError) as err:
        export(schedules.load_spec(data), "timm_args")
    assert err.value.field == field and "timm code export" in str(err.value)


def test_unknown_shapes_and_kinds_are_refused() -> None:
    base = SPECS["cosine_step"]
    for spec, field in ((unknown_shape(base), "warmup.shape"), (unknown_kind(base), "schedule.type")):
        with pytest.raises(SpecError) as err:
            export(spec, "timm_args")
        assert err.value.field == field


@st.composite
def timm_specs(draw: st.DrawFn) -> dict:
    """Specs in whole epochs (most of them exportable)."""
    spe = draw(st.integers(1, 12))
    epochs = draw(st.integers(2, 30))
    warm = draw(st.integers(0, epochs - 1))
    kind = draw(st.sampled_from(("constant", "cosine", "linear", "polynomial", "step", "multistep",
                                 "cosine_restarts")))
    lr = draw(st.floats(1e-5, 1.0))
    main = (epochs - warm) * spe
    sched: dict = {"type": kind}
    if kind in ("cosine", "cosine_restarts"):
        sched["min_lr"] = draw(st.floats(0.0, lr))
    if kind in ("linear", "polynomial"):
        sched["end_lr"] = draw(st.floats(0.0, lr))
    if kind == "polynomial":
        sched["power"] = draw(st.floats(0.1, 5.0))
    if kind == "step":
        sched.update(step_size=spe * draw(st.integers(1, epochs)), gamma=draw(st.floats(0.05, 1.0)))
    if kind == "multistep":
        interval = draw(st.sampled_from(("step", "epoch")))
        picks = sorted(draw(st.lists(st.integers(1, max(1, epochs - warm - 1)), min_size=1, max_size=4,
                                     unique=True)))
        sched["milestones"] = [m * spe if interval == "epoch" else m * spe - 1 for m in picks]
        sched["milestones"] = [m for m in sched["milestones"] if m >= 1] or [main]
    if kind == "cosine_restarts":
        sched.update(period=main, peak_decay=draw(st.floats(0.1, 1.0)))
        if main % 2 == 0 and main % spe == 0 and (main // 2) % spe == 0 and draw(st.booleans()):
            sched["period"] = main // 2
    data = {"total_steps": epochs * spe, "lr": lr, "steps_per_epoch": spe,
            "interval": draw(st.sampled_from(("step", "epoch"))),
            "warmup": {"steps": warm * spe, "start_lr": draw(st.floats(0.0, lr))}, "schedule": sched}
    if kind == "multistep":
        data["interval"] = interval
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(timm_specs())
def test_generated_specs_run_or_are_refused(data: dict) -> None:
    try:
        spec = schedules.load_spec(data)
    except SpecError:
        assume(False)
        return
    try:
        export(spec, "timm_args")
    except SpecError as exc:
        assert exc.field in ("schedule.milestones", "schedule.step_size", "total_steps", "schedule.period"), exc
        return
    check(spec)
