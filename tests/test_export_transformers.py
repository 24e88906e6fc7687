"""The transformers export, run with the real transformers.get_scheduler, compared with schedules.curve."""

from __future__ import annotations

import pytest
from test_export_torch import RTOL, SPECS, expected, max_rel, ruff_clean, run_torch_like

import schedules
from schedules.export import export

HF = {
    "hf_linear": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "linear"}},
    "hf_cosine_min": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 10}, "schedule": {"type": "cosine",
                      "min_lr": 0.01}, "param_groups": [{"name": "a", "lr_scale": 0.5}, {"name": "b"}]},
    "hf_poly": {"total_steps": 60, "lr": 0.1, "warmup": {"steps": 5}, "schedule": {"type": "polynomial",
                "end_lr": 0.001, "power": 2.0}},
    "hf_wsd": {"total_steps": 80, "lr": 0.1, "warmup": {"steps": 8}, "schedule": {"type": "wsd", "shape": "cosine",
               "decay_steps": 20}},
    "hf_constant": {"total_steps": 30, "lr": 0.1, "warmup": {"steps": 4}, "schedule": {"type": "constant"}},
}
ALL = {**SPECS, **{k: schedules.load_spec(v) for k, v in HF.items()}}


@pytest.mark.parametrize("key", sorted(ALL))
def test_transformers_matches_curve(key: str) -> None:
    spec = ALL[key]
    lrs, _ = run_torch_like(spec, export(spec, "transformers"))
    assert max_rel(lrs, expected(spec)) <= RTOL


def test_native_names() -> None:
    for key in (*HF, "preset:bert", "preset:noam", "inverse_sqrt"):
        assert "get_scheduler(" in export(ALL[key], "transformers"), key


def test_transformers_snippets_pass_ruff() -> None:
    ruff_clean({k: export(s, "transformers") for k, s in ALL.items()})
