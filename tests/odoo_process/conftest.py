"""Fixtures for tests that drive whole Odoo processes: odoo-bin shells, a DNS server, a database probe.

scripts/test-odoo sets MDH_ODOO_BIN (the odoo-bin to run), MDH_ODOO_OPTIONS (its options, one a line) and
MDH_ODOO_DSN (the test database) once the addon is installed; without them the tests are skipped.
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "tests" / "engine"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

ODOO_BIN = os.environ.get("MDH_ODOO_BIN", "")
ODOO_OPTIONS = [line for line in os.environ.get("MDH_ODOO_OPTIONS", "").splitlines() if line]
DSN = os.environ.get("MDH_ODOO_DSN", "")
DONE = "MDH-SHELL-DONE"


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
            pytest.fail(f"odoo-bin shell ran over {timeout} s:\n{output[-3000:]}")
        assert DONE in output, f"odoo-bin shell failed:\n{output[-3000:]}"
        return output


@pytest.fixture(scope="session")
def odoo():
    if not (ODOO_BIN and DSN):
        pytest.skip("no Odoo database: scripts/test-odoo runs these tests once it has installed the addon")
    return OdooShell()


@pytest.fixture(scope="session")
def database(odoo):
    import psycopg2

    connection = psycopg2.connect(DSN)
    connection.autocommit = True
    yield connection
    connection.close()
