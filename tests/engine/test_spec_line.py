"""The ``# spec v1:`` comment line: written on one line, read back to the identical spec."""

from __future__ import annotations

from schedules.errors import SpecError
from schedules.export import TARGETS, export
from schedules.export.spec_line import NOQA, PREFIX, code_spec_line, find_spec_line, spec_line
from schedules.presets import load_preset, preset_names
from schedules.spec import loads_spec


def test_every_preset_round_trips_through_its_line() -> None:
    for name in preset_names():
        spec = load_preset(name)
        line = spec_line(spec)
        assert "\n" not in line and line.startswith(PREFIX)
        assert loads_spec(find_spec_line("x = 1\n    " + line + "\nmore\n")) == spec


def test_hostile_name_stays_on_one_ascii_line() -> None:
    spec = load_preset("bert").replace(name='a\u2028b\x85c"# spec v1: {}\u00e9')
    line = spec_line(spec)
    assert line.isascii() and len(line.splitlines()) == 1
    assert loads_spec(find_spec_line(line)) == spec


def test_text_without_a_line_gives_none() -> None:
    assert find_spec_line("import torch\n# spec v2: {}\n") is None


def test_every_export_carries_its_spec() -> None:
    """Every preset x every target: the text names its spec on one line (JSON: the text is the spec)."""
    exported = refused = 0
    for name in preset_names():
        spec = load_preset(name)
        for target in TARGETS:
            try:
                text = export(spec, target)
            except SpecError:
                refused += 1
                continue
            exported += 1
            if target == "json":
                assert loads_spec(text) == spec
                continue
            line = find_spec_line(text)
            assert line is not None, (name, target)
            assert loads_spec(line) == spec, (name, target)
            assert sum(ln.lstrip().startswith(PREFIX) for ln in text.splitlines()) == 1, (name, target)
    assert exported >= len(preset_names()) * 7 and exported + refused == len(preset_names()) * len(TARGETS)


def test_trailing_pragma_is_not_part_of_the_spec() -> None:
    spec = load_preset("sgdr").replace(name="x  # noqa: E501}")
    line = code_spec_line(spec)
    assert line.endswith(NOQA)
    assert loads_spec(find_spec_line("    " + line + "\n")) == spec
