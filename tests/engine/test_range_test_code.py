"""The PyTorch range-test snippet: generated, linted, run on a real torch model (logistic regression on the
digits), read back by the upload parser and shown by the page."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from schedules.export.range_test_code import render
from schedules.finder import FinderError, lr_sweep, smooth
from schedules.finder_io import parse_finder_output
from tasks.digits_mlp import load_digits_split

ROOT = Path(__file__).resolve().parents[2]


def load_snippet(tmp_path: Path, **settings):
    path = tmp_path / "lr_range_test.py"
    path.write_text(render(**settings))
    spec = importlib.util.spec_from_file_location("lr_range_test_snippet", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return path, module


class RecordingSGD(torch.optim.SGD):
    """Plain SGD that also records each group's lr at every step, to see what the snippet set."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[list[float]] = []

    def step(self, closure=None):
        self.seen.append([g["lr"] for g in self.param_groups])
        return super().step(closure)


def digits_loader(batch_size: int = 32) -> torch.utils.data.DataLoader:
    data = load_digits_split()
    ds = torch.utils.data.TensorDataset(torch.tensor(data.x_train, dtype=torch.float32), torch.tensor(data.y_train))
    gen = torch.Generator().manual_seed(0)
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, generator=gen)


@pytest.fixture(scope="module")
def snippet_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("snippet")
    path, module = load_snippet(tmp_path, start_lr=1e-5, end_lr=100.0, num_iter=120)
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 10)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = RecordingSGD(
        [{"params": [model.weight], "lr": 1e-3}, {"params": [model.bias], "lr": 2e-3}], lr=1e-3, momentum=0.9
    )
    out = tmp_path / "result.json"
    result = module.lr_range_test(model, optimizer, torch.nn.CrossEntropyLoss(), digits_loader(), path=str(out))
    return {"path": path, "out": out, "result": result, "model": model, "before": before, "optimizer": optimizer}


def test_snippet_passes_ruff(snippet_run) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"), str(snippet_run["path"])],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snippet_sweeps_smooths_and_stops_like_the_engine(snippet_run) -> None:
    result = snippet_run["result"]
    assert result["stopped_reason"] in ("diverged", "non-finite")
    m = len(result["lr"])
    assert 10 < m < 120
    np.testing.assert_allclose(result["lr"], lr_sweep(1e-5, 100.0, 120)[:m], rtol=1e-12)
    np.testing.assert_allclose(result["smoothed"], smooth(result["loss"], 0.98), rtol=1e-12)
    seen = np.array(snippet_run["optimizer"].seen)
    np.testing.assert_allclose(seen[:, 0], result["lr"][: len(seen)], rtol=1e-12)
    np.testing.assert_allclose(seen[:, 1], 2 * seen[:, 0], rtol=1e-12)  # the second group keeps its ratio


def test_snippet_restores_the_model_and_optimizer(snippet_run) -> None:
    for k, v in snippet_run["model"].state_dict().items():
        assert torch.equal(v, snippet_run["before"][k])
    assert [g["lr"] for g in snippet_run["optimizer"].param_groups] == [1e-3, 2e-3]


def test_snippet_output_is_read_by_the_upload_parser(snippet_run) -> None:
    text = snippet_run["out"].read_bytes()
    data = parse_finder_output(text)
    assert data.source == "range-test snippet" and not data.presmoothed
    assert data.lrs.size == len(json.loads(text)["lr"]) and data.dropped == 0
    assert data.losses[0] > 1.5  # an untrained 10-class model starts near ln(10)


def test_snippet_output_goes_through_the_page(snippet_run) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "finder.py"), default_timeout=60)
    at.run()
    at.radio(key="finder_source").set_value("Upload your own")
    at.run()
    at.file_uploader[0].set_value(("result.json", snippet_run["out"].read_bytes(), "application/json"))
    at.run()
    assert not at.exception
    assert not at.error
    assert "range-test snippet" in at.subheader[0].value
    table = at.dataframe[0].value
    assert list(table["rule"]) == ["steepest descent", "minimum ÷ 10", "valley (fastai)", "CLR bounds"]
    spec = json.loads(at.session_state["finder_spec_json"])
    assert spec["schedule"]["type"] == "cosine" and 0 < spec["lr"] <= 100


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"start_lr": 0.0}, "start_lr"), ({"end_lr": 1e-9}, "end_lr"), ({"num_iter": 1}, "num_iter"),
     ({"mode": "cos"}, "mode"), ({"beta": 1.0}, "beta"), ({"diverge": 1.0}, "diverge"),
     ({"diverge": float("nan")}, "diverge")],
)
def test_render_rejects_bad_settings(kwargs, field) -> None:
    with pytest.raises(FinderError) as err:
        render(**kwargs)
    assert err.value.field == field


def test_render_writes_settings_as_literals(tmp_path) -> None:
    _, module = load_snippet(tmp_path, start_lr=1e-6, end_lr=3.0, num_iter=50, mode="linear", beta=0.9, diverge=5)
    assert (module.START_LR, module.END_LR, module.NUM_ITER, module.MODE, module.BETA, module.DIVERGE) == (
        1e-6, 3.0, 50, "linear", 0.9, 5.0)
    np.testing.assert_allclose([module.sweep_lr(i) for i in range(50)], lr_sweep(1e-6, 3.0, 50, "linear"), rtol=1e-12)
