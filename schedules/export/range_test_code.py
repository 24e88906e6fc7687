"""A PyTorch snippet that runs the LR range test inside the user's own training loop.

``render(...)`` returns self-contained Python: a function ``lr_range_test(model, optimizer, loss_fn,
train_loader)`` that sweeps the lr (exponential or linear, as :func:`schedules.finder.lr_sweep`), smooths the
loss (bias-corrected EMA, :func:`schedules.finder.smooth`), stops when the smoothed loss exceeds ``diverge`` times
its best or is not finite (:func:`schedules.finder.stop_index`), restores the model and optimizer it was given,
and writes a JSON file that :func:`schedules.finder_io.parse_finder_output` reads (``format: "lr-range-test"``).
Settings are checked here and emitted as numeric literals, so nothing a user typed reaches the code as text.
"""

from __future__ import annotations

import math

from schedules.finder import DEFAULT_BETA, DEFAULT_DIVERGE, FinderError, check_beta, lr_sweep
from schedules.finder_io import SNIPPET_FORMAT

_TEMPLATE = '''"""LR range test (Smith 2017; fastai lr_find): sweep the lr over {num_iter} batches and save the losses.

Run it with your own model, optimizer, loss function and data loader, then upload the JSON it writes to the
LR range test page. The model and optimizer are restored afterwards, so training can start from where it was.
"""

import copy
import json
import math

START_LR = {start_lr!r}
END_LR = {end_lr!r}
NUM_ITER = {num_iter!r}
MODE = {mode!r}  # "exp": lr_i = START * (END / START) ** (i / (N - 1)); "linear": START + (END - START) * i / (N - 1)
BETA = {beta!r}  # smoothed_i = avg_i / (1 - BETA ** (i + 1)), avg_i = BETA * avg_(i-1) + (1 - BETA) * loss_i
DIVERGE = {diverge!r}  # stop once the smoothed loss exceeds DIVERGE times the best smoothed loss


def sweep_lr(i):
    """The lr of batch i (0-based)."""
    frac = i / (NUM_ITER - 1)
    if MODE == "exp":
        return START_LR * (END_LR / START_LR) ** frac
    return START_LR + (END_LR - START_LR) * frac


def lr_range_test(model, optimizer, loss_fn, train_loader, path="lr_range_test.json", device=None):
    """Train one batch per lr of the sweep; write {{"lr", "loss", "smoothed"}} to ``path`` and return it.

    Each batch from ``train_loader`` must be ``(inputs, targets)``. With several param groups, each keeps its
    ratio to the first group's lr. The loader is restarted if it runs out before NUM_ITER batches.
    """
    model_state = copy.deepcopy(model.state_dict())
    optim_state = copy.deepcopy(optimizer.state_dict())
    base = optimizer.param_groups[0]["lr"] or 1.0
    ratios = [(group["lr"] or base) / base for group in optimizer.param_groups]
    lrs, losses, smoothed = [], [], []
    avg, best, reason = 0.0, math.inf, "completed"
    batches = iter(train_loader)
    model.train()
    try:
        for i in range(NUM_ITER):
            try:
                inputs, targets = next(batches)
            except StopIteration:
                batches = iter(train_loader)
                inputs, targets = next(batches)
            if device is not None:
                inputs, targets = inputs.to(device), targets.to(device)
            lr = sweep_lr(i)
            for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
                group["lr"] = lr * ratio
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            value = float(loss.detach())
            if not math.isfinite(value):
                reason = "non-finite"
                break
            avg = BETA * avg + (1 - BETA) * value
            smooth = avg / (1 - BETA ** (i + 1))
            lrs.append(lr)
            losses.append(value)
            smoothed.append(smooth)
            if 0 < best < math.inf and smooth > DIVERGE * best:
                reason = "diverged"
                break
            best = min(best, smooth)
            loss.backward()
            optimizer.step()
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optim_state)
    result = {{
        "format": {fmt!r},
        "version": 1,
        "settings": {{"start_lr": START_LR, "end_lr": END_LR, "num_iter": NUM_ITER, "mode": MODE,
                      "beta": BETA, "diverge": DIVERGE}},
        "stopped_reason": reason,
        "lr": lrs,
        "loss": losses,
        "smoothed": smoothed,
    }}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return result


# Example (your own objects):
#     result = lr_range_test(model, torch.optim.SGD(model.parameters(), lr=START_LR, momentum=0.9),
#                            torch.nn.CrossEntropyLoss(), train_loader)
'''


def render(
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    mode: str = "exp",
    beta: float = DEFAULT_BETA,
    diverge: float = DEFAULT_DIVERGE,
) -> str:
    """The range-test snippet with these settings written in as literals.

    Raises:
        FinderError: invalid sweep (see :func:`schedules.finder.lr_sweep`), ``beta`` outside [0, 1) or
            ``diverge <= 1``.
    """
    lr_sweep(start_lr, end_lr, num_iter, mode)
    beta = check_beta(beta)
    if isinstance(diverge, bool) or not isinstance(diverge, (int, float)) or not math.isfinite(diverge) or diverge <= 1:
        raise FinderError("diverge", "must be a finite number > 1", diverge)
    return _TEMPLATE.format(
        start_lr=float(start_lr),
        end_lr=float(end_lr),
        num_iter=int(num_iter),
        mode=str(mode),
        beta=float(beta),
        diverge=float(diverge),
        fmt=SNIPPET_FORMAT,
    )
