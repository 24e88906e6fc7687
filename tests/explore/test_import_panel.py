"""The import panel in a real Streamlit script run (AppTest), and its pure reader."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import schedules
from schedules.export import export
from tests.support.apptest_charts import figure
from ui.explore.import_panel import read_source

HF_CONFIG = json.dumps({"learning_rate": 2e-5, "lr_scheduler_type": "cosine", "warmup_steps": 0.1,
                        "num_train_epochs": 2, "per_device_train_batch_size": 8})
TRAINER_STATE = json.dumps({"max_steps": 250, "global_step": 250, "log_history": [
    {"step": 10, "learning_rate": 1.6e-05, "loss": 1.0}, {"step": 20, "learning_rate": 1.9e-05, "loss": 0.9},
    {"step": 30, "learning_rate": 2e-05, "loss": 0.8}]})


def _app() -> None:
    import streamlit as st

    from ui.explore.import_panel import render_import_panel

    spec = render_import_panel(key="imp")
    if spec is not None:
        st.session_state["imported"] = spec.to_json()


def paste(text: str, **budget: int) -> AppTest:
    """Paste ``text``, then fill in the run's numbers the panel asks for beside it."""
    at = AppTest.from_function(_app, default_timeout=60).run()
    assert not at.number_input  # no run's numbers asked for before there is a config
    at.text_area(key="imp-text").input(text).run()
    if budget:
        for name, value in budget.items():
            at.number_input(key=f"imp-{name}").set_value(value)
        at.run()
    return at


@pytest.mark.parametrize("name", schedules.preset_names())
@pytest.mark.parametrize("target", ["json", "yaml"])
def test_paste_each_preset_export_loads_identically(name: str, target: str) -> None:
    spec = schedules.load_preset(name)
    at = paste(export(spec, target))
    assert not at.exception and not at.error
    assert "spec v1" in at.markdown[0].value
    at.button(key="imp-load").click().run()
    assert schedules.load_spec(at.session_state["imported"]) == spec


def test_hf_config_asks_for_the_dataset_then_shows_the_curve() -> None:
    at = paste(HF_CONFIG)
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")
    assert message.startswith("total_steps:") and "dataset_size" in message
    at.number_input(key="imp-dataset_size").set_value(1000).run()
    assert not at.exception and not at.error
    assert "Hugging Face TrainingArguments" in at.markdown[0].value
    lines = at.markdown[1].value.replace("\\", "")
    assert "total_steps = ceil(2 × 125) = 250" in lines and "warmup_steps = ceil(0.1 × 250) = 25" in lines
    at.button(key="imp-load").click().run()
    spec = schedules.load_spec(at.session_state["imported"])
    assert spec.total_steps == 250 and spec.warmup.steps == 25 and spec.schedule.type == "cosine"


def test_trainer_state_adds_points_and_prefills_total() -> None:
    at = paste(HF_CONFIG, dataset_size=1000)
    at.text_area(key="imp-text").input(TRAINER_STATE).run()
    assert not at.exception and not at.error
    assert "3 logged learning rates" in at.info[0].value
    # No transformers version is known: placed as versions before 4.51 logged them (at step k).
    assert at.session_state["imp-logged"] == [(10, 1.6e-05), (20, 1.9e-05), (30, 2e-05)]
    assert any("version not given" in md.value for md in at.markdown)
    assert at.number_input(key="imp-total_steps").value == 250
    chart = figure(at, "imp-chart")
    assert any(trace.get("mode") == "markers" for trace in chart["data"])


BROKEN = {
    "truncated json": ('{"total_steps": 100, "lr": 0.1, "schedule": {"type": "cos', "config: is not valid JSON"),
    "wrong spec type": ('{"total_steps": "many", "lr": 0.1, "schedule": {"type": "cosine"}}', "total_steps:"),
    "unknown spec key": ('{"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine"}, "schedul": 1}', "schedul:"),
    "yaml python tag": ("!!python/object/apply:os.system ['echo hi']\n", "config: is not valid YAML"),
    "yaml alias": ("a: &x 1\nb: *x\nlearning_rate: 1\n", "config: must not use YAML aliases"),
    "python lambda": ("import torch\nopt = torch.optim.SGD(p, lr=0.1)\n"
                      "s = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e)\n", "config: has a lambda"),
    "plateau": ('{"lr_scheduler_type": "reduce_lr_on_plateau", "max_steps": 10}', "lr_scheduler_type:"),
    "huge": ("x" * 10_000_000, "config: must be at most 8 MB"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_paste_gives_one_line_error(case: str) -> None:
    text, start = BROKEN[case]
    at = paste(text)
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")  # the panel escapes markdown
    assert message.startswith(start) and "\n" not in message, message
    assert "imported" not in at.session_state


def test_nothing_pasted_shows_the_help() -> None:
    at = AppTest.from_function(_app, default_timeout=60).run()
    assert not at.exception and not at.error
    assert "Nothing you paste is ever executed" in at.caption[0].value


def test_extended_spec_loads_like_any_other() -> None:
    at = paste("learning_rate = 1e-3\nmax_iters = 5000\nlr_decay_iters = 4000\nmin_lr = 1e-4\nwarmup_iters = 100\n")
    assert not at.exception and not at.error
    at.button(key="imp-load").click().run()
    loaded = schedules.loads_spec(at.session_state["imported"])
    assert loaded.extensions == ("main_steps",) and loaded.main_length is not None


# AppTest has no file_uploader element, so uploads are tested through the reader the panel calls.


@pytest.mark.parametrize(("data", "field"), [
    (b"\x80\x04\x95pickle", "config"), (b"\xff\xfe\x00binary\x00", "config"),
    (b'{"total_steps": 10, "lr": NaN, "schedule": {"type": "cosine"}}', "lr"),
])
def test_reader_refuses_binary_and_bad_files_with_the_field(data: bytes, field: str) -> None:
    outcome = read_source(data, None, {})
    assert outcome.error is not None and outcome.error.field == field and "\n" not in str(outcome.error)


def test_reader_reads_uploaded_bytes() -> None:
    spec = schedules.load_preset("bert")
    outcome = read_source(export(spec, "yaml").encode(), None, {})
    assert outcome.imported is not None and outcome.imported.spec == spec
