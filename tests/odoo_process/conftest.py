"""Fixtures for tests that drive whole Odoo processes: odoo-bin shells, a DNS server, a database probe.

scripts/test-odoo sets MDH_ODOO_BIN (the odoo-bin to run), MDH_ODOO_OPTIONS (its options, one a line) and
MDH_ODOO_DSN (the test database) once the addon is installed; without them the tests are skipped.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "tests" / "engine"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from odooshell import DSN, ODOO_BIN, OdooShell  # noqa: E402 (needs the engine's test helpers on the path)


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
