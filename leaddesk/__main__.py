"""Entry point: the one place where the command line and the Qt app meet.

``leaddesk`` with no command (or ``gui``) opens the app; ``screenshot`` renders a view
offscreen; every other command is handled by :mod:`leaddesk.cli`, which has no Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from leaddesk import cli


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse_args(argv)
    if args.command in (None, "gui", "screenshot"):
        from leaddesk.ui.app import run_gui, run_screenshot

        if args.command == "screenshot":
            return run_screenshot(args)
        return run_gui(args)
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
