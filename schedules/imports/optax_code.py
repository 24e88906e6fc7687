"""optax schedule code (``optax/schedules/_schedule.py``, optax 0.2.8) -> spec v1, read with
:mod:`schedules.imports.pysafe` (never run). optax evaluates ``schedule(count)`` with ``count`` the number
of updates so far, so update k uses ``schedule(k)``.

- ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, end_value=0,
  exponent=1)``: linear warmup from init, cosine to end; ``decay_steps`` includes the warmup.
- ``cosine_decay_schedule(init_value, decay_steps, alpha=0, exponent=1)``: cosine to ``alpha × init``.
- ``linear_schedule`` / ``polynomial_schedule(init_value, end_value, [power,] transition_steps,
  transition_begin=0)``: decays from init to end (a rising one is a warmup to a constant).
- ``exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0, staircase=False)``.
- ``constant_schedule(value)``; ``piecewise_constant_schedule(init_value, {step: scale})`` with one scale.
"""

from __future__ import annotations

from typing import Any

from schedules.errors import SpecError
from schedules.imports.common import Budget, Result, number, run_length
from schedules.imports.pysafe import Call, bind_args, evaluate

SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "warmup_cosine_decay_schedule": (("init_value", None), ("peak_value", None), ("warmup_steps", None),
                                     ("decay_steps", None), ("end_value", 0.0), ("exponent", 1.0)),
    "cosine_decay_schedule": (("init_value", None), ("decay_steps", None), ("alpha", 0.0), ("exponent", 1.0)),
    "linear_schedule": (("init_value", None), ("end_value", None), ("transition_steps", None),
                        ("transition_begin", 0)),
    "polynomial_schedule": (("init_value", None), ("end_value", None), ("power", None), ("transition_steps", None),
                            ("transition_begin", 0)),
    "exponential_decay": (("init_value", None), ("transition_steps", None), ("decay_rate", None),
                          ("transition_begin", 0), ("staircase", False), ("end_value", None)),
    "constant_schedule": (("value", None),),
    "piecewise_constant_schedule": (("init_value", None), ("boundaries_and_scales", None)),
}
KNOWN = {f"{prefix}{name}": name for name in SIGNATURES
         for prefix in ("optax.", "optax.schedules.", "")}


def import_optax(source: str, b: Budget) -> Result:
    ev = evaluate(source, KNOWN)
    if not ev.calls:
        raise SpecError("schedule", "no optax schedule call found (" + ", ".join(SIGNATURES) + ")")
    if len(ev.calls) > 1:
        raise SpecError("schedule", "more than one optax schedule (lines " + ", ".join(str(c.line) for c in ev.calls)
                        + "); join_schedules is not imported")
    call: Call = ev.calls[0]
    a = bind_args(call, SIGNATURES[call.name], tuple(n for n, d in SIGNATURES[call.name] if d is None
                                                     and n not in ("end_value",)))
    n = call.name

    def f(key: str) -> float:
        return float(number(a[key], f"{n}.{key}"))

    def i(key: str) -> int:
        return number(a[key], f"{n}.{key}", integer=True, low=0)

    lines: list[str] = []
    natural: int | None
    if n == "warmup_cosine_decay_schedule":
        if f("exponent") != 1.0:
            raise SpecError(f"{n}.exponent", "must be 1 (the spec's cosine has no exponent)", a["exponent"])
        warm, decay = i("warmup_steps"), i("decay_steps")
        if decay <= warm:
            raise SpecError(f"{n}.decay_steps", "must be > warmup_steps (it includes the warmup)", decay)
        spec: dict[str, Any] = {"lr": f("peak_value"), "schedule": {"type": "cosine", "min_lr": f("end_value")}}
        if warm:
            spec["warmup"] = {"steps": warm, "start_lr": f("init_value")}
        natural = decay
    elif n == "cosine_decay_schedule":
        if f("exponent") != 1.0:
            raise SpecError(f"{n}.exponent", "must be 1 (the spec's cosine has no exponent)", a["exponent"])
        spec = {"lr": f("init_value"), "schedule": {"type": "cosine", "min_lr": f("alpha") * f("init_value")}}
        natural = number(a["decay_steps"], f"{n}.decay_steps", integer=True, low=1)
    elif n in ("linear_schedule", "polynomial_schedule"):
        if i("transition_begin"):
            raise SpecError(f"{n}.transition_begin", "must be 0", a["transition_begin"])
        init, end, steps = f("init_value"), f("end_value"), i("transition_steps")
        power = 1.0 if n == "linear_schedule" else f("power")
        if steps < 1:
            raise SpecError(f"{n}.transition_steps", "must be >= 1", steps)
        if end <= init:
            spec = {"lr": init, "schedule": {"type": "polynomial" if power != 1.0 else "linear", "end_lr": end}}
            if power != 1.0:
                spec["schedule"]["power"] = power
        elif power == 1.0:
            spec = {"lr": end, "warmup": {"steps": steps, "start_lr": init}, "schedule": {"type": "constant"}}
            lines.append("a rising linear schedule is a warmup to a constant")
        else:
            raise SpecError(f"{n}.power", "a rising polynomial has no spec family", power)
        natural = steps if end <= init else None
    elif n == "exponential_decay":
        if a["end_value"] is not None:
            raise SpecError(f"{n}.end_value", "clips the decay; the spec has no clip")
        rate, steps = f("decay_rate"), f("transition_steps")
        if steps <= 0 or rate == 0:
            raise SpecError(f"{n}.transition_steps", "must be > 0 with a non-zero decay_rate", a["transition_steps"])
        spec = {"lr": f("init_value"), "schedule": {"type": "exponential", "gamma": rate, "decay_steps": steps,
                                                    "staircase": bool(a["staircase"])}}
        begin = i("transition_begin")
        if begin:
            spec["warmup"] = {"steps": begin, "shape": "constant", "start_lr": f("init_value")}
            lines.append(f"held at init_value for transition_begin = {begin} steps")
        natural = None
    elif n == "constant_schedule":
        spec = {"lr": f("value"), "schedule": {"type": "constant"}}
        natural = None
    else:
        pairs = a["boundaries_and_scales"]
        if not isinstance(pairs, dict) or not pairs:
            raise SpecError(f"{n}.boundaries_and_scales", "must be a dict {step: scale}")
        scales = {float(number(v, f"{n}.boundaries_and_scales")) for v in pairs.values()}
        if len(scales) != 1:
            raise SpecError(f"{n}.boundaries_and_scales", "must use one scale at every boundary to import as "
                            "multistep")
        ms = sorted(number(k, f"{n}.boundaries_and_scales", integer=True, low=1) for k in pairs)
        spec = {"lr": f("init_value"), "schedule": {"type": "multistep", "milestones": ms, "gamma": scales.pop()}}
        natural = None
    total = run_length(b.total_steps, natural, lines,
                       SpecError("total_steps", f"{n} does not end by itself; supply total_steps"))
    spec["total_steps"] = total
    warm = spec.get("warmup", {}).get("steps", 0)
    if natural is not None and spec["schedule"]["type"] != "constant" and natural != total:
        spec["main_steps"] = natural - warm
    spec["name"] = f"optax {n}"
    lines.append("update k uses schedule(count = k); optax computes in float32")
    return Result(spec=spec, assumptions=lines)
