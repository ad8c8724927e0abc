"""Python run in `odoo-bin shell` processes, and Odoo servers, as the tests and the Odoo benchmark drive Odoo.

MDH_ODOO_BIN (the odoo-bin to run), MDH_ODOO_PYTHON (the Python that runs it, .venv-odoo/'s: the tests and the
benchmark themselves run in .venv/) and MDH_ODOO_OPTIONS (its options, one a line) say which Odoo and database;
scripts/odoo-env sets them.
"""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request

from .dnsserver import stop_process_group

ODOO_BIN = os.environ.get("MDH_ODOO_BIN", "")
ODOO_PYTHON = os.environ.get("MDH_ODOO_PYTHON", sys.executable)
ODOO_OPTIONS = [line for line in os.environ.get("MDH_ODOO_OPTIONS", "").splitlines() if line]
DSN = os.environ.get("MDH_ODOO_DSN", "")
DONE = "MDH-SHELL-DONE"


class ShellError(RuntimeError):
    """An odoo-bin shell failed or ran too long; the message ends with its output."""


class OdooShell:
    """Runs Python in `odoo-bin shell` processes on the test database."""

    def command(self, *options: str) -> list[str]:
        return [ODOO_PYTHON, ODOO_BIN, "shell", *ODOO_OPTIONS, "--no-http", "--log-level=warn", *options]

    def spawn(self, code: str, *options: str) -> subprocess.Popen:
        """Start a shell running `code`, in its own process group (so that a test can kill it whole); `options`
        are added to odoo-bin's."""
        with tempfile.TemporaryFile("w+") as script:
            script.write(textwrap.dedent(code) + f"\nprint({DONE!r}, flush=True)\n")
            script.seek(0)
            return subprocess.Popen(
                self.command(*options),
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


class OdooServer:
    """An odoo-bin server on the test database, on the HTTP port scripts/odoo-env chose, with no cron
    threads: the tests and benchmarks trigger the scheduled action themselves, and it must run once."""

    def __init__(self, *options: str, environ: dict | None = None, log_path: str | None = None):
        self.port = next(option.split("=", 1)[1] for option in ODOO_OPTIONS if option.startswith("--http-port="))
        self.options = options
        self.environ = environ or {}
        self.log_path = log_path or os.path.join(tempfile.gettempdir(), f"mdh-odoo-server-{self.port}.log")
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        self._log = open(self.log_path, "w+")  # closed in __exit__
        self.process = subprocess.Popen(
            [ODOO_PYTHON, ODOO_BIN, *ODOO_OPTIONS, "--max-cron-threads=0", "--log-level=warn", *self.options],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.environ},
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise ShellError(f"the Odoo server did not start:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc_info):
        stop_process_group(self.process, grace=20)
        self._log.close()

    def log(self) -> str:
        with open(self.log_path) as log:
            return log.read()

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/web/health", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False
