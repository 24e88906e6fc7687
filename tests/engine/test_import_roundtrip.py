"""Round trips: every preset exported to every target comes back as the identical spec through
``import_config`` (a snippet's ``# spec v1:`` line, or the JSON/YAML itself), and specs that use the spec v1
extensions survive JSON/YAML: a quadratic warmup exports everywhere (the export tests run it), an overlaid
warmup or an explicit main_steps is refused by name by every code export instead of approximated."""

from __future__ import annotations

import importlib

import pytest

import schedules
from schedules import SpecError
from schedules.export import TARGETS, export
from schedules.imports import import_config


def exported(spec: schedules.Spec, target: str) -> str | None:
    try:
        return export(spec, target)
    except SpecError:
        return None


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("name", schedules.preset_names())
def test_every_preset_and_target_round_trips(name: str, target: str) -> None:
    spec = schedules.load_preset(name)
    text = exported(spec, target)
    if text is None:
        return
    imported = import_config(text)
    assert imported.format == "spec"
    assert imported.spec == spec


EXTENDED = {
    "overlaid warmup": {"total_steps": 900, "lr": 0.1, "warmup": {"steps": 45, "start_lr": 1e-5, "overlay": True},
                        "schedule": {"type": "cosine", "min_lr": 1e-5}, "steps_per_epoch": 9, "interval": "epoch"},
    "main_steps": {"total_steps": 5001, "lr": 1e-3, "warmup": {"steps": 100, "start_lr": 1e-3 / 101},
                   "schedule": {"type": "cosine", "min_lr": 1e-4}, "main_steps": 4900},
}


@pytest.mark.parametrize("name", EXTENDED)
def test_extended_specs_round_trip_as_data_and_are_refused_as_code(name: str) -> None:
    """The data exports carry the later fields; a code export writes those it lists (EXTENSIONS) and refuses
    the others by name; a trainer config whose trainer has the field (timm's warmup_prefix, nanoGPT's
    lr_decay_iters) writes it or refuses another field."""
    spec = schedules.load_spec(EXTENDED[name])
    assert schedules.load_spec(spec.to_dict()) == spec
    for target, module in TARGETS.items():
        if target in ("json", "yaml"):
            assert import_config(export(spec, target)).spec == spec
            continue
        try:
            text = export(spec, target)
        except SpecError as exc:
            assert module.endswith("_config") or exc.field in ("warmup.overlay", "main_steps"), (target, str(exc))
            continue
        written = getattr(importlib.import_module(f"schedules.export.{module}"), "EXTENSIONS", ())
        assert module.endswith("_config") or set(spec.extensions) <= set(written), target
        assert import_config(text).spec == spec


QUADRATIC = {"total_steps": 1000, "lr": 2e-4, "warmup": {"steps": 30, "shape": "quadratic"},
             "schedule": {"type": "cosine"}}


@pytest.mark.parametrize("target", [t for t, module in TARGETS.items() if module.endswith("_code")])
def test_quadratic_warmup_exports_to_every_code_target(target: str) -> None:
    assert "** 2" in export(schedules.load_spec(QUADRATIC), target)


@pytest.mark.parametrize("target", [t for t, module in TARGETS.items() if module.endswith("_config")])
def test_trainer_configs_refuse_what_they_cannot_run_by_field(target: str) -> None:
    with pytest.raises(SpecError) as info:
        export(schedules.load_spec(QUADRATIC), target)
    assert info.value.field in ("warmup.shape", "steps_per_epoch", "interval")


def test_older_specs_write_no_new_keys() -> None:
    for name in schedules.preset_names():
        data = schedules.load_preset(name).to_dict()
        assert "main_steps" not in data and "overlay" not in data["warmup"]
