"""The command line: output formats, and one-line errors with exit status 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from schedules import curve, load_preset
from schedules.cli import main

ROOT = Path(__file__).resolve().parents[2]
BERT = str(ROOT / "schedules" / "presets" / "bert.json")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_curve_csv_and_json(tmp_path: Path) -> None:
    code, text, _ = run("curve", BERT)
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "step,lr" and len(lines) == 10001
    values = np.array([float(x.split(",")[1]) for x in lines[1:]])
    np.testing.assert_array_equal(values, curve(load_preset("bert")))
    target = tmp_path / "c.json"
    assert run("curve", BERT, "--format", "json", "--out", str(target))[0] == 0
    data = json.loads(target.read_text())
    assert data["step"][-1] == 9999 and data["lr"] == curve(load_preset("bert")).tolist()


def test_validate_writes_defaults_and_presets_list() -> None:
    code, text, _ = run("validate", BERT)
    assert code == 0 and json.loads(text) == load_preset("bert").to_dict()
    code, text, _ = run("presets")
    assert "bert" in text.split() and "noam" in text.split()
    code, text, _ = run("presets", "sgdr")
    assert json.loads(text)["schedule"]["type"] == "cosine_restarts"


def test_invalid_input_is_one_line_on_stderr_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"total_steps": 100, "lr": 0.1, "schedule": {"type": "cosine", "min_lr": 0.2}}')
    code, out, err = run("curve", str(bad))
    assert code == 2 and out == ""
    assert err == "error: schedule.min_lr: must be <= lr (got 0.2, lr 0.1)\n"
    assert run("presets", "nope")[0] == 2
    assert run("validate", str(tmp_path / "missing.json"))[0] == 2


def test_stdin_and_no_traceback_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "schedules", "validate", "-"], input="{not json", capture_output=True,
        text=True, cwd=ROOT, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: spec: is not valid JSON") and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    good = subprocess.run(
        [sys.executable, "-m", "schedules", "curve", "-", "--format", "json"],
        input='{"total_steps": 3, "lr": 1.0, "schedule": {"type": "linear"}}', capture_output=True, text=True,
        cwd=ROOT, check=True,
    )
    assert json.loads(good.stdout)["lr"] == [1.0, 2 / 3, 1 / 3]


def test_yaml_specs_for_validate_curve_and_export(tmp_path: Path) -> None:
    from schedules.export import export

    spec = load_preset("bert")
    path = tmp_path / "bert.yaml"
    path.write_text(export(spec, "yaml"))  # the app's and `export --to yaml`'s own YAML
    code, text, _ = run("validate", str(path))
    assert code == 0 and json.loads(text) == spec.to_dict()
    code, text, _ = run("curve", str(path))
    values = np.array([float(x.split(",")[1]) for x in text.splitlines()[1:]])
    np.testing.assert_array_equal(values, curve(spec))
    code, text, _ = run("export", str(path), "--to", "torch")
    assert code == 0 and text == export(spec, "torch").rstrip("\n") + "\n"


def test_yaml_numbers_written_as_text_are_read_as_numbers(tmp_path: Path) -> None:
    # YAML 1.1 reads 3e-4 and 1e-5 (no dot) as strings; they are numbers in a spec.
    path = tmp_path / "s.yml"
    path.write_text("total_steps: 1e4\nlr: 3e-4\nwarmup:\n  steps: '500'\n  start_lr: 1e-7\n"
                    "schedule:\n  type: multistep\n  milestones: [2e3, 4000]\n  gamma: 5e-1\n"
                    "param_groups:\n  - name: head\n    lr_scale: 1e1\n")
    code, text, err = run("validate", str(path))
    assert code == 0, err
    data = json.loads(text)
    assert (data["total_steps"], data["lr"], data["warmup"]["steps"], data["warmup"]["start_lr"]) == \
        (10_000, 3e-4, 500, 1e-7)
    assert data["schedule"]["milestones"] == [2000, 4000] and data["schedule"]["gamma"] == 0.5
    assert data["param_groups"] == [{"name": "head", "lr_scale": 10.0}]


def test_yaml_errors_name_the_field(tmp_path: Path) -> None:
    cases = {
        "lr: 3e-4x\ntotal_steps: 10\nschedule: {type: constant}\n": "error: lr: must be a number (got '3e-4x')\n",
        "lr: .nan\ntotal_steps: 10\nschedule: {type: constant}\n": "error: lr: must be finite (got NaN)\n",
        "lr: 0.1\ntotal_steps: 10\nschedule: {type: step, step_size: 2, gamma: .inf}\n":
            "error: schedule.gamma: must be finite (got Infinity)\n",
        "- 1\n- 2\n": "error: spec: must be a mapping of spec fields (got 'list')\n",
        "lr: [\n": "error: spec: is not valid YAML",
        "!!python/object/apply:os.system ['echo hacked']\n": "error: spec: is not valid YAML",
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.yaml"
        path.write_text(text)
        code, out, err = run("validate", str(path))
        assert code == 2 and out == "", err
        assert err.startswith(message) and err.count("\n") == 1, err


def test_import_prints_the_detected_format_and_the_assumptions_on_stderr(tmp_path: Path) -> None:
    from schedules.imports import import_config

    path = tmp_path / "recipe.yaml"
    path.write_text("optimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\nbatch_size: 4\nepochs: 2\n"
                    "gradient_accumulation_steps: 2\n")
    code, text, err = run("import", str(path), "--dataset-size", "1000")
    assert code == 0 and json.loads(text)["schedule"]["type"] == "constant"
    lines = err.splitlines()
    assert lines[0].startswith("detected: torchtune (torchtune YAML); if wrong, give --format {hf,")
    expected = import_config(path.read_text(), dataset_size=1000).assumptions
    assert lines[1:] == [f"assumption: {line}" for line in expected] and len(expected) >= 3
    code, _, err = run("import", str(path), "--format", "torchtune", "--dataset-size", "1000")
    assert code == 0 and not err.startswith("detected:") and err.count("assumption: ") == len(expected)
    code, _, err = run("import", str(path), "--format", "litgpt")
    assert code == 2 and err.startswith("error: checkpoint_dir:") and err.count("\n") == 1
