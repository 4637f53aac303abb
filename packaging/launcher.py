"""The script PyInstaller freezes (packaging/spyglass.spec): the `spyglass` console entry point.

A separate file rather than app/entry.py itself, so the frozen `__main__` is not a second copy
of the `app.entry` module and no folder of the app lands on the bundle's import path.
"""

import sys

from app.entry import main

if __name__ == "__main__":
    sys.exit(main())
