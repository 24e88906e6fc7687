"""Import the training config people already have into spec v1, exactly as its trainer runs it.

``import_config(source, fmt=None, **budget)`` reads text (JSON, YAML, Python source, a model card's
markdown) or a dict, detects the format when ``fmt`` is None, and returns :class:`Imported`: a valid
:class:`~schedules.Spec`, the format's name and one assumption line per default filled in or rounding rule
applied. What the config does not say (usually the dataset length) is asked for with a
:class:`~schedules.SpecError` naming what to supply; what the spec cannot express exactly is refused with
one line naming the field. Nothing the user pasted is executed (see :mod:`schedules.imports.common` and
:mod:`schedules.imports.pysafe`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from schedules.errors import SpecError
from schedules.export.spec_line import find_spec_line
from schedules.imports import (
    axolotl,
    code_formats,
    config_formats,
    hf,
    litgpt,
    llamafactory,
    messages,
    torchtune,
    yaml_trainers,
)
from schedules.imports.common import MAX_TEXT_BYTES, Budget, Result, number, parse_data
from schedules.imports.pysafe import parse as parse_python
from schedules.spec import Spec, load_spec, loads_spec

FORMATS: dict[str, str] = {
    "hf": "Hugging Face TrainingArguments",
    "axolotl": "axolotl YAML",
    "llamafactory": "LLaMA-Factory YAML",
    "llamafactory_v1": "LLaMA-Factory v1 YAML",
    "torchtune": "torchtune YAML",
    "litgpt": "litgpt YAML",
    "timm": "timm args.yaml",
    "lightning": "Lightning CLI YAML",
    "torch": "PyTorch scheduler code",
    "nanogpt": "nanoGPT config",
    "keras": "Keras serialized schedule",
    "optax": "optax schedule code",
    "spec": "spec v1",
}
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK\x03\x04")


@dataclass(frozen=True)
class Imported:
    """An imported schedule: the spec, the detected (or given) format and how it was derived."""

    spec: Spec
    format: str
    assumptions: tuple[str, ...] = ()
    #: The transformers version a model card names ("Framework versions"), for reading its trainer_state.json.
    transformers_version: str | None = None


@dataclass(frozen=True)
class TrainerState:
    """What a Hugging Face ``trainer_state.json`` says: the run's update count and its logged lrs, placed at
    the update index whose lr each one is (which depends on the transformers version that wrote the file).

    ``logged`` is the reading used (``assumptions`` says which and why); ``alternative`` is the other
    version's reading of the same pairs, for a file whose version nothing gives.
    """

    max_steps: int
    logged: tuple[tuple[int, float], ...]
    assumptions: tuple[str, ...] = ()
    alternative: tuple[tuple[int, float], ...] = ()


#: transformers logs, at global step k, the lr update k − 1 used from this version on (``Trainer.
#: _inner_training_loop`` reads ``learning_rate = self._get_learning_rate()`` before ``lr_scheduler.step()``
#: and hands it to ``_maybe_log_save_evaluate``: huggingface/transformers PR #36973, first released in 4.51.0).
#: Before it (e.g. v4.48.1 ``trainer.py`` ``_inner_training_loop``: ``self.lr_scheduler.step()``, then
#: ``global_step += 1``, then ``_maybe_log_save_evaluate``, which logs ``self._get_learning_rate()``) the lr
#: logged at step k is the one after k scheduler steps: the lr update k will use.
LOGS_USED_LR_SINCE = (4, 51)
#: Both versions skip ``lr_scheduler.step()`` when the optimizer step was skipped (``if not
#: self.accelerator.optimizer_step_was_skipped``): fp16's GradScaler skips updates whose gradients overflow.
FP16_LAG = ("with fp16 mixed precision an update whose gradients overflow is skipped without a scheduler step "
            "(transformers 4 and 5), so the logged points may lag the curve by the updates skipped before them")


def _version_tuple(version: str) -> tuple[int, int]:
    parts = version.strip().lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise SpecError("transformers_version", "must look like 4.46.2", version) from None


def _text(source: Any) -> str | dict:
    if isinstance(source, dict):
        return source
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
        if raw.startswith(PICKLE_MAGIC) or raw[:1] == b"\x80":
            raise SpecError("config", "is a pickle or binary file (training_args.bin is a pickle: loading one runs "
                            "arbitrary code, so it is never read; use the run's trainer_state.json or config)")
        if len(raw) > MAX_TEXT_BYTES:
            raise SpecError("config", f"must be at most {MAX_TEXT_BYTES // (1024 * 1024)} MB", f"{len(raw)} bytes")
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError("config", "is not UTF-8 text (binary files are not read)") from None
    if not isinstance(source, str):
        raise SpecError("config", "must be text or a mapping", type(source).__name__)
    if "\x00" in source[:4096]:
        raise SpecError("config", "is binary, not text")
    if len(source) > MAX_TEXT_BYTES:
        raise SpecError("config", f"must be at most {MAX_TEXT_BYTES // (1024 * 1024)} MB", f"{len(source)} bytes")
    if not source.strip():
        raise SpecError("config", "is empty")
    return source


def read_trainer_state(source: Any, version: str | None = None) -> TrainerState:
    """``max_steps`` and the ``(update, learning_rate)`` pairs of ``log_history`` in a trainer_state.json.

    ``version`` is the transformers version that wrote the file (a model card's "Framework versions" gives
    it; the file itself does not). From 4.51 on, the lr logged at global step k is the one update ``k − 1``
    used, so it is placed at ``k − 1``; before, it is the lr update ``k`` uses, placed at ``k`` (see
    :data:`LOGS_USED_LR_SINCE`). Without a version the older reading is used (most files were written by
    it) and an assumption line says so; ``alternative`` holds the other reading.
    """
    data = _text(source)
    data = data if isinstance(data, dict) else parse_data(data)
    if not isinstance(data, dict) or "log_history" not in data:
        raise SpecError("config", "is not a trainer_state.json (no log_history)")
    max_steps = number(data.get("max_steps"), "max_steps", integer=True, low=1)
    history = data["log_history"]
    if not isinstance(history, list):
        raise SpecError("log_history", "must be a list")
    pairs = []
    for entry in history:
        if isinstance(entry, dict) and "learning_rate" in entry and "step" in entry:
            step = number(entry["step"], "log_history.step", integer=True, low=0)
            if step >= 1:
                pairs.append((step, float(number(entry["learning_rate"], "log_history.learning_rate", low=0))))
    used = tuple((k - 1, lr) for k, lr in pairs)
    upcoming = tuple(pairs)
    if version is not None and _version_tuple(version) >= LOGS_USED_LR_SINCE:
        lines = [f"transformers {version} logs at step k the lr update k − 1 used: points at k − 1"]
        logged, other = used, upcoming
    elif version is not None:
        lines = [f"transformers {version} logs at step k the lr after that step's scheduler step (the lr "
                 "update k uses): points at k"]
        logged, other = upcoming, used
    else:
        lines = ["transformers version not given: points placed as versions before 4.51 log them (at step k, "
                 "the lr update k uses); 4.51 and later (5.x too) log the lr update k − 1 used: give the "
                 "version to place them so"]
        logged, other = upcoming, used
    lines.append(FP16_LAG)
    return TrainerState(max_steps=max_steps, logged=logged, assumptions=tuple(lines), alternative=other)


def detect(source: str | dict) -> str:
    """The format of ``source`` (one of :data:`FORMATS`, or ``trainer_state`` / ``model_card``)."""
    source = _text(source)
    if isinstance(source, str):
        if find_spec_line(source) is not None:
            return "spec"
        stripped = source.lstrip()
        if "training hyperparameters" in source.lower() and ("- learning_rate:" in source or
                                                              hf.KERAS_OPTIMIZER_LINE in source):
            return "model_card"
        if not stripped.startswith(("{", "[")) and _looks_python(source):
            code_formats.refuse_nanogpt_eval(source)
            if "optax." in source:
                return "optax"
            return "nanogpt" if code_formats.looks_like_nanogpt(source) else "torch"
        data = parse_data(source)
    else:
        data = source
    if not isinstance(data, dict):
        raise SpecError("config", "must be a mapping of settings (JSON object or YAML mapping)")
    keys = set(data)
    if "log_history" in keys:
        return "trainer_state"
    if "schedule" in keys and "total_steps" in keys:
        return "spec"
    if "class_name" in keys and "config" in keys:
        return "keras"
    note = messages.not_a_schedule(data)
    if note is not None:
        raise SpecError("config", note)
    if litgpt.looks_like_litgpt(data):
        return "litgpt"
    if any(isinstance(data.get(k), dict) and "_component_" in data[k] for k in ("lr_scheduler", "optimizer")) or \
            messages.is_async_grpo(data):
        return "torchtune"
    if "lr_scheduler" in keys and (isinstance(data.get("lr_scheduler"), dict) or "optimizer" in keys) and \
            isinstance(data.get("optimizer"), dict):
        return "lightning"
    if keys & {"sched", "warmup_epochs", "lr_base", "sched_on_updates", "decay_milestones", "cooldown_epochs"}:
        return "timm"
    trainer = yaml_trainers.detect_trainer(data)
    if trainer is not None:
        return trainer
    if keys & {"learning_rate", "lr_scheduler_type", "num_train_epochs", "per_device_train_batch_size",
               "warmup_steps", "max_steps", "warmup_ratio"}:
        return "hf"
    raise SpecError("config", "format not recognised; choose it (" + ", ".join(FORMATS) + ")")


def _looks_python(text: str) -> bool:
    try:
        parse_python(text)
    except SpecError as exc:
        if not exc.rule.startswith("is not valid Python"):
            raise
        return False
    first = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not first:
        return False
    # YAML "key: value" lines are not Python assignments; Python has "=" or imports.
    return any("=" in line or line.lstrip().startswith(("import ", "from ")) for line in first)


def import_config(source: Any, fmt: str | None = None, *, total_steps: int | None = None,
                  steps_per_epoch: int | None = None, dataset_size: int | None = None,
                  batch_size: int | None = None, devices: int | None = None, grad_accum: int | None = None,
                  epochs: float | None = None) -> Imported:
    """Import a training config as the spec its trainer runs.

    Args:
        source: text (JSON, YAML, Python source, model-card markdown) or a mapping.
        fmt: one of :data:`FORMATS`, or None to detect it.
        total_steps, steps_per_epoch, dataset_size, batch_size, devices, grad_accum, epochs: the run's
            budget where the config lacks it (the config's own fields win); ``steps_per_epoch`` counts
            optimizer updates.

    Raises:
        SpecError: one line naming the field: an unknown format, a missing budget (what to supply), a
            setting the spec cannot express, or an unsafe/unreadable input.
    """
    budget = _budget(total_steps, steps_per_epoch, dataset_size, batch_size, devices, grad_accum, epochs)
    if fmt is not None and fmt not in FORMATS:
        raise SpecError("format", "must be one of " + ", ".join(FORMATS), fmt)
    text = _text(source)
    try:
        return _import(text, fmt, budget)
    except RecursionError:
        raise SpecError("config", "is nested too deeply") from None


def _import(text: str | dict, fmt: str | None, budget: Budget) -> Imported:
    kind = fmt or detect(text)
    if kind == "trainer_state":
        raise SpecError("lr_scheduler_type", "trainer_state.json logs the lr but not the schedule: import the "
                        "training config (TrainingArguments JSON or model card) and give this file's max_steps as "
                        "total_steps")
    if kind == "spec":
        return Imported(spec=_spec(text), format="spec", assumptions=("the spec exactly as written",))
    if kind == "model_card":
        if not isinstance(text, str):
            raise SpecError("config", "a model card is markdown text")
        keras_optimizer = hf.keras_card_optimizer(text)
        if keras_optimizer is not None:
            result = config_formats.import_keras_optimizer(keras_optimizer, budget)
            result.assumptions.insert(0, "read from the model card's Training hyperparameters (a Keras optimizer)")
            kind = "keras"
        else:
            cfg, devices = hf.parse_model_card(text)
            if devices and not budget.devices_given:
                budget.devices = devices
            result = hf.import_hf(cfg, budget)
            result.assumptions.insert(0, "read from the model card's Training hyperparameters")
            kind = "hf"
        version = hf.card_transformers_version(text)
        if version is not None:
            result.assumptions.append(f"written by transformers {version} (the card's Framework versions)")
            return replace(_finish(result, kind), transformers_version=version)
    elif kind in ("torch", "nanogpt", "optax"):
        if not isinstance(text, str):
            raise SpecError("config", f"{kind} is Python source text")
        if kind == "torch":
            result = code_formats.import_torch(text, budget)
        elif kind == "nanogpt":
            result = code_formats.import_nanogpt(text, budget)
        else:
            from schedules.imports import optax_code

            result = optax_code.import_optax(text, budget)
    else:
        data = text if isinstance(text, dict) else parse_data(text)
        if not isinstance(data, dict):
            raise SpecError("config", "must be a mapping of settings")
        reader = {"hf": hf.import_hf, "axolotl": axolotl.import_axolotl,
                  "llamafactory": llamafactory.import_llamafactory, "torchtune": torchtune.import_torchtune,
                  "llamafactory_v1": llamafactory.import_llamafactory_v1,
                  "litgpt": litgpt.import_litgpt, "timm": config_formats.import_timm,
                  "lightning": config_formats.import_lightning, "keras": config_formats.import_keras}[kind]
        result = reader(data, budget)
    return _finish(result, kind)


def _finish(result: Result, kind: str) -> Imported:
    spec = load_spec(result.spec)
    return Imported(spec=spec, format=kind, assumptions=tuple(result.assumptions))


def _spec(text: str | dict) -> Spec:
    if isinstance(text, dict):
        return load_spec(text)
    line = find_spec_line(text)
    if line is not None:
        return loads_spec(line)
    data = parse_data(text)
    if not isinstance(data, dict):
        raise SpecError("spec", "must be a mapping of spec fields")
    return load_spec(data)


def _budget(total_steps: Any, steps_per_epoch: Any, dataset_size: Any, batch_size: Any, devices: Any,
            grad_accum: Any, epochs: Any) -> Budget:
    def n(value: Any, name: str) -> int | None:
        return None if value is None else number(value, name, integer=True, low=1)

    return Budget(
        total_steps=n(total_steps, "total_steps"), steps_per_epoch=n(steps_per_epoch, "steps_per_epoch"),
        dataset_size=n(dataset_size, "dataset_size"), batch_size=n(batch_size, "batch_size"),
        devices=n(devices, "devices") or 1, grad_accum=n(grad_accum, "grad_accum"), devices_given=devices is not None,
        epochs=None if epochs is None else number(epochs, "epochs", low=0),
    )


__all__ = ["FORMATS", "Imported", "TrainerState", "detect", "import_config", "read_trainer_state"]
