"""The nightly action in real Odoo processes: killed mid-run, resumed, and never waiting on DNS in a transaction.

An odoo-bin shell triggers the scheduled action as Odoo's scheduler would (ir.cron.method_direct_trigger: the
job's own cursor, progress commits), over 350 contacts' domains (four batches) served by Knot behind a proxy.
The first run is killed with SIGKILL at a point the test holds: the proxy answers the first batch's domains at
once and none of the others', so the run commits its first batch and then waits; the kill comes then. A second
run, with every answer delayed by 200 ms, finishes the work. Meanwhile pg_stat_activity is polled to see which
transactions were open while a DNS query was out.
"""

import os
import re
import signal
import time

import pytest

from odoo.addons.mail_domain_health.tests.support import scenario
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault
from odoo.addons.mail_domain_health.tests.support.pgactivity import TransactionSampler
from odoo.addons.mail_domain_health.tests.support.scenario import TRIGGER

ZONE = "proc.test"
DOMAINS = [f"d{index:03d}.{ZONE}" for index in range(350)]
LATENCY = 0.2
OURS = f"name LIKE '%.{ZONE}'"


@pytest.fixture(scope="module")
def slow_dns():
    with scenario.slow_dns(ZONE, DOMAINS, LATENCY) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def contacts(odoo, slow_dns):
    scenario.add_contacts(odoo, slow_dns.address, DOMAINS, forget="[]")
    return DOMAINS


def _checked(database) -> dict[str, object]:
    with database.cursor() as cursor:
        cursor.execute(f"SELECT name, checked_at FROM mail_domain_check WHERE {OURS} AND checked_at IS NOT NULL")
        return dict(cursor.fetchall())


def _half_written(database) -> int:
    with database.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM mail_domain_check
             WHERE {OURS} AND ((checked_at IS NULL) <> (status IS NULL) OR (checked_at IS NULL) <> (result IS NULL))
            """
        )
        return cursor.fetchone()[0]


def test_killed_run_loses_nothing_and_the_next_run_resumes(odoo, database, slow_dns, contacts, capsys):
    # The run's domains are checked in name order: its first batch holds at most the first batch_size of ours
    # (other domains of the database may sort before them), and every later batch at least one of the rest.
    batch_size = scenario.batch_size(odoo)
    assert len(DOMAINS) >= 3 * batch_size, "the run must have three batches or more"
    first_batch = DOMAINS[:batch_size]
    # The killed run: the first batch answered at once, the others never (a lookup gives up after 5 s, long
    # after the first batch is written), so the run is between its first and second batch when it is killed.
    slow_dns.latency = 0.0
    for name in DOMAINS[batch_size:]:
        slow_dns.add_rule(name, Fault.DROP)
    first = odoo.spawn(TRIGGER)
    deadline = time.monotonic() + 120
    done_before_kill: dict[str, object] = {}
    while time.monotonic() < deadline and first.poll() is None and not done_before_kill:
        time.sleep(0.05)
        done_before_kill = _checked(database)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    slow_dns.clear_rules()
    slow_dns.latency = LATENCY
    done_before_kill = _checked(database)
    assert done_before_kill, "the first batch was not committed within 120 s"
    assert set(done_before_kill) <= set(first_batch), "only the first batch may be written before the kill"
    assert len(done_before_kill) > batch_size // 2, "the first batch holds mostly our domains"
    assert _half_written(database) == 0
    asked_before = sum(slow_dns.queries.values())
    first_batch_asked = {name: slow_dns.queries[(name, "TXT", "udp")] for name in done_before_kill}

    slow_dns.intervals.clear()
    with TransactionSampler(os.environ["MDH_ODOO_DSN"]) as sampler:
        output = odoo.run(TRIGGER)
    main_pid = int(re.search(r"MDH-MAIN-PID (\d+)", output).group(1))
    assert "MDH-RESULT True" in output, output[-2000:]

    done = _checked(database)
    assert set(done) == set(DOMAINS)
    assert _half_written(database) == 0
    # What the killed run committed is kept, and not asked again.
    assert {name: done[name] for name in done_before_kill} == done_before_kill
    assert {name: slow_dns.queries[(name, "TXT", "udp")] for name in done_before_kill} == first_batch_asked

    # The scheduler's own cursor (main_pid) holds the job's lock for the whole run, by Odoo's design. The job's
    # cursor may write a batch while the next batch's questions are out (another thread asks them), but it never
    # waits on them inside a transaction: it is never seen idle in one for as long as a DNS answer takes.
    assert any(pid == main_pid for pid, _, _ in sampler.transactions()), "the sampler saw nothing"
    work = sampler.transactions(exclude_pids={main_pid})
    idle = sampler.longest_idle(exclude_pids={main_pid})
    queries = list(slow_dns.intervals)
    longest = max((end - start for _, start, end in work), default=0.0)
    with capsys.disabled():
        print(
            f"\nnightly run: killed after {len(done_before_kill)} of {len(DOMAINS)} domains "
            f"({asked_before} queries); resumed run asked {len(queries)} queries at {LATENCY * 1000:.0f} ms, "
            f"{sampler.samples} samples of pg_stat_activity saw {len(work)} job transactions, longest "
            f"{longest:.2f} s, longest idle in a transaction {idle:.3f} s"
        )
    assert queries, "the resumed run asked nothing"
    assert work, "the sampler saw no job transaction"
    assert idle < LATENCY, f"the job sat {idle:.2f} s in a transaction, waiting on the DNS"
