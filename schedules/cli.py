"""Command line: ``python -m schedules curve|validate|presets|export|import``.

Invalid input prints the one-line SpecError message on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from schedules.curve import curve
from schedules.errors import SpecError
from schedules.presets import load_preset, preset_names
from schedules.registry import FAMILIES
from schedules.spec import MAX_SPEC_BYTES, Spec, check_finite, load_spec, loads_spec

EXIT_INVALID = 2
SPEC_HELP = "spec file (.json, .yaml or .yml), or - for JSON on stdin"


def _read(source: str) -> Spec:
    """SPEC is a path (JSON, or YAML for ``.yaml``/``.yml``), or ``-`` for standard input (JSON text)."""
    if source == "-":
        return loads_spec(sys.stdin.read(MAX_SPEC_BYTES + 1))
    if source.lower().endswith((".yaml", ".yml")):
        return load_spec(read_yaml_spec(Path(source)))
    return load_spec(Path(source))


#: Spec fields that hold numbers, by path; ``schedule.*`` numbers come from the family's registry entry.
NUMBER_FIELDS = ("total_steps", "lr", "steps_per_epoch", "warmup.steps", "warmup.start_lr", "momentum.base",
                 "momentum.max")


def read_yaml_spec(path: Path) -> dict:
    """A YAML spec file as spec data: ``yaml.safe_load`` (data only, never Python objects), size-capped.

    YAML 1.1 (PyYAML) reads ``1e-4`` (no dot) as the string ``"1e-4"``, so a number field holding text is
    read as a number; text that is not one is refused naming the field (``lr: must be a number``).

    Raises:
        SpecError: unreadable, too large, not YAML, not a mapping, or a number field that is not a number.
    """
    # PyYAML is only needed here, by the command line; the engine itself stays NumPy and stdlib only.
    import yaml

    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError("spec", f"must be at most {MAX_SPEC_BYTES // 1024} KB", path.stat().st_size)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("spec", "must be a readable UTF-8 YAML file", str(path), type(exc).__name__) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise SpecError("spec", f"is not valid YAML: {getattr(exc, 'problem', None) or 'syntax error'}{where}") \
            from None
    except RecursionError:
        raise SpecError("spec", "is nested too deeply") from None
    if not isinstance(data, dict):
        raise SpecError("spec", "must be a mapping of spec fields", type(data).__name__)
    check_finite(data)
    return _numbers_from_text(data)


def _numbers_from_text(data: dict) -> dict:
    """``data`` with numeric text in number fields read as numbers (ints stay ints: ``"2000"`` -> 2000)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    fields: list[tuple[dict, str, str]] = []
    for path in NUMBER_FIELDS:
        parent, _, key = path.rpartition(".")
        holder = data.get(parent) if parent else data
        if isinstance(holder, dict):
            fields.append((holder, key, path))
    schedule = data.get("schedule")
    if isinstance(schedule, dict) and schedule.get("type") in FAMILIES:
        for p in FAMILIES[schedule["type"]].params:
            if p.kind in ("int", "float"):
                fields.append((schedule, p.name, f"schedule.{p.name}"))
            elif p.kind == "int_list" and isinstance(schedule.get(p.name), list):
                schedule[p.name] = [_number(v, f"schedule.{p.name}[{i}]") for i, v in enumerate(schedule[p.name])]
    groups = data.get("param_groups")
    if isinstance(groups, list):
        data["param_groups"] = [dict(g) if isinstance(g, dict) else g for g in groups]
        fields += [(g, "lr_scale", f"param_groups[{i}].lr_scale") for i, g in enumerate(data["param_groups"])
                   if isinstance(g, dict)]
    for holder, key, path in fields:
        if key in holder:
            holder[key] = _number(holder[key], path)
    return data


def _number(value: object, path: str) -> object:
    if not isinstance(value, str):
        return value
    text = value.strip().replace("_", "")
    try:
        number = int(text) if text.lstrip("+-").isdigit() else float(text)
    except ValueError:
        raise SpecError(path, "must be a number", value) from None
    if not math.isfinite(number):
        raise SpecError(path, "must be finite", value)
    return number


def _write(text: str, out: str | None, stream: TextIO) -> None:
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        stream.write(text)


def _curve_text(spec: Spec, fmt: str) -> str:
    lr = curve(spec)
    if fmt == "json":
        return json.dumps({"step": list(range(spec.total_steps)), "lr": lr.tolist()}) + "\n"
    steps = np.arange(spec.total_steps)
    lines = ["step,lr"]
    lines.extend(f"{t},{v!r}" for t, v in zip(steps.tolist(), lr.tolist(), strict=True))
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m schedules", description="Learning-rate schedule engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_curve = sub.add_parser("curve", help="print the lr used by every optimizer update")
    p_curve.add_argument("spec", help=SPEC_HELP)
    p_curve.add_argument("--format", choices=("csv", "json"), default="csv")
    p_curve.add_argument("--out", help="write to this file instead of stdout")
    p_validate = sub.add_parser("validate", help="check a spec; print it with every default written out")
    p_validate.add_argument("spec", help=SPEC_HELP)
    p_presets = sub.add_parser("presets", help="list the presets, or print one as JSON")
    p_presets.add_argument("name", nargs="?")
    p_export = sub.add_parser("export", help="print code or data for a training framework")
    p_export.add_argument("spec", help=SPEC_HELP)
    p_export.add_argument("--to", required=True, dest="target")
    p_export.add_argument("--out", help="write to this file instead of stdout")
    _add_import(sub)
    return parser


def _add_import(sub: argparse._SubParsersAction) -> None:
    """``import FILE``: a trainer's config (HF, axolotl, timm, torch code, ...) -> the spec or ``--to`` code."""
    from schedules.imports import FORMATS

    p = sub.add_parser("import", help="read a training config (HF, axolotl, timm, torch code, ...) as a spec")
    p.add_argument("file", help="config file, or - for stdin")
    p.add_argument("--format", "--from", dest="fmt", choices=list(FORMATS),
                   help="the config's format (default: detect it; stderr says which was detected)")
    for name in ("total-steps", "steps-per-epoch", "dataset-size", "batch-size", "devices", "grad-accum"):
        p.add_argument(f"--{name}", type=int)
    p.add_argument("--epochs", type=float)
    p.add_argument("--to", dest="target", help="export target instead of the spec JSON")
    p.add_argument("--out", help="write to this file instead of stdout")


def _import(args: argparse.Namespace, err: TextIO) -> str:
    """The imported spec (or ``--to`` export); stderr gets the detected format and one line per assumption,
    the same lines the app's import panel lists."""
    from schedules.imports import FORMATS, import_config
    from schedules.imports.common import MAX_TEXT_BYTES

    if args.file == "-":
        source: str | bytes = sys.stdin.read(MAX_TEXT_BYTES + 1)
    else:
        try:
            with open(args.file, "rb") as fh:
                source = fh.read(MAX_TEXT_BYTES + 1)
        except OSError as exc:
            raise SpecError("file", "cannot be read", args.file, exc.strerror or "") from None
    imported = import_config(source, args.fmt, total_steps=args.total_steps, steps_per_epoch=args.steps_per_epoch,
                             dataset_size=args.dataset_size, batch_size=args.batch_size, devices=args.devices,
                             grad_accum=args.grad_accum, epochs=args.epochs)
    if args.fmt is None:
        err.write(f"detected: {imported.format} ({FORMATS[imported.format]}); if wrong, give --format "
                  f"{{{','.join(FORMATS)}}}\n")
    for line in imported.assumptions:
        err.write(f"assumption: {line}\n")
    if args.target:
        from schedules.export import export

        return export(imported.spec, args.target).rstrip("\n") + "\n"
    return imported.spec.to_json() + "\n"


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        if args.command == "curve":
            _write(_curve_text(_read(args.spec), args.format), args.out, out)
        elif args.command == "validate":
            out.write(_read(args.spec).to_json() + "\n")
        elif args.command == "presets":
            if args.name is None:
                out.write("\n".join(preset_names()) + "\n")
            else:
                out.write(load_preset(args.name).to_json() + "\n")
        elif args.command == "export":
            from schedules.export import export

            _write(export(_read(args.spec), args.target).rstrip("\n") + "\n", args.out, out)
        elif args.command == "import":
            _write(_import(args, err), args.out, out)
    except SpecError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INVALID
    except OSError as exc:
        err.write(f"error: --out: cannot write ({exc.strerror})\n")
        return EXIT_INVALID
    return 0
