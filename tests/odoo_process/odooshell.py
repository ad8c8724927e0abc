"""Python run in `odoo-bin shell` processes, as the tests and the Odoo benchmark drive Odoo.

MDH_ODOO_BIN (the odoo-bin to run) and MDH_ODOO_OPTIONS (its options, one a line) say which Odoo and
database; scripts/odoo-env sets them.
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap

ODOO_BIN = os.environ.get("MDH_ODOO_BIN", "")
ODOO_OPTIONS = [line for line in os.environ.get("MDH_ODOO_OPTIONS", "").splitlines() if line]
DSN = os.environ.get("MDH_ODOO_DSN", "")
DONE = "MDH-SHELL-DONE"


class ShellError(RuntimeError):
    """An odoo-bin shell failed or ran too long; the message ends with its output."""


class OdooShell:
    """Runs Python in `odoo-bin shell` processes on the test database."""

    def command(self) -> list[str]:
        return [sys.executable, ODOO_BIN, "shell", *ODOO_OPTIONS, "--no-http", "--log-level=warn"]

    def spawn(self, code: str) -> subprocess.Popen:
        """Start a shell running `code`, in its own process group (so that a test can kill it whole)."""
        with tempfile.TemporaryFile("w+") as script:
            script.write(textwrap.dedent(code) + f"\nprint({DONE!r}, flush=True)\n")
            script.seek(0)
            return subprocess.Popen(
                self.command(),
                stdin=script,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )

    def run(self, code: str, timeout: float = 300) -> str:
        process = self.spawn(code)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            raise ShellError(f"odoo-bin shell ran over {timeout} s:\n{output[-3000:]}") from None
        if DONE not in output:
            raise ShellError(f"odoo-bin shell failed:\n{output[-3000:]}")
        return output
