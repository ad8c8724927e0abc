"""The nightly action in real Odoo processes: killed mid-run, resumed, and never waiting on DNS in a transaction.

An odoo-bin shell triggers the scheduled action as Odoo's scheduler would (ir.cron.method_direct_trigger: the
job's own cursor, progress commits), over 150 contacts' domains served by Knot behind a proxy that adds 200 ms
to every answer. The first run is killed with SIGKILL once its first batch is committed; a second run finishes
the work. Meanwhile pg_stat_activity is polled to see which transactions were open while a DNS query was out.
"""

import os
import re
import signal
import time

import pytest
import scenario
from pgactivity import TransactionSampler
from scenario import TRIGGER

ZONE = "proc.test"
DOMAINS = [f"d{index:03d}.{ZONE}" for index in range(150)]
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
             WHERE {OURS} AND ((checked_at IS NULL) <> (status IS NULL) OR (checked_at IS NULL) <> (report IS NULL))
            """
        )
        return cursor.fetchone()[0]


def test_killed_run_loses_nothing_and_the_next_run_resumes(odoo, database, slow_dns, contacts, capsys):
    first = odoo.spawn(TRIGGER)
    deadline = time.monotonic() + 120
    done_before_kill: dict[str, object] = {}
    while time.monotonic() < deadline and first.poll() is None:
        done_before_kill = _checked(database)
        if done_before_kill:
            break
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    done_before_kill = _checked(database)
    assert 0 < len(done_before_kill) < len(DOMAINS), "the run must be killed between two batches"
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
