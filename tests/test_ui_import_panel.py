"""The import panel in a real Streamlit script run (AppTest), and its pure parser for file uploads."""

from __future__ import annotations

import json

import pytest
import yaml
from streamlit.testing.v1 import AppTest

import schedules
from schedules import SpecError
from schedules.export import export
from ui.import_panel import MAX_BYTES, parse_spec_upload


def _app() -> None:
    import streamlit as st

    from ui.import_panel import render_import_panel

    spec = render_import_panel(key="imp")
    if spec is not None:
        st.session_state["imported"] = spec.to_json()


def paste(text: str) -> AppTest:
    at = AppTest.from_function(_app, default_timeout=60).run()
    at.text_area(key="imp-text").input(text).run()
    at.button(key="imp-import").click().run()
    return at


@pytest.mark.parametrize("name", schedules.preset_names())
@pytest.mark.parametrize("target", ["json", "yaml"])
def test_paste_each_preset_export(name: str, target: str) -> None:
    spec = schedules.load_preset(name)
    at = paste(export(spec, target))
    assert not at.exception and not at.error
    assert schedules.load_spec(at.session_state["imported"]) == spec


BROKEN = {
    "truncated json": ('{"total_steps": 100, "lr": 0.1, "schedule": {"type": "cos', "spec: is not valid JSON"),
    "wrong type": ('{"total_steps": "many", "lr": 0.1, "schedule": {"type": "cosine"}}', "total_steps:"),
    "unknown key": ('{"total_steps": 100, "lr": 0.1, "schedul": {}}', "schedul:"),
    "yaml wrong type": ("total_steps: 100\nlr: [1]\nschedule: {type: cosine}\n", "lr:"),
    "yaml unknown nested": ("total_steps: 100\nlr: 0.1\nschedule: {type: cosine, gamma: 2}\n", "schedule.gamma:"),
    "yaml python tag": ("!!python/object/apply:os.system ['echo hi']\n", "spec: is not valid YAML"),
    "not a mapping": ("- 1\n- 2\n", "spec: must be a mapping"),
    "huge": ("x" * 10_000_000, "spec: must be at most 64 KB"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_paste_gives_one_line_error(case: str) -> None:
    text, start = BROKEN[case]
    at = paste(text)
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith(start) and "\n" not in message
    assert "imported" not in at.session_state


def test_import_without_input_says_so() -> None:
    at = AppTest.from_function(_app, default_timeout=60).run()
    at.button(key="imp-import").click().run()
    assert [e.value for e in at.error] == ["spec: nothing to import (upload a file or paste a spec)"]


def test_nothing_returned_before_the_button() -> None:
    at = AppTest.from_function(_app, default_timeout=60).run()
    at.text_area(key="imp-text").input(export(schedules.load_preset("bert"), "json")).run()
    assert not at.exception and "imported" not in at.session_state


# AppTest has no file_uploader element, so uploads are tested through the parser the panel calls.


@pytest.mark.parametrize("name", schedules.preset_names())
def test_upload_parser_reads_json_and_yaml_files(name: str) -> None:
    spec = schedules.load_preset(name)
    assert parse_spec_upload(export(spec, "json").encode(), "s.json") == spec
    assert parse_spec_upload(export(spec, "yaml").encode(), "s.yaml") == spec
    assert parse_spec_upload(export(spec, "yaml").encode(), "S.YML") == spec


@pytest.mark.parametrize(
    ("data", "filename", "field"),
    [
        (b"\xff\xfe\x00binary\x00", "x.json", "spec"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "x.yaml", "spec"),
        (b"{" + b" " * MAX_BYTES + b"}", "x.json", "spec"),
        (b'{"total_steps": 10, "lr": NaN, "schedule": {"type": "cosine"}}', "x.json", "lr"),
        (b'{"total_steps": 10, "lr": 0.1, "schedule": {"type": "cosine"}', "x.json", "spec"),
        (b"total_steps: 10\nlr: 0.1\nschedule: {type: cosine\n", "x.yaml", "spec"),
        (b"total_steps: 10\nlr: 1e-3\nschedule: {type: cosine}\n", "x.yml", "lr"),
        (b'{"total_steps": 10, "lr": 0.1, "schedule": {"type": "cosine"}, "extra": 1}', "x.json", "extra"),
        (b"", "x.json", "spec"),
    ],
)
def test_upload_parser_rejects_with_the_field(data: bytes, filename: str, field: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec_upload(data, filename)
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_yaml_is_data_only() -> None:
    """safe_load refuses Python tags, so nothing in a file is ever executed."""
    with pytest.raises(SpecError) as err:
        parse_spec_upload(b"!!python/object/apply:os.system ['touch /tmp/pwned']\n", "x.yaml")
    assert err.value.field == "spec"
    assert yaml.safe_load("a: 1") == {"a": 1}
    assert json.loads(export(schedules.load_preset("bert"), "json"))["name"].startswith("BERT")
