"""schedules.laws.fit on the logs real runs produce: losses far under 1e-3 and a tiny lr area (a policy or
auxiliary loss logged as ``loss``) are fitted, not a traceback from a starting point outside the bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from schedules.laws import fit


@pytest.mark.parametrize("law", ["mpl", "annealing"])
@pytest.mark.parametrize("scale", [1e-4, 1e-2])
def test_a_log_of_tiny_losses_at_a_tiny_lr_is_fitted(law: str, scale: float) -> None:
    rng = np.random.default_rng(0)
    steps = np.arange(40, 2000, 17)
    lrs = np.minimum(steps / 100, 1.0) * 3e-5
    losses = scale * (1 + 4 * np.exp(-steps / 300)) * (1 + 0.05 * rng.standard_normal(len(steps)))
    f = fit(steps, lrs, np.abs(losses), law)
    assert math.isfinite(f.heldout_error) and f.heldout_error < 0.5
    assert all(math.isfinite(v) for v in f.params.values())
