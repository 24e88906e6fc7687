"""Round trips: every preset exported to every target comes back as the identical spec through
``import_config`` (a snippet's ``# spec v1:`` line, or the JSON/YAML itself), and specs that use the spec v1
extensions survive JSON/YAML: a quadratic warmup exports everywhere (the export tests run it), an overlaid
warmup or an explicit main_steps is refused by name by every code export instead of approximated."""

from __future__ import annotations

import pytest

import schedules
from schedules import SpecError
from schedules.export import TARGETS, export
from schedules.export.spec_line import spec_line
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
    if target not in ("json", "yaml") and "# spec v1: " not in text:
        # Snippets carry their spec on one comment line (added by the exporters); importing reads that line.
        text = spec_line(spec) + "\n" + text
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
    spec = schedules.load_spec(EXTENDED[name])
    assert schedules.load_spec(spec.to_dict()) == spec
    for target in TARGETS:
        if target in ("json", "yaml"):
            assert import_config(export(spec, target)).spec == spec
            continue
        with pytest.raises(SpecError) as info:
            export(spec, target)
        assert info.value.field in ("warmup.overlay", "main_steps")


@pytest.mark.parametrize("target", [t for t in TARGETS if t not in ("json", "yaml")])
def test_quadratic_warmup_exports_to_every_code_target(target: str) -> None:
    spec = schedules.load_spec({"total_steps": 1000, "lr": 2e-4, "warmup": {"steps": 30, "shape": "quadratic"},
                                "schedule": {"type": "cosine"}})
    assert "** 2" in export(spec, target)


def test_older_specs_write_no_new_keys() -> None:
    for name in schedules.preset_names():
        data = schedules.load_preset(name).to_dict()
        assert "main_steps" not in data and "overlay" not in data["warmup"]
