"""Checks the Keras and optax exporters share: the comments for what they cannot carry (param groups,
momentum), the fields named when a spec cannot be expressed, hostile names, and what both parity modules use
(the spec sweep, the tolerance, the ruff helper)."""

from __future__ import annotations

import ast
import subprocess
import tempfile
from pathlib import Path

import pytest

from schedules import FAMILIES, SpecError, load_spec
from schedules.export import export

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["keras", "optax"]

#: Worst |exported - engine| / lr over every update: both run the schedule in float32.
TOL = 1e-6
#: The only fields a Keras or optax export may refuse, each for a documented float32 reason.
REFUSABLE = {"schedule.decay_steps", "schedule.period_mult", "warmup.steps"}


def family_specs() -> dict[str, dict]:
    """Every family at its defaults and with each warmup shape and the epoch interval, plus variants
    that take the other code paths (native vs closed form, table vs modular restarts...)."""
    out: dict[str, dict] = {}
    base_params = {
        "multistep": {"milestones": [300, 1500, 2400], "gamma": 0.5},
        "step": {"step_size": 700, "gamma": 0.3},
        "cosine_restarts": {"period": 500},
        "cyclic": {"step_size": 400, "min_lr": 0.001},
        "inverse_sqrt": {"timescale": 300},
        "exponential": {"gamma": 0.999},
    }
    warmups = {
        "none": {"steps": 0},
        "linear": {"steps": 300, "shape": "linear", "start_lr": 0.0},
        "cosine": {"steps": 250, "shape": "cosine", "start_lr": 0.001},
        "exponential": {"steps": 200, "shape": "exponential", "start_lr": 1e-5},
        "constant": {"steps": 150, "shape": "constant", "start_lr": 0.002},
    }
    for kind in FAMILIES:
        for wname, warm in warmups.items():
            out[f"{kind}-{wname}"] = {"total_steps": 3000, "lr": 0.01, "warmup": warm,
                                       "schedule": {"type": kind, **base_params.get(kind, {})}}
        out[f"{kind}-epoch"] = {"total_steps": 3000, "lr": 0.01, "steps_per_epoch": 128, "interval": "epoch",
                                "warmup": {"steps": 256}, "schedule": {"type": kind, **base_params.get(kind, {})}}
    variants = {
        "cosine-min": {"type": "cosine", "min_lr": 0.001},
        "linear-end": {"type": "linear", "end_lr": 0.002},
        "polynomial-sqrt": {"type": "polynomial", "power": 0.5, "end_lr": 1e-4},
        "polynomial-square": {"type": "polynomial", "power": 2.0, "end_lr": 1e-4},
        "exponential-half": {"type": "exponential", "gamma": 0.5, "decay_steps": 250.0},
        "exponential-stair": {"type": "exponential", "gamma": 0.9, "decay_steps": 100.0, "staircase": True},
        "exponential-stair-fine": {"type": "exponential", "gamma": 0.999, "decay_steps": 3.0, "staircase": True},
        "restarts-double": {"type": "cosine_restarts", "period": 100, "period_mult": 2.0, "min_lr": 1e-4},
        "restarts-frac": {"type": "cosine_restarts", "period": 37, "period_mult": 1.5, "peak_decay": 0.7},
        "restarts-decay": {"type": "cosine_restarts", "period": 300, "peak_decay": 0.5},
        # Hugging Face's restarts: cycles that do not divide the run, fractional, shorter than a step.
        "restarts-cycles-7": {"type": "cosine_restarts", "cycles": 7},
        "restarts-cycles-2.5-min": {"type": "cosine_restarts", "cycles": 2.5, "min_lr": 1e-4},
        "restarts-cycles-0.4": {"type": "cosine_restarts", "cycles": 0.4},
        "restarts-cycles-1234.5": {"type": "cosine_restarts", "cycles": 1234.5},
        "wsd-linear": {"type": "wsd", "shape": "linear", "decay_steps": 600, "min_lr": 1e-4},
        "wsd-cosine": {"type": "wsd", "shape": "cosine", "decay_fraction": 0.25},
        "wsd-exp": {"type": "wsd", "shape": "exponential", "decay_fraction": 0.2, "half_life": 50.0},
        "cyclic-tri2": {"type": "cyclic", "mode": "triangular2", "step_size": 300, "step_size_down": 200},
        "cyclic-exp": {"type": "cyclic", "mode": "exp_range", "step_size": 250, "gamma": 0.999, "min_lr": 1e-3},
        "one_cycle-3": {"type": "one_cycle", "three_phase": True, "pct_start": 0.25},
        "one_cycle-lin": {"type": "one_cycle", "anneal": "linear", "pct_start": 0.4},
    }
    for name, sched in variants.items():
        out[name] = {"total_steps": 3000, "lr": 0.01, "schedule": sched}
        out[name + "-warm"] = {"total_steps": 3000, "lr": 0.01, "warmup": {"steps": 100}, "schedule": sched}
    return out


FAMILY_SPECS = family_specs()


def ruff(snippets: dict[str, str]) -> None:
    """Every snippet passes ruff with the project's config (one ruff run for the batch)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in snippets.items():
            Path(tmp, f"{name.replace('-', '_')}.py").write_text(code, encoding="utf-8")
        result = subprocess.run(
            [str(ROOT / ".venv/bin/ruff"), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), tmp],
            capture_output=True, text=True, check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("target", TARGETS)
def test_groups_and_momentum_comments(target: str) -> None:
    spec = load_spec({"total_steps": 1000, "lr": 0.1, "schedule": {"type": "one_cycle"},
                      "momentum": {"base": 0.8, "max": 0.9},
                      "param_groups": [{"name": "backbone", "lr_scale": 0.1}, {"name": "head"}]})
    code = export(spec, target)
    assert "lr × lr_scale" in code and "'backbone': lr_scale 0.1" in code and "'head': lr_scale 1.0" in code
    # Keras has no way to schedule momentum, so it is a comment; optax schedules it (inject_hyperparams).
    if target == "keras":
        assert "torch-only" in code and "0.8" in code and "0.9" in code
    else:
        assert "def momentum_schedule(count):" in code and "(between 0.8 and 0.9)" in code


@pytest.mark.parametrize("target", TARGETS)
def test_unexpressible_specs_name_the_field(target: str) -> None:
    stair = {"total_steps": 100, "lr": 0.1,
             "schedule": {"type": "exponential", "decay_steps": 2.5, "staircase": True, "gamma": 0.5}}
    with pytest.raises(SpecError) as err:
        export(stair, target)
    assert err.value.field == "schedule.decay_steps"
    many = {"total_steps": 10_000_000, "lr": 0.1,
            "schedule": {"type": "cosine_restarts", "period": 1, "period_mult": 1.001}}
    with pytest.raises(SpecError) as err:
        export(many, target)
    assert err.value.field == "schedule.period_mult"


HOSTILE = [
    'x"""\nimport os; os.system("echo pwned")',
    "name'); __import__('os').system('id') #",
    "a: b # c \\ \" ' \u2028 \u202e\u200b ☃ 日本語 🚀",
    "\\u0027\\n'''; raise SystemExit",
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_cannot_inject(hostile: str, target: str) -> None:
    """Names reach only comments: the code's AST equals the AST for a plain name."""
    for kind in ("cosine", "one_cycle", "multistep"):
        data = {"total_steps": 1000, "lr": 0.1, "schedule": {"type": kind, "milestones": [500]} if kind ==
                "multistep" else {"type": kind}, "param_groups": [{"name": "grp"}]}
        try:
            bad = load_spec({**data, "name": hostile, "param_groups": [{"name": hostile[:80]}]})
        except SpecError as exc:
            assert exc.field in ("name", "param_groups[0].name")
            bad = load_spec({**data, "name": hostile.replace("\n", " ")[:80],
                             "param_groups": [{"name": hostile.replace("\n", " ")[:80]}]})
        plain = load_spec({**data, "name": "plain"})
        hostile_code, plain_code = export(bad, target), export(plain, target)
        assert ast.dump(ast.parse(hostile_code)) == ast.dump(ast.parse(plain_code))
        ruff({"hostile": hostile_code})
