"""``python -m lorastack.sim``: the lorastack-sim command."""

from __future__ import annotations

import sys

from lorastack.sim.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
