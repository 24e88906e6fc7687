"""The ``# spec v1:`` comment line: written on one line, read back to the identical spec."""

from __future__ import annotations

from schedules.export.spec_line import PREFIX, find_spec_line, spec_line
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
