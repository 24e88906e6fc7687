"""The import panel: upload or paste a spec (JSON or YAML), validated by the engine, never executed.

``parse_spec_upload`` is the pure part: size cap before parsing, UTF-8 decoding, ``yaml.safe_load``
(data only, no Python objects) or JSON, then :func:`schedules.load_spec`. Every failure is a
:class:`~schedules.SpecError` with a one-line message naming the field.
"""

from __future__ import annotations

import json

import streamlit as st
import yaml

from schedules import Spec, SpecError, load_spec
from schedules.spec import check_finite

MAX_BYTES = 64 * 1024


def parse_spec_upload(data: bytes | str, filename: str = "spec.json") -> Spec:
    """The validated spec in ``data`` (JSON, or YAML for a .yaml/.yml name or non-JSON text).

    Raises:
        SpecError: too large, not UTF-8, unparsable, or an invalid field (the message names it).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BYTES:
        raise SpecError("spec", f"must be at most {MAX_BYTES // 1024} KB", f"{len(raw)} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("spec", "must be UTF-8 text (JSON or YAML)") from None
    if not text.strip():
        raise SpecError("spec", "is empty")
    is_yaml = filename.lower().endswith((".yaml", ".yml"))
    if not is_yaml:
        try:
            obj = json.loads(text)  # NaN / Infinity read as floats, then refused naming their field
            check_finite(obj)
            return load_spec(obj)
        except json.JSONDecodeError as exc:
            if filename.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
                raise SpecError("spec", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") \
                    from None
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise SpecError("spec", f"is not valid YAML: {problem}{where}") from None
    if not isinstance(obj, dict):
        raise SpecError("spec", "must be a mapping of spec fields", type(obj).__name__)
    return load_spec(obj)


def render_import_panel(key: str) -> Spec | None:
    """Upload or paste a spec; returns the validated Spec when "Import" is clicked, else None."""
    # 1 MB is the smallest limit the uploader states; the panel itself refuses anything over 64 KB.
    upload = st.file_uploader("Spec file (.json, .yaml, .yml)", type=["json", "yaml", "yml"], key=f"{key}-file",
                              max_upload_size=1)
    pasted = st.text_area("...or paste JSON or YAML", key=f"{key}-text", height=160)
    clicked = st.button("Import", key=f"{key}-import")
    if not clicked:
        return None
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    elif pasted.strip():
        data, name = pasted, "pasted.txt"
    else:
        st.error("spec: nothing to import (upload a file or paste a spec)")
        return None
    try:
        spec = parse_spec_upload(data, name)
    except SpecError as exc:
        st.error(str(exc))
        return None
    except (RecursionError, ValueError, TypeError) as exc:
        st.error(f"spec: could not be read ({type(exc).__name__})")
        return None
    st.success(f"Imported {spec.name or spec.family.label}")
    return spec
