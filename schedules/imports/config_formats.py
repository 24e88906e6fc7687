"""timm ``args.yaml``, Lightning CLI YAML and Keras serialized schedules -> spec v1.

timm (``timm/scheduler/scheduler_factory.py`` ``create_scheduler_v2`` and ``scheduler_kwargs``,
``train.py``; timm 1.0.31): all ``*_epochs`` are epochs unless ``sched_on_updates`` (then × updates per
epoch, stepped per update); ``warmup_prefix`` False overlays the warmup on the decay's clock; the run is
``epochs (+ warmup if prefixed) + cooldown_epochs``; ``multistep`` decays one epoch before each milestone;
``poly`` uses ``decay_rate`` as its power; ``lr`` unset is ``lr_base × global_batch / lr_base_size``
(square root of the ratio for ada*/lamb optimizers); updates per epoch are
``ceil(floor(dataset_size / (batch_size × devices)) / grad_accum_steps)`` (the train loader drops the last
batch).

Lightning CLI: ``optimizer`` and ``lr_scheduler`` are ``class_path`` + ``init_args``; LightningCLI returns
the scheduler without a config, so Lightning steps it once per epoch.

Keras: ``{"class_name", "config"}`` as ``keras.optimizers.schedules.serialize`` writes it.
"""

from __future__ import annotations

import math
from typing import Any

from schedules.errors import SpecError
from schedules.imports import torch_sched
from schedules.imports.common import (
    Budget,
    Result,
    flag,
    fmt_int,
    get,
    need_budget,
    number,
    run_length,
    text_value,
)
from schedules.imports.pysafe import Call


def timm_updates_per_epoch(cfg: dict[str, Any], b: Budget, lines: list[str]) -> int:
    if b.steps_per_epoch is not None:
        lines.append(f"updates per epoch = {fmt_int(b.steps_per_epoch)} (supplied)")
        return b.steps_per_epoch
    bs = get(cfg, "batch_size", None, integer=True, low=1) or b.batch_size
    accum = get(cfg, "grad_accum_steps", None, integer=True, low=1) or b.grad_accum or 1
    if b.dataset_size is None or bs is None:
        raise need_budget("steps_per_epoch, or dataset_size (and batch_size if the config lacks it)", "timm")
    loader = b.dataset_size // (bs * b.devices)
    if loader < 1:
        raise SpecError("dataset_size", "is smaller than one batch", b.dataset_size)
    updates = (loader + accum - 1) // accum
    lines.append(f"updates per epoch = ceil(floor({fmt_int(b.dataset_size)} / ({bs} × {b.devices})) / {accum}) = "
                 f"{fmt_int(updates)} (timm's loader drops the last batch)")
    return updates


def import_timm(cfg: dict[str, Any], b: Budget) -> Result:
    lines: list[str] = []
    sched = text_value(cfg, "sched", "cosine")
    if sched in ("plateau",):
        raise SpecError("sched", "plateau depends on a validation metric, so no curve exists in advance", sched)
    if sched not in ("cosine", "step", "multistep", "poly"):
        raise SpecError("sched", "must be cosine, step, multistep or poly (tanh has no spec family)", sched)
    if cfg.get("lr_noise") not in (None, [], ""):
        raise SpecError("lr_noise", "draws from torch's random generator; a spec cannot reproduce it")
    k_decay = get(cfg, "lr_k_decay", 1.0)
    if k_decay != 1.0:
        raise SpecError("lr_k_decay", "must be 1 (the spec has no k-decay)", k_decay)
    lr = get(cfg, "lr", None, low=0)
    if lr is None:
        base = get(cfg, "lr_base", 0.1, low=0)
        base_size = get(cfg, "lr_base_size", 256, integer=True, low=1)
        bs = get(cfg, "batch_size", None, integer=True, low=1) or b.batch_size
        if bs is None:
            raise SpecError("batch_size", "is needed to scale lr_base (lr is not set)")
        accum = get(cfg, "grad_accum_steps", 1, integer=True, low=1)
        ratio = bs * b.devices * accum / base_size
        scale = text_value(cfg, "lr_base_scale", "")
        if not scale:
            opt = text_value(cfg, "opt", "sgd").lower()
            scale = "sqrt" if any(o in opt for o in ("ada", "lamb")) else "linear"
        if scale == "sqrt":
            ratio = ratio**0.5
        lr = base * ratio
        lines.append(f"lr = lr_base × ({scale}) global batch / {base_size} = {lr:g} (lr not set)")
    per_update = flag(cfg, "sched_on_updates", False)
    epochs = get(cfg, "epochs", 300, integer=True, low=1)
    warm_e = get(cfg, "warmup_epochs", 5 if "warmup_epochs" not in cfg else 0, integer=True, low=0)
    if "warmup_epochs" not in cfg:
        lines.append("warmup_epochs = 5 (train.py default)")
    warm_lr = get(cfg, "warmup_lr", 1e-5, low=0)
    min_lr = get(cfg, "min_lr", 0.0, low=0)
    cooldown = get(cfg, "cooldown_epochs", 0, integer=True, low=0)
    prefix = flag(cfg, "warmup_prefix", False)
    decay_rate = get(cfg, "decay_rate", 0.1, low=0)
    cycle_mul = get(cfg, "lr_cycle_mul", 1.0, low=1)
    cycle_decay = get(cfg, "lr_cycle_decay", 0.5, low=0)
    cycle_limit = get(cfg, "lr_cycle_limit", 1, integer=True, low=1)
    upe = timm_updates_per_epoch(cfg, b, lines)
    unit = upe if per_update else 1
    scale = 1 if per_update else upe
    lines.append("stepped once per update (sched_on_updates)" if per_update
                 else f"stepped once per epoch: each epoch's {fmt_int(upe)} updates share one lr")
    t_initial = epochs * unit
    warm = warm_e * unit
    schedule: dict[str, Any]
    if sched == "cosine" or sched == "poly":
        if cycle_limit > 1 and sched == "cosine":
            schedule = {"type": "cosine_restarts", "period": t_initial, "period_mult": cycle_mul,
                        "peak_decay": cycle_decay, "min_lr": min_lr}
            if cycle_mul != 1.0:
                cycle_len = math.floor(-t_initial * (cycle_mul**cycle_limit - 1) / (1 - cycle_mul))
            else:
                cycle_len = t_initial * cycle_limit
            length = cycle_len
            lines.append(f"{cycle_limit} cycles, each peak × {cycle_decay:g}")
        elif cycle_limit > 1:
            raise SpecError("lr_cycle_limit", "poly with more than one cycle has no spec family", cycle_limit)
        elif sched == "cosine":
            schedule, length = {"type": "cosine", "min_lr": min_lr}, t_initial
        else:
            schedule, length = {"type": "polynomial", "end_lr": min_lr, "power": decay_rate}, t_initial
            lines.append(f"poly power = decay_rate = {decay_rate:g} (timm)")
        main_len = length
        run = length + (warm if prefix else 0) + cooldown * unit
    elif sched == "step":
        decay_t = get(cfg, "decay_epochs", 90, low=0)
        if not float(decay_t).is_integer():
            raise SpecError("decay_epochs", "must be whole epochs for a spec", decay_t)
        schedule = {"type": "step", "step_size": int(decay_t) * unit, "gamma": decay_rate}
        main_len = None
        run = t_initial + (warm if prefix else 0) + cooldown * unit
    else:
        raw = cfg.get("decay_milestones", [90, 180, 270])
        if not isinstance(raw, list) or not raw:
            raise SpecError("decay_milestones", "must be a list of epochs", raw)
        ms = [number(m, "decay_milestones", integer=True, low=2) * unit - unit for m in raw]
        if per_update:
            ms = [m + unit - 1 for m in ms]
        schedule = {"type": "multistep", "milestones": ms, "gamma": decay_rate}
        lines.append("multistep decays one step before each milestone (timm's bisect_right(milestones, t + 1))")
        main_len = None
        run = t_initial + (warm if prefix else 0) + cooldown * unit
    if cooldown:
        lines.append(f"cooldown_epochs = {cooldown} added at min_lr")
    spec: dict[str, Any] = {"name": f"timm {sched}", "total_steps": run * scale, "lr": lr, "schedule": schedule}
    if warm:
        spec["warmup"] = {"steps": warm * scale, "start_lr": warm_lr, "overlay": not prefix}
        if not prefix:
            lines.append("warmup overlaid on the decay's clock (warmup_prefix false)")
    if scale != 1:
        sch = spec["schedule"]
        for key in ("step_size", "period"):
            if key in sch:
                sch[key] = sch[key] * scale
        if "milestones" in sch:
            sch["milestones"] = [m * scale for m in sch["milestones"]]
        spec["steps_per_epoch"] = scale
        spec["interval"] = "epoch"
    if main_len is not None:
        derived = spec["total_steps"] - (0 if not warm or not prefix else warm * scale)
        if main_len * scale != derived:
            spec["main_steps"] = main_len * scale
    elif warm and not prefix:
        pass
    return Result(spec=spec, assumptions=lines)


def _class_call(node: Any, path: str) -> Call:
    if isinstance(node, str):
        return Call(node.rsplit(".", 1)[-1], [], {}, 0)
    if not isinstance(node, dict) or "class_path" not in node:
        raise SpecError(path, "must have class_path (and init_args)")
    init = node.get("init_args") or {}
    if not isinstance(init, dict):
        raise SpecError(f"{path}.init_args", "must be a mapping")
    cls = str(node["class_path"])
    return Call(cls.rsplit(".", 1)[-1], [], dict(init), 0)


def import_lightning(cfg: dict[str, Any], b: Budget) -> Result:
    lines: list[str] = []
    opt = _class_call(cfg.get("optimizer"), "optimizer")
    if opt.short not in torch_sched.OPTIMIZER_LR:
        raise SpecError("optimizer.class_path", "is not a known torch optimizer", opt.short)
    lr = opt.kwargs.get("lr")
    if lr is None:
        lr = torch_sched.OPTIMIZER_LR[opt.short]
        lines.append(f"lr = {lr:g} ({opt.short} default)")
    lr = float(number(lr, "optimizer.init_args.lr", low=0))
    sched = _class_call(cfg.get("lr_scheduler"), "lr_scheduler")
    sched.kwargs = {k: _coerce(v) for k, v in sched.kwargs.items()}
    trainer = cfg.get("trainer") or {}
    if not isinstance(trainer, dict):
        raise SpecError("trainer", "must be a mapping")
    accum = get(trainer, "accumulate_grad_batches", 1, "trainer.accumulate_grad_batches", integer=True, low=1)
    if b.steps_per_epoch is not None:
        upe = b.steps_per_epoch
    elif b.dataset_size is not None and b.batch_size is not None:
        batches = -(-b.dataset_size // (b.batch_size * b.devices))
        upe = -(-batches // accum)
        lines.append(f"updates per epoch = ceil(ceil({fmt_int(b.dataset_size)} / ({b.batch_size} × {b.devices})) / "
                     f"{accum}) = {fmt_int(upe)}")
    else:
        raise need_budget("steps_per_epoch (optimizer updates per epoch), or dataset_size and batch_size",
                          "Lightning")
    max_epochs = get(trainer, "max_epochs", None, "trainer.max_epochs", integer=True, low=1)
    max_steps = get(trainer, "max_steps", -1, "trainer.max_steps", integer=True)
    if max_steps > 0:
        if max_steps % upe:
            raise SpecError("trainer.max_steps", "must be whole epochs for an epoch-stepped scheduler", max_steps,
                            f"{upe} updates per epoch")
        epochs = max_steps // upe
    elif max_epochs is not None:
        epochs = max_epochs
    elif b.epochs is not None:
        epochs = int(b.epochs)
    else:
        epochs = None
    lines.append("LightningCLI steps the scheduler once per epoch (interval 'epoch')")
    spec = torch_sched.to_spec(sched, lr, epochs, upe, lines)
    spec = torch_sched.finish(spec, upe, lines)
    spec["name"] = f"Lightning {sched.short}"
    return Result(spec=spec, assumptions=lines)


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return number(value, "value")
        except SpecError:
            return value
    if isinstance(value, list):
        return [_coerce(v) for v in value]
    return value


def import_keras(cfg: dict[str, Any], b: Budget) -> Result:
    lines: list[str] = []
    name = cfg.get("class_name")
    conf = cfg.get("config")
    if not isinstance(name, str) or not isinstance(conf, dict):
        raise SpecError("class_name", "a Keras schedule is {\"class_name\": ..., \"config\": {...}}")
    p = "config."
    if name == "CosineDecay":
        lr0 = get(conf, "initial_learning_rate", None, p + "initial_learning_rate", low=0)
        decay = get(conf, "decay_steps", None, p + "decay_steps", integer=True, low=1)
        alpha = get(conf, "alpha", 0.0, p + "alpha", low=0)
        target = get(conf, "warmup_target", None, p + "warmup_target", low=0)
        warm = get(conf, "warmup_steps", 0, p + "warmup_steps", integer=True, low=0)
        if lr0 is None or decay is None:
            raise SpecError(p + "decay_steps", "initial_learning_rate and decay_steps are required")
        if target is None:
            if warm:
                lines.append("warmup_steps ignored: Keras warms up only with warmup_target")
            peak, warm, start = lr0, 0, 0.0
        else:
            peak, start = target, lr0
        spec: dict[str, Any] = {"lr": peak, "schedule": {"type": "cosine", "min_lr": alpha * peak}}
        if warm:
            spec["warmup"] = {"steps": warm, "start_lr": start}
        natural = warm + decay
    elif name == "ExponentialDecay":
        lr0 = get(conf, "initial_learning_rate", None, p + "initial_learning_rate", low=0)
        spec = {"lr": lr0, "schedule": {"type": "exponential",
                                        "gamma": get(conf, "decay_rate", None, p + "decay_rate", low=0),
                                        "decay_steps": get(conf, "decay_steps", None, p + "decay_steps", low=0),
                                        "staircase": bool(conf.get("staircase", False))}}
        natural = None
    elif name == "PolynomialDecay":
        if conf.get("cycle"):
            raise SpecError(p + "cycle", "must be false (a cycled PolynomialDecay resumes mid-curve)")
        lr0 = get(conf, "initial_learning_rate", None, p + "initial_learning_rate", low=0)
        decay = get(conf, "decay_steps", None, p + "decay_steps", integer=True, low=1)
        spec = {"lr": lr0, "schedule": {"type": "polynomial",
                                        "end_lr": get(conf, "end_learning_rate", 1e-4, p + "end_learning_rate"),
                                        "power": get(conf, "power", 1.0, p + "power")}}
        natural = decay
    elif name == "PiecewiseConstantDecay":
        bounds, values = conf.get("boundaries"), conf.get("values")
        if not isinstance(bounds, list) or not isinstance(values, list) or len(values) != len(bounds) + 1:
            raise SpecError(p + "values", "must have one more entry than boundaries")
        vals = [float(number(v, p + "values", low=0)) for v in values]
        ratios = [vals[i + 1] / vals[i] for i in range(len(bounds))] if all(vals) else [0.0]
        if any(abs(r - ratios[0]) > 1e-12 * abs(ratios[0]) for r in ratios):
            raise SpecError(p + "values", "must fall by one constant factor to import as multistep")
        # Keras keeps the old value at the boundary step itself: the new one starts at b + 1.
        spec = {"lr": vals[0], "schedule": {"type": "multistep",
                                            "milestones": [number(x, p + "boundaries", integer=True, low=0) + 1
                                                           for x in bounds], "gamma": ratios[0]}}
        lines.append("each boundary step still uses the previous value (Keras)")
        natural = None
    elif name == "CosineDecayRestarts":
        lr0 = get(conf, "initial_learning_rate", None, p + "initial_learning_rate", low=0)
        alpha, m_mul = get(conf, "alpha", 0.0, p + "alpha"), get(conf, "m_mul", 1.0, p + "m_mul")
        if alpha and m_mul != 1.0:
            raise SpecError(p + "alpha", "with m_mul != 1 Keras does not scale alpha by m_mul; the spec does", alpha)
        spec = {"lr": lr0, "schedule": {"type": "cosine_restarts",
                                        "period": get(conf, "first_decay_steps", None, p + "first_decay_steps",
                                                      integer=True, low=1),
                                        "period_mult": get(conf, "t_mul", 2.0, p + "t_mul"),
                                        "peak_decay": m_mul, "min_lr": alpha * lr0}}
        natural = None
    elif name == "InverseTimeDecay":
        raise SpecError("class_name", "InverseTimeDecay has no spec family", name)
    else:
        raise SpecError("class_name", "is not a known Keras schedule", name)
    total = run_length(b.total_steps, natural, lines,
                       need_budget("total_steps (the schedule does not end by itself)", "Keras"))
    spec["total_steps"] = total
    warm = spec.get("warmup", {}).get("steps", 0)
    if name in ("CosineDecay", "PolynomialDecay"):
        length = natural - warm
        if length != total - warm:
            spec["main_steps"] = length
    spec["name"] = f"Keras {name}"
    lines.append("update k uses schedule(optimizer.iterations = k); Keras computes in float32")
    return Result(spec=spec, assumptions=lines)


def import_keras_optimizer(opt: dict[str, Any], b: Budget) -> Result:
    """A Keras optimizer config (a Keras model card's ``- optimizer: {...}``) -> spec: its ``learning_rate``,
    a number (constant) or a serialized schedule, possibly wrapped in transformers' ``WarmUp``.

    ``WarmUp`` (transformers ``src/transformers/optimization_tf.py`` ``WarmUp.__call__``, as its
    ``create_optimizer`` builds it; github.com/huggingface/transformers, since PR #4940, v3.0): for
    ``step < warmup_steps`` the lr is ``initial_learning_rate · (step / warmup_steps) ** power``, after it
    ``decay_schedule_fn(step − warmup_steps)``: a prefixed warmup from 0 (linear for power 1, quadratic for 2)
    into the wrapped schedule on its own clock. The legacy Keras 2 ``decay`` argument (``lr / (1 + decay · t)``)
    has no spec family and is refused unless 0.
    """
    decay = opt.get("decay")
    if decay not in (None, 0, 0.0, False):
        raise SpecError("optimizer.decay", "Keras 2's per-update decay lr / (1 + decay · t) has no spec family",
                        decay)
    key = "learning_rate" if "learning_rate" in opt else "lr"
    value = opt.get(key)
    name = str(opt.get("name", "the optimizer"))
    if value is None:
        raise SpecError(f"optimizer.{key}", f"is missing from {name}'s config")
    if not isinstance(value, dict):
        lr = float(number(value, f"optimizer.{key}", low=0))
        lines = [f"{name} with a constant learning_rate {lr:g}"]
        total = run_length(b.total_steps, None, lines, need_budget("total_steps (the lr is constant; the card "
                                                                   "does not count the updates)", "Keras"))
        return Result(spec={"name": f"Keras {name} constant", "total_steps": total, "lr": lr,
                            "schedule": {"type": "constant"}}, assumptions=lines)
    if value.get("class_name") != "WarmUp":
        result = import_keras(value, b)
        result.assumptions.insert(0, f"{name}'s learning_rate is a {value.get('class_name')}")
        return result
    conf = value.get("config")
    p = f"optimizer.{key}.config."
    if not isinstance(conf, dict):
        raise SpecError(p.rstrip("."), "must be the WarmUp's config mapping")
    warm = get(conf, "warmup_steps", None, p + "warmup_steps", integer=True, low=1)
    peak = get(conf, "initial_learning_rate", None, p + "initial_learning_rate", low=0)
    power = get(conf, "power", 1.0, p + "power")
    inner = conf.get("decay_schedule_fn")
    if warm is None or peak is None:
        raise SpecError(p + "warmup_steps", "WarmUp needs warmup_steps and initial_learning_rate")
    if not isinstance(inner, dict):
        raise SpecError(p + "decay_schedule_fn", "is not a serialized schedule (the card wrote an object's repr), so "
                        "the decay after warmup is not known", inner)
    shape = {1.0: "linear", 2.0: "quadratic"}.get(float(power))
    if shape is None:
        raise SpecError(p + "power", "must be 1 or 2 (a linear or quadratic warmup)", power)
    rest = None if b.total_steps is None else b.total_steps - warm
    if rest is not None and rest < 1:
        raise SpecError(p + "warmup_steps", "must be < total_steps", warm, f"total_steps {b.total_steps}")
    result = import_keras(inner, Budget(total_steps=rest))
    spec = result.spec
    if "warmup" in spec:
        raise SpecError(p + "decay_schedule_fn", "has its own warmup inside WarmUp, which the spec cannot nest")
    if spec["lr"] != peak:
        raise SpecError(p + "initial_learning_rate", f"must equal the wrapped schedule's start ({spec['lr']:g}): "
                        "otherwise the lr jumps after warmup, which the spec has no shape for", peak)
    main = spec.get("main_steps", spec["total_steps"])
    spec["total_steps"] = spec["total_steps"] + warm
    spec["warmup"] = {"steps": warm, "shape": shape, "start_lr": 0.0}
    if main != spec["total_steps"] - warm:
        spec["main_steps"] = main
    else:
        spec.pop("main_steps", None)
    spec["name"] = f"Keras WarmUp + {inner.get('class_name')}"
    lines = [f"transformers WarmUp: {shape} warmup from 0 over {fmt_int(warm)} updates, then "
             f"{inner.get('class_name')} on its own clock (step − warmup_steps)"]
    lines += [line.replace("total_steps = ", "decay length = ", 1) if line.startswith("total_steps = ") else line
              for line in result.assumptions]
    lines.append(f"total_steps = {fmt_int(spec['total_steps'])}")
    return Result(spec=spec, assumptions=lines)
