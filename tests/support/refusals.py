"""The one check every refusal gets: the call raises the project's error, in one line, naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from schedules import SpecError


def one_line(message: str) -> None:
    """A refusal is one line: the field and the rule, nothing else."""
    assert "\n" not in message.strip(), f"a refusal of more than one line: {message!r}"


def refusal(field: str | None, call: Callable[..., Any], *args: Any, error: type[Exception] = SpecError,
            words: str | None = None, **kwargs: Any) -> Any:
    """Call ``call(*args, **kwargs)``; assert it raises ``error`` in one line that names ``field`` (when
    given) and contains ``words`` (when given). Returns the error for further checks."""
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    exc = info.value
    one_line(str(exc))
    if field is not None:
        assert exc.field == field, str(exc)
    if words is not None:
        assert words in str(exc), str(exc)
    return exc
