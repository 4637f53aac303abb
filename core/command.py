"""The command line as a child process; here, below core.cli, so that what core.cli imports
(benchmarks, the kill harness) can start it without importing core.cli back."""

from __future__ import annotations

import sys

# Benchmarks and the kill harness drive this command line in child processes.
COMMAND = [sys.executable, "-m", "core.cli"]
