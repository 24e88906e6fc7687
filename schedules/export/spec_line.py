"""The comment line every exported snippet carries: ``# spec v1: {...}``.

An exported snippet names the exact spec it was made from on one line, so importing the snippet gives back
the identical spec by construction, whatever the target could or could not express in its own terms. The
JSON is compact and ASCII-only (``ensure_ascii``), so a hostile spec name cannot break out of the comment:
newlines, line separators and quotes inside the name are escaped by JSON.
"""

from __future__ import annotations

import json
import re

from schedules.spec import Spec

#: What starts the line (after any indentation); the compact spec JSON follows on the same line.
PREFIX = "# spec v1: "
#: Appended in Python snippets: the line is longer than linters allow, and it must stay one line.
NOQA = "  # noqa: E501"
#: A trailing linter pragma after the JSON. Compact JSON has no whitespace outside strings and always ends
#: with ``}``, so a pragma after it cannot be part of the spec.
_PRAGMA = re.compile(r"(?<=\})\s+#\s*noqa\b[^}]*$")


def spec_line(spec: Spec) -> str:
    """``# spec v1: `` followed by the spec's compact JSON (every default written out), no newline."""
    return PREFIX + json.dumps(spec.to_dict(), separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def code_spec_line(spec: Spec) -> str:
    """:func:`spec_line` for Python code: followed by ``# noqa: E501`` so linters accept the long line."""
    return spec_line(spec) + NOQA


def find_spec_line(text: str) -> str | None:
    """The JSON text of the first ``# spec v1: ...`` line in ``text``, or None when there is none.

    Only the JSON text is returned (a trailing ``# noqa`` pragma is dropped); the caller validates it with
    :func:`schedules.spec.loads_spec`.
    """
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(PREFIX):
            return _PRAGMA.sub("", stripped[len(PREFIX):]).strip()
    return None
