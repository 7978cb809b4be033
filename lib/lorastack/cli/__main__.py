"""``python -m lorastack.cli`` and the ``lorastack`` console script."""

import sys

from lorastack.cli.app import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
