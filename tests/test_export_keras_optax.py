"""Checks the Keras and optax exporters share: the comments for what they cannot carry (param groups,
momentum), the fields named when a spec cannot be expressed, hostile names, and the ruff helper both use."""

from __future__ import annotations

import ast
import subprocess
import tempfile
from pathlib import Path

import pytest

from schedules import SpecError, load_spec
from schedules.export import export

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["keras", "optax"]


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
    assert "torch-only" in code and "0.8" in code and "0.9" in code


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
