"""ui.explore.explain: an explanation for warmup, every registry family and the stepping interval."""

from __future__ import annotations

import pytest

import schedules
from ui.explore.explain import EXPLANATIONS

KEYS = ["warmup", *schedules.FAMILIES, "cyclic", "interval"]


def test_every_family_has_an_entry():
    assert set(schedules.FAMILIES) <= set(EXPLANATIONS)
    assert set(EXPLANATIONS) == set(KEYS)


@pytest.mark.parametrize("key", sorted(set(KEYS)))
def test_entry_has_the_three_parts(key):
    text = EXPLANATIONS[key]
    parts = ["**What it does.**", "**When to use it.**", "**Typical values.**"]
    positions = [text.find(p) for p in parts]
    assert positions[0] == 0 and positions == sorted(positions)
    bodies = [text[a + len(p):b] for a, p, b in zip(positions, parts, [*positions[1:], len(text)], strict=True)]
    assert all(len(body.strip()) > 20 for body in bodies)
    assert len(text) < 900


@pytest.mark.parametrize("name", sorted(schedules.FAMILIES))
def test_backticked_names_are_real_parameters(name):
    # Every `identifier` an entry mentions as a bare word must be a parameter of the family, a choice or a spec
    # field, so renaming a parameter in the registry cannot leave an explanation behind.
    family = schedules.FAMILIES[name]
    known = {p.name for p in family.params} | {c for p in family.params for c in p.choices}
    known |= {"start_lr", "warmup.steps", "steps_per_epoch"}
    for chunk in EXPLANATIONS[name].split("`")[1::2]:
        if chunk.replace("_", "").isalpha():
            assert chunk in known, f"{name}: `{chunk}` is not a parameter of the family"
