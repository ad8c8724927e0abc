"""Check now, twice at once and beside the nightly run, in real Odoo processes, on domains never seen before.

Three odoo-bin shells start together over the same 60 new domains, served by Knot behind a proxy that adds
300 ms to every answer: two of them press Check now (mail.domain.check._check_now, what the Settings button and
the domain form call), the third runs the scheduled action. Meanwhile the test itself plays a fourth writer
that meets the same new domains first: it inserts their records in a transaction it keeps open until the three
processes wait on it, then commits. Each process then finds the records it was about to create made by a
transaction it could not see, which PostgreSQL reports as a serialization failure: each must start its write
again and succeed, with nothing lost, nothing written twice and nothing half-written.
"""

import os
import time

import psycopg2
import pytest

from odoo.addons.mail_domain_health.tests.support import scenario
from odoo.addons.mail_domain_health.tests.support.scenario import TRIGGER

ZONE = "race.test"
DOMAINS = [f"r{index:02d}.{ZONE}" for index in range(60)]
LATENCY = 0.3
OURS = f"name LIKE '%.{ZONE}'"
CHECK_NOW = f"""
env["mail.domain.check"]._check_now({DOMAINS!r})
env.cr.commit()
print("MDH-CHECKED", flush=True)
"""
# The addon's INFO lines too: they say when a write started again after a conflict.
VERBOSE = "--log-handler=odoo.addons.mail_domain_health:INFO"


@pytest.fixture(scope="module")
def slow_dns():
    with scenario.slow_dns(ZONE, DOMAINS, LATENCY) as proxy:
        yield proxy


def _waiting_on_locks(database, count: int, within: float) -> int:
    """How many backends wait on a lock, once `count` do (or `within` seconds have passed)."""
    deadline = time.monotonic() + within
    waiting = 0
    with database.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0]
            if waiting >= count:
                break
            time.sleep(0.05)
    return waiting


def test_two_check_nows_and_the_nightly_run_on_the_same_new_domains(odoo, database, slow_dns, capsys):
    scenario.add_contacts(odoo, slow_dns.address, DOMAINS, forget=f"[('name', 'like', '.{ZONE}')]")
    first_writer = psycopg2.connect(os.environ["MDH_ODOO_DSN"])
    try:
        with first_writer.cursor() as cursor:
            cursor.execute(
                "INSERT INTO mail_domain_check (name) SELECT unnest(%s::varchar[])",
                (DOMAINS,),
            )
        processes = [odoo.spawn(code, VERBOSE) for code in (CHECK_NOW, CHECK_NOW, TRIGGER)]
        waiting = _waiting_on_locks(database, 3, within=120)
        first_writer.commit()
    finally:
        first_writer.close()
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    for output in outputs:
        assert "Traceback" not in output and " ERROR " not in output, output[-3000:]
    assert "MDH-CHECKED" in outputs[0] and "MDH-CHECKED" in outputs[1], outputs[0][-2000:] + outputs[1][-2000:]
    assert "MDH-RESULT True" in outputs[2], outputs[2][-3000:]
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT name, count(*), bool_and(status = 'pass') FROM mail_domain_check WHERE {OURS} GROUP BY 1"
        )
        rows = cursor.fetchall()
    assert sorted(name for name, _, _ in rows) == DOMAINS
    assert all(count == 1 for _, count, _ in rows)
    assert all(passed for _, _, passed in rows), [name for name, _, passed in rows if not passed]
    started_again = [output.count("a concurrent write") for output in outputs]
    with capsys.disabled():
        print(
            f"\nconcurrent checks: two Check now and a nightly run over {len(DOMAINS)} new domains at "
            f"{LATENCY * 1000:.0f} ms, {waiting} of them waiting on a fourth writer's new records: every domain "
            f"written once and passing; writes started again after a conflict (Check now, Check now, nightly): "
            f"{started_again}"
        )
    assert waiting == 3, "the three processes were to wait on the records the test was creating"
    assert all(started_again), "each process was to meet a conflict and start its write again"
