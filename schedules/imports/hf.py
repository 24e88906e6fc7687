"""Hugging Face ``TrainingArguments`` (JSON/YAML keys, model-card hyperparameters) -> spec v1.

Exactly what transformers 5.23's ``Trainer`` runs:

- total updates ``T`` (``Trainer.set_initial_training_values``): ``max_steps`` when > 0, else
  ``ceil(num_train_epochs × max(ceil(len(dataloader) / gradient_accumulation_steps), 1))``, with
  ``len(dataloader) = ceil(dataset_size / (per_device_train_batch_size × devices))`` (floor with
  ``dataloader_drop_last``);
- warmup (``TrainingArguments.get_warmup_steps``): ``int(warmup_steps)`` when >= 1, else
  ``ceil(T × warmup_steps)``; a v4 ``warmup_ratio`` is read as v4 did (``ceil(T × ratio)`` when
  ``warmup_steps`` is 0);
- the schedule (``optimization.get_scheduler``): each ``lr_scheduler_type`` maps to the spec family whose
  formula is that LambdaLR's; ``lr_scheduler_kwargs`` (a dict or JSON text) are checked against the
  function's own signature, as the call would be.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from schedules.errors import SpecError
from schedules.imports.common import Budget, Result, batches_per_epoch, flag, fmt_int, get, need_budget, number

LABEL = "Hugging Face"
#: Each scheduler's accepted lr_scheduler_kwargs (its function signature in transformers 5.23).
KWARGS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "cosine": ("num_cycles",),
    "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"),
    "constant": (),
    "constant_with_warmup": (),
    "inverse_sqrt": ("timescale",),
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": ("num_decay_steps", "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio",
                            "num_cycles"),
}
#: Types whose kwargs get_scheduler never passes (constant takes none; constant_with_warmup drops them).
IGNORES_KWARGS = ("constant", "constant_with_warmup")
METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")


def scheduler_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    """``lr_scheduler_kwargs`` as a dict (TrainingArguments also accepts it as JSON text)."""
    raw = cfg.get("lr_scheduler_kwargs")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise SpecError("lr_scheduler_kwargs", "must be a JSON object", raw) from None
    if not isinstance(raw, dict):
        raise SpecError("lr_scheduler_kwargs", "must be an object", raw)
    return raw


def total_updates(cfg: dict[str, Any], b: Budget, label: str = LABEL) -> tuple[int, list[str]]:
    """T as Trainer computes it; the lines say which rule applied."""
    lines: list[str] = []
    max_steps = get(cfg, "max_steps", -1, integer=True)
    if max_steps > 0:
        lines.append(f"total_steps = max_steps = {fmt_int(max_steps)} (max_steps > 0 wins over epochs)")
        return max_steps, lines
    if b.total_steps is not None:
        lines.append(f"total_steps = {fmt_int(b.total_steps)} (supplied)")
        return b.total_steps, lines
    epochs = get(cfg, "num_train_epochs", None, low=0)
    if epochs is None:
        epochs = b.epochs if b.epochs is not None else 3.0
        lines.append(f"num_train_epochs = {epochs:g}" + (" (supplied)" if b.epochs is not None
                                                         else " (TrainingArguments default)"))
    ga = get(cfg, "gradient_accumulation_steps", None, integer=True, low=1)
    if ga is None:
        ga = b.grad_accum or 1
        lines.append(f"gradient_accumulation_steps = {ga}" + (" (supplied)" if b.grad_accum else " (default)"))
    if b.steps_per_epoch is not None:
        updates = b.steps_per_epoch
        lines.append(f"updates per epoch = {fmt_int(updates)} (supplied steps_per_epoch)")
    else:
        bs = get(cfg, "per_device_train_batch_size", None, integer=True, low=1)
        if bs is None:
            bs = b.batch_size or 8
            lines.append(f"per_device_train_batch_size = {bs}" + (" (supplied)" if b.batch_size else " (default)"))
        if b.dataset_size is None:
            raise need_budget("dataset_size (its batch size is in the config), or steps_per_epoch, or total_steps",
                              label)
        n, rule = batches_per_epoch(b, bs, drop_last=flag(cfg, "dataloader_drop_last", False), label=label)
        lines.append(f"batches per epoch = {rule}")
        updates = max(n // ga + int(n % ga > 0), 1)
        lines.append(f"updates per epoch = ceil({fmt_int(n)} / {ga}) = {fmt_int(updates)} (Trainer rounds up)")
    total = math.ceil(epochs * updates)
    lines.append(f"total_steps = ceil({epochs:g} × {fmt_int(updates)}) = {fmt_int(total)} (Trainer rounds up)")
    return total, lines


def warmup_updates(cfg: dict[str, Any], total: int) -> tuple[int, list[str]]:
    """``TrainingArguments.get_warmup_steps``: int(w) for w >= 1, else ceil(T × w)."""
    w = get(cfg, "warmup_steps", 0, low=0)
    ratio = get(cfg, "warmup_ratio", None, low=0)
    if w == 0 and ratio:
        n = math.ceil(total * ratio)
        return n, [f"warmup_steps = ceil({ratio:g} × {fmt_int(total)}) = {fmt_int(n)} (warmup_ratio as "
                   "transformers 4 read it; 5.x takes the ratio as warmup_steps < 1)"]
    if w >= 1:
        n = int(w)
        note = "" if float(w).is_integer() else f" (int({w:g}) truncates)"
        return n, [f"warmup_steps = {fmt_int(n)}{note}"] if n else []
    if w == 0:
        return 0, []
    n = math.ceil(total * w)
    return n, [f"warmup_steps = ceil({w:g} × {fmt_int(total)}) = {fmt_int(n)} (a warmup_steps < 1 is a ratio; "
               "HF rounds up)"]


def check_kwargs(kind: str, kwargs: dict[str, Any]) -> None:
    for key in kwargs:
        if key not in KWARGS[kind]:
            raise SpecError(f"lr_scheduler_kwargs.{key}", f"is not an argument of the {kind} scheduler; "
                            "allowed: " + (", ".join(KWARGS[kind]) or "none"))


def schedule_spec(kind: str, lr: float, total: int, warm: int, kwargs: dict[str, Any],
                  lines: list[str]) -> dict[str, Any]:
    """The spec of ``get_scheduler(kind, num_warmup_steps=warm, num_training_steps=total, **kwargs)``."""
    if kind in METRIC_DRIVEN:
        raise SpecError("lr_scheduler_type", "depends on evaluation metrics during training, so no curve can be "
                        "computed in advance", kind)
    if kind not in KWARGS:
        raise SpecError("lr_scheduler_type", "must be one of " + ", ".join([*KWARGS, *METRIC_DRIVEN]), kind)
    if kind in IGNORES_KWARGS:
        if kwargs:
            lines.append(f"lr_scheduler_kwargs ignored: get_scheduler passes none to {kind}")
        kwargs = {}
    check_kwargs(kind, kwargs)
    spec: dict[str, Any] = {"total_steps": total, "lr": lr}
    warmup = {"steps": warm, "shape": "linear", "start_lr": 0.0}

    def cycles_half() -> None:
        cycles = number(kwargs.get("num_cycles", 0.5), "lr_scheduler_kwargs.num_cycles")
        if cycles != 0.5:
            raise SpecError("lr_scheduler_kwargs.num_cycles", "only 0.5 (one half cosine) has a spec family", cycles)

    def min_rate() -> float:
        has_lr, has_rate = kwargs.get("min_lr") is not None, kwargs.get("min_lr_rate") is not None
        if has_lr == has_rate:
            raise SpecError("lr_scheduler_kwargs.min_lr", f"{kind} needs exactly one of min_lr and min_lr_rate")
        if has_lr:
            return number(kwargs["min_lr"], "lr_scheduler_kwargs.min_lr", low=0)
        return number(kwargs["min_lr_rate"], "lr_scheduler_kwargs.min_lr_rate", low=0) * lr

    # A warmup of T updates or more is run as given: every scheduler's lambda returns its warmup value for
    # every step < num_warmup_steps (transformers/optimization.py, each _get_*_lr_lambda), so the run ends
    # before the peak; the spec says the same (warmup.steps >= total_steps).
    if kind == "constant":
        if warm:
            lines.append(f"warmup_steps = {warm} ignored: the constant scheduler has no warmup")
        spec["schedule"] = {"type": "constant"}
        return spec
    spec["warmup"] = warmup
    if kind == "constant_with_warmup":
        spec["schedule"] = {"type": "constant"}
    elif kind == "linear":
        spec["schedule"] = {"type": "linear", "end_lr": 0.0}
    elif kind == "cosine":
        cycles_half()
        spec["schedule"] = {"type": "cosine", "min_lr": 0.0}
    elif kind == "cosine_with_min_lr":
        cycles_half()
        spec["schedule"] = {"type": "cosine", "min_lr": min_rate()}
    elif kind == "cosine_with_restarts":
        spec["schedule"] = _restarts(kwargs, max(1, total - warm), lines)
    elif kind == "polynomial":
        if warm == total:
            # transformers/optimization.py, _get_polynomial_decay_schedule_with_warmup_lr_lambda: the scheduler
            # step after the last update reaches current_step = num_training_steps = num_warmup_steps and
            # divides by decay_steps = 0 (ZeroDivisionError).
            raise SpecError("warmup_steps", "must not equal total_steps for polynomial (transformers divides by "
                            "the decay length, 0, after the last update)", warm, f"total_steps {total}")
        end = number(kwargs.get("lr_end", 1e-7), "lr_scheduler_kwargs.lr_end", low=0)
        power = number(kwargs.get("power", 1.0), "lr_scheduler_kwargs.power")
        if not lr > end:
            raise SpecError("lr_scheduler_kwargs.lr_end", "must be smaller than learning_rate", end, f"lr {lr!r}")
        if "lr_end" not in kwargs:
            lines.append("lr_end = 1e-07 (polynomial default)")
        spec["schedule"] = {"type": "polynomial", "end_lr": end, "power": power}
    elif kind == "inverse_sqrt":
        timescale = kwargs.get("timescale")
        timescale = warm or 10_000 if timescale is None else number(timescale, "lr_scheduler_kwargs.timescale",
                                                                     integer=True, low=1)
        spec["schedule"] = {"type": "inverse_sqrt", "timescale": timescale}
    elif kind == "cosine_warmup_with_min_lr":
        cycles_half()
        floor = min_rate()
        rate = kwargs.get("warmup_lr_rate")
        if warm == 0:
            raise SpecError("warmup_steps", "must be >= 1 for cosine_warmup_with_min_lr (with 0 its decay starts "
                            "one step in, which no spec expresses)", warm)
        if rate is not None and warm == 1:
            raise SpecError("lr_scheduler_kwargs.warmup_lr_rate", "needs warmup_steps >= 2 (one warmup step at "
                            "the rate shifts the decay by one)", rate)
        start = lr / warm if rate is None else number(rate, "lr_scheduler_kwargs.warmup_lr_rate", low=0) * lr
        spec["warmup"] = {"steps": warm - 1, "shape": "linear", "start_lr": start}
        spec["schedule"] = {"type": "cosine", "min_lr": floor}
        spec["main_steps"] = max(1, total - warm)
        lines.append(f"warmup reaches the peak at step {warm - 1} and the decay ends at step {total - 1} "
                     "(this scheduler counts one step ahead)")
    elif kind == "warmup_stable_decay":
        spec.update(_wsd(lr, total, warm, kwargs, lines))
    return spec


def _restarts(kwargs: dict[str, Any], length: int, lines: list[str]) -> dict[str, Any]:
    """The schedule of ``cosine_with_restarts`` over a decay of ``length`` updates.

    transformers/optimization.py, ``_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda``:
    ``0.5 * (1 + cos(pi * ((float(num_cycles) * progress) % 1.0)))``, 0 once ``progress >= 1``. Any
    ``num_cycles`` runs: one is the plain cosine; any other count (whole or not, dividing the decay or not:
    cycles of fractional length) is the family's ``cycles``, which evaluates HF's own expression, bit for
    bit. 0 keeps the lr at its peak (``cos(0) = 1``).
    """
    cycles = number(kwargs.get("num_cycles", 1), "lr_scheduler_kwargs.num_cycles", low=0)
    if cycles == 0:
        lines.append("num_cycles = 0: (0 × progress) % 1 = 0, so the lr holds at its peak after warmup")
        return {"type": "constant"}
    if cycles == 1:
        return {"type": "cosine", "min_lr": 0.0}
    lines.append(f"{cycles:g} cosine cycles of {length / cycles:g} updates each over the {fmt_int(length)}-update "
                 "decay (HF's restarts need not fall on whole steps)")
    return {"type": "cosine_restarts", "cycles": float(cycles)}


def _wsd(lr: float, total: int, warm: int, kwargs: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    if kwargs.get("num_decay_steps") is None:
        raise SpecError("lr_scheduler_kwargs.num_decay_steps", "is required by warmup_stable_decay")
    decay = number(kwargs["num_decay_steps"], "lr_scheduler_kwargs.num_decay_steps", integer=True, low=1)
    stable = kwargs.get("num_stable_steps")
    stable = total - warm - decay if stable is None else number(stable, "lr_scheduler_kwargs.num_stable_steps",
                                                                integer=True, low=0)
    if warm >= total:
        stable = max(stable, 0)  # the run ends during warmup: the later phases never run
    if stable < 0:
        raise SpecError("lr_scheduler_kwargs.num_decay_steps", "must be <= total_steps - warmup_steps", decay,
                        f"total_steps {total}, warmup {warm}")
    ratio = number(kwargs.get("min_lr_ratio", 0.0), "lr_scheduler_kwargs.min_lr_ratio", low=0)
    cycles = number(kwargs.get("num_cycles", 0.5), "lr_scheduler_kwargs.num_cycles")
    if cycles != 0.5:
        raise SpecError("lr_scheduler_kwargs.num_cycles", "only 0.5 (one half cosine) has a spec family", cycles)
    warm_type = kwargs.get("warmup_type", "linear")
    decay_type = kwargs.get("decay_type", "cosine")
    warm_shape = {"linear": "linear", "cosine": "cosine"}.get(warm_type)
    if warm_shape is None:
        raise SpecError("lr_scheduler_kwargs.warmup_type", "must be linear or cosine (the spec has no 1-sqrt "
                        "warmup)", warm_type)
    shape = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}.get(decay_type)
    if shape is None:
        raise SpecError("lr_scheduler_kwargs.decay_type", "must be one of linear, cosine, 1-sqrt", decay_type)
    floor = ratio * lr
    out: dict[str, Any] = {
        "warmup": {"steps": warm, "shape": warm_shape, "start_lr": floor},
        "schedule": {"type": "wsd", "decay_steps": decay, "shape": shape, "min_lr": floor},
    }
    if stable + decay != total - warm:
        out["main_steps"] = stable + decay
    if warm and ratio:
        lines.append(f"warmup starts at min_lr_ratio × lr = {floor:g} (HF's WSD warmup)")
    lines.append(f"stable for {fmt_int(stable)} updates, then {decay_type} decay over {fmt_int(decay)}")
    return out


def import_hf(cfg: dict[str, Any], b: Budget, label: str = LABEL) -> Result:
    """A TrainingArguments mapping (JSON/YAML keys) -> spec, as Trainer runs it."""
    ds = cfg.get("deepspeed")
    if isinstance(ds, dict) and ds.get("scheduler"):
        raise SpecError("deepspeed.scheduler", "replaces the Trainer's scheduler; import the DeepSpeed scheduler "
                        "section's own values instead")
    lines: list[str] = []
    lr = get(cfg, "learning_rate", None, low=0)
    if lr is None:
        lr = 5e-5
        lines.append("learning_rate = 5e-05 (TrainingArguments default)")
    kind = cfg.get("lr_scheduler_type", "linear")
    if kind is None:
        kind = "linear"
    if not isinstance(kind, str):
        raise SpecError("lr_scheduler_type", "must be text", kind)
    kind = kind.removeprefix("SchedulerType.").lower()
    if "lr_scheduler_type" not in cfg:
        lines.append("lr_scheduler_type = linear (TrainingArguments default)")
    if kind in METRIC_DRIVEN:
        schedule_spec(kind, lr, 1, 0, {}, lines)
    total, t_lines = total_updates(cfg, b, label)
    lines += t_lines
    warm, w_lines = warmup_updates(cfg, total)
    lines += w_lines
    spec = schedule_spec(kind, lr, total, warm, scheduler_kwargs(cfg), lines)
    spec["name"] = f"{label} {kind}"[:80]
    lines.append("the scheduler steps once per optimizer update (Trainer)")
    return Result(spec=spec, assumptions=lines)


#: Model-card hyperparameter names -> TrainingArguments keys.
CARD_KEYS = {
    "learning_rate": "learning_rate",
    "train_batch_size": "per_device_train_batch_size",
    "gradient_accumulation_steps": "gradient_accumulation_steps",
    "lr_scheduler_type": "lr_scheduler_type",
    "lr_scheduler_warmup_steps": "warmup_steps",
    "lr_scheduler_warmup_ratio": "warmup_ratio",
    "training_steps": "max_steps",
    "num_epochs": "num_train_epochs",
}


#: How a Keras model card lists its optimizer: ``- optimizer: {'name': ..., 'learning_rate': ...}`` (a Python
#: dict repr), as transformers' ``modelcard.py`` ``TrainingSummary.from_keras`` writes it.
KERAS_OPTIMIZER_LINE = "- optimizer: {"
#: A Keras optimizer repr longer than this is not a model card's (it is parsed by ``ast.literal_eval``).
MAX_KERAS_REPR = 64 * 1024


def card_transformers_version(text: str) -> str | None:
    """The transformers version a model card's "Framework versions" list gives (``- Transformers 4.35.2``)."""
    match = re.search(r"^\s*-\s*Transformers\s+v?(\d+\.\d+[\w.+-]*)\s*$", text, re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else None


def keras_card_optimizer(text: str) -> dict[str, Any] | None:
    """The optimizer dict of a Keras model card's Training hyperparameters, or None when it has none.

    The value is a Python literal (``None``, ``True``, quotes): read with :func:`ast.literal_eval`, which
    builds literals only and never calls anything.
    """
    for stripped in _hyperparameter_lines(text):
        if stripped.startswith(KERAS_OPTIMIZER_LINE):
            raw = stripped[len("- optimizer:"):].strip()
            if len(raw) > MAX_KERAS_REPR:
                raise SpecError("optimizer", f"must be at most {MAX_KERAS_REPR // 1024} KB of text", len(raw))
            try:
                value = ast.literal_eval(raw)
            except (ValueError, SyntaxError, RecursionError, MemoryError, TypeError):
                raise SpecError("optimizer", "is not a Keras optimizer config (a Python dict literal)") from None
            if not isinstance(value, dict):
                raise SpecError("optimizer", "must be a dict of the optimizer's config", type(value).__name__)
            return value
    return None


def _hyperparameter_lines(text: str) -> Iterator[str]:
    """A model card's stripped lines under its "Training hyperparameters" heading (until the next heading)."""
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            inside = "training hyperparameters" in stripped.lower()
        elif inside:
            yield stripped


def parse_model_card(text: str) -> tuple[dict[str, Any], int | None]:
    """The ``- name: value`` lines under "Training hyperparameters" -> (TrainingArguments dict, num_devices)."""
    cfg: dict[str, Any] = {}
    devices = None
    for stripped in _hyperparameter_lines(text):
        if not stripped.startswith("- ") or ":" not in stripped:
            continue
        name, _, value = stripped[2:].partition(":")
        name, value = name.strip(), value.strip()
        if name == "num_devices":
            devices = number(value, "num_devices", integer=True, low=1)
        elif name in CARD_KEYS:
            cfg[CARD_KEYS[name]] = value
    if not cfg:
        raise SpecError("config", "has no \"Training hyperparameters\" list (- name: value lines)")
    if "max_steps" not in cfg:
        cfg.setdefault("num_train_epochs", "3.0")
    return cfg, devices
