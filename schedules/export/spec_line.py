"""The comment line every exported snippet carries: ``# spec v1: {...}``.

An exported snippet names the exact spec it was made from on one line, so importing the snippet gives back
the identical spec by construction, whatever the target could or could not express in its own terms. The
JSON is compact and ASCII-only (``ensure_ascii``), so a hostile spec name cannot break out of the comment:
newlines, line separators and quotes inside the name are escaped by JSON.
"""

from __future__ import annotations

import json

from schedules.spec import Spec

#: What starts the line (after any indentation); the compact spec JSON follows on the same line.
PREFIX = "# spec v1: "


def spec_line(spec: Spec) -> str:
    """``# spec v1: `` followed by the spec's compact JSON (every default written out), no newline."""
    return PREFIX + json.dumps(spec.to_dict(), separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def find_spec_line(text: str) -> str | None:
    """The JSON text of the first ``# spec v1: ...`` line in ``text``, or None when there is none.

    Only the JSON text is returned; the caller validates it with :func:`schedules.spec.loads_spec`.
    """
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(PREFIX):
            return stripped[len(PREFIX):].strip()
    return None
