"""All trainer-config targets together: the files are safe data for hostile spec names, the Python ones
pass ruff, and the command line prints them or refuses in one line with exit status 2."""

from __future__ import annotations

import ast
import io

import pytest
import yaml

import schedules
from schedules.cli import main
from schedules.export import export
from schedules.export.spec_line import find_spec_line
from tests.engine.test_export_keras_optax import ruff
from tests.engine.test_export_serial import HOSTILE

#: target -> a spec it expresses
RUNNABLE = {
    "hf_args": {"total_steps": 100, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "cosine", "min_lr": 0.01}},
    "llamafactory": {"total_steps": 100, "lr": 0.1, "schedule": {"type": "wsd", "shape": "cosine", "decay_steps": 20}},
    "axolotl": {"total_steps": 100, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "inverse_sqrt"}},
    "timm_args": {"total_steps": 100, "lr": 0.1, "steps_per_epoch": 10, "warmup": {"steps": 20},
                  "schedule": {"type": "multistep", "milestones": [39, 59]}},
    "lightning_cli": {"total_steps": 100, "lr": 0.1, "steps_per_epoch": 10, "interval": "epoch",
                      "schedule": {"type": "step", "step_size": 30}},
    "nanogpt": {"total_steps": 100, "lr": 0.1, "warmup": {"steps": 9, "start_lr": 0.01},
                "schedule": {"type": "cosine"}},
}
YAML_TARGETS = ("llamafactory", "axolotl", "timm_args", "lightning_cli")


def read(target: str, text: str) -> dict:
    """The data a config holds: YAML, or ``key = literal`` lines (``TrainingArguments(...)``: its keywords)."""
    if target in YAML_TARGETS:
        return yaml.safe_load(text)
    tree = ast.parse(text)
    if target == "nanogpt":
        return {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)}
    call = next(n.value for n in tree.body if isinstance(n, ast.Assign))
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords}


@pytest.mark.parametrize("target", list(RUNNABLE))
def test_hostile_names_stay_in_comments(target: str) -> None:
    plain = schedules.load_spec(RUNNABLE[target])
    expected = read(target, export(plain, target))
    for name in HOSTILE:
        spec = plain.replace(name=name)
        text = export(spec, target)
        assert read(target, text) == expected, name
        assert schedules.loads_spec(find_spec_line(text)) == spec


def test_python_configs_pass_ruff() -> None:
    snippets = {}
    for target in ("hf_args", "nanogpt"):
        for i, name in enumerate(["", *HOSTILE]):
            snippets[f"{target}_{i}"] = export(schedules.load_spec({**RUNNABLE[target], "name": name}), target)
    snippets["hf_args_bert"] = export(schedules.load_preset("bert"), "hf_args")
    ruff(snippets)


def test_cli_prints_a_config_and_refuses_in_one_line(tmp_path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(schedules.load_preset("gpt_cosine").to_json())
    out, err = io.StringIO(), io.StringIO()
    assert main(["export", str(spec), "--to", "axolotl"], stdout=out, stderr=err) == 0
    assert yaml.safe_load(out.getvalue())["max_steps"] == 250000
    out, err = io.StringIO(), io.StringIO()
    assert main(["export", str(spec), "--to", "timm_args"], stdout=out, stderr=err) == 2
    assert out.getvalue() == "" and err.getvalue().startswith("error: steps_per_epoch: is required")
    assert err.getvalue().count("\n") == 1
