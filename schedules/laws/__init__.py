"""Predicted loss curves from published schedule-to-loss laws, fitted to a run, and the schedule minimising them.

NumPy (and scipy for fitting). Public API:

- :func:`predict` the loss a law predicts for a spec (:class:`Prediction`: steps, loss, bound, notes).
- :data:`LAWS` the laws and their parameters; :data:`PRESETS` the published parameter sets, with what they
  were fitted on and their reported error; :func:`params_from_dict` checks a parameter dict.
- :func:`fit` fits a law to a logged run and reports the held-out error (:class:`Fit`, serialisable with
  :meth:`Fit.to_dict` / :func:`fit_from_dict`).
- :func:`optimize` the parameters of a schedule family minimising the predicted final loss.
"""

from __future__ import annotations

from schedules.laws.fitting import Fit, fit, fit_from_dict
from schedules.laws.optimize import Suggestion, optimize
from schedules.laws.params import LAWS, PRESETS, FittedOn, Law, Preset, params_from_dict
from schedules.laws.predict import DEFAULT_TOL, Prediction, predict

__all__ = [
    "DEFAULT_TOL",
    "LAWS",
    "PRESETS",
    "Fit",
    "FittedOn",
    "Law",
    "Prediction",
    "Preset",
    "Suggestion",
    "fit",
    "fit_from_dict",
    "optimize",
    "params_from_dict",
    "predict",
]
