"""``python -m schedules``: see :mod:`schedules.cli`."""

from __future__ import annotations

import sys

from schedules.cli import main

if __name__ == "__main__":
    sys.exit(main())
