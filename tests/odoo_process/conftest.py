"""Fixtures for tests that drive whole Odoo processes: odoo-bin shells, a DNS server, a database probe.

scripts/test-odoo sets MDH_ODOO_BIN (the odoo-bin to run), MDH_ODOO_OPTIONS (its options, one a line) and
MDH_ODOO_DSN (the test database) once the addon is installed; without them the tests are skipped. They run in
the engine's environment (.venv/), where scripts/setup installs the addon in editable mode, which gives them the
helpers of tests/support/.
"""

import pytest

from odoo.addons.mail_domain_health.tests.support.odooshell import DSN, ODOO_BIN, OdooShell


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
