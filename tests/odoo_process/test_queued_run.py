"""The nightly run split into Job Queue jobs, run by queue_job's own job runner in a real Odoo server.

Runs where queue_job is installed in the test database (scripts/test-odoo installs it in a pass of its own).
An Odoo server loads queue_job server-wide, so its job runner thread starts and runs jobs over HTTP in the
server's threads, two at a time (channel root:2). An odoo-bin shell triggers the scheduled action, which
queues one job per 200 contacts' domains; the domains are served by Knot behind a proxy adding 100 ms.
"""

import json
import time

import pytest

from odoo.addons.mail_domain_health.tests.support import scenario
from odoo.addons.mail_domain_health.tests.support.odooshell import OdooServer
from odoo.addons.mail_domain_health.tests.support.scenario import QUEUED_CHECKS, TRIGGER

ZONE = "queue.test"
DOMAINS = [f"q{index:03d}.{ZONE}" for index in range(450)]
JOB_SIZE = 200
LATENCY = 0.1
OURS = f"name LIKE '%.{ZONE}'"


def _one(database, query: str):
    with database.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


@pytest.fixture(scope="module")
def queue_job(database):
    installed = _one(database, "SELECT 1 FROM ir_module_module WHERE name = 'queue_job' AND state = 'installed'")
    if not installed:
        pytest.skip("queue_job is not installed: scripts/test-odoo installs it and runs this test again")


@pytest.fixture(scope="module")
def slow_dns(queue_job):
    with scenario.slow_dns(ZONE, DOMAINS, LATENCY) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def contacts(odoo, slow_dns):
    ours = f"[('name', '=like', '%.{ZONE}')]"
    scenario.add_contacts(odoo, slow_dns.address, DOMAINS, forget=ours, use_queue_job=True)
    return DOMAINS


@pytest.fixture(scope="module")
def server(contacts):
    """An Odoo server whose job runner runs two jobs at a time."""
    with OdooServer("--load=base,web,queue_job", "--workers=0", environ={"ODOO_QUEUE_JOB_CHANNELS": "root:2"}):
        yield


def test_the_job_runner_checks_every_queued_domain(odoo, database, slow_dns, contacts, server, capsys):
    started = time.monotonic()
    output = odoo.run(TRIGGER)
    queued_in = time.monotonic() - started
    assert "MDH-RESULT True" in output, output[-2000:]
    # The scheduled action only queues: no domain of ours is checked when it returns.
    assert _one(database, f"SELECT count(*) FROM mail_domain_check WHERE {OURS} AND checked_at IS NOT NULL") == [(0,)]

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        states = dict(_one(database, f"SELECT state, count(*) FROM queue_job WHERE {QUEUED_CHECKS} GROUP BY state"))
        if states and set(states) <= {"done", "failed"}:
            break
        time.sleep(0.2)
    took = time.monotonic() - started
    jobs = _one(
        database,
        f"""SELECT state, args, result, exc_info, EXTRACT(EPOCH FROM date_started)::float8,
                   EXTRACT(EPOCH FROM date_done)::float8
              FROM queue_job WHERE {QUEUED_CHECKS} ORDER BY id""",
    )
    assert all(state == "done" for state, *_ in jobs), [(state, exc_info) for state, _, _, exc_info, _, _ in jobs]

    # Each domain of ours went into exactly one job, at most JOB_SIZE domains a job, and each job checked its own.
    groups = [json.loads(args)[0] if isinstance(args, str) else args[0] for _, args, *_ in jobs]
    ours = [name for group in groups for name in group if name.endswith(f".{ZONE}")]
    assert sorted(ours) == DOMAINS
    assert all(len(group) <= JOB_SIZE for group in groups)
    assert [result for _, _, result, *_ in jobs] == [f"{len(group)} domains checked" for group in groups]
    checked = _one(
        database,
        f"SELECT count(*) FROM mail_domain_check WHERE {OURS} AND status = 'pass' AND result IS NOT NULL",
    )
    assert checked == [(len(DOMAINS),)]

    # Two runner channels: two jobs ran at the same time.
    spans = sorted((start, end) for *_, start, end in jobs)
    overlapped = any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))
    with capsys.disabled():
        print(
            f"\nqueued run: an odoo-bin shell triggered the scheduled action, which queued {len(jobs)} jobs "
            f"(the shell took {queued_in:.1f} s); queue_job's runner "
            f"(root:2) checked {len(DOMAINS)} domains at {LATENCY * 1000:.0f} ms in {took:.1f} s from the trigger, "
            f"jobs ran side by side: {overlapped}; {sum(slow_dns.queries.values())} DNS queries"
        )
    assert len(jobs) >= 3
