"""The nightly run's pipeline (tools/batch_pipeline.py): batches asked ahead in threads, answered in order."""

import threading
import time

from odoo.addons.mail_domain_health.tools.batch_pipeline import AskAhead


class Recorder:
    """A resolve() that records how many batches are under way at once, and can hold them."""

    def __init__(self, hold: float = 0.0):
        self.hold = hold
        self.started: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, batch: list[int]) -> list[int]:
        with self._lock:
            self.started.append(batch[0])
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.hold)
        with self._lock:
            self.in_flight -= 1
        return [value * 10 for value in batch]


BATCHES = [[index, index + 1] for index in range(0, 20, 2)]


def test_answers_come_in_the_order_of_the_batches():
    answered = list(AskAhead(BATCHES, Recorder(hold=0.01), lookahead=3, threads=2))
    assert [batch for batch, _ in answered] == BATCHES
    assert [answer for _, answer in answered] == [[value * 10 for value in batch] for batch in BATCHES]


def test_batches_are_asked_while_one_is_written_within_the_bounds():
    resolve = Recorder(hold=0.02)
    for _batch, _answer in AskAhead(BATCHES, resolve, lookahead=3, threads=2):
        time.sleep(0.03)  # writing the batch: the threads go on meanwhile
    assert resolve.most_in_flight == 2, "two threads ask at once while a batch is written"


def test_no_more_than_lookahead_batches_are_asked_before_the_first_is_taken():
    resolve = Recorder()
    pipeline = iter(AskAhead(BATCHES, resolve, lookahead=3, threads=2))
    next(pipeline)
    time.sleep(0.05)
    assert len(resolve.started) == 3
    pipeline.close()


def test_stop_drops_the_batches_not_started_and_keeps_those_under_way():
    resolve = Recorder(hold=0.05)
    pipeline = AskAhead(BATCHES, resolve, lookahead=3, threads=1)
    answered = []
    for batch, _answer in pipeline:
        answered.append(batch)
        if len(answered) == 1:
            # The second batch is under way on the only thread, the third waits for it: it is dropped.
            pipeline.stop()
    assert answered == BATCHES[:2]
    assert resolve.started == [0, 2]


def test_a_stop_before_any_batch_asks_nothing_more_than_the_first():
    resolve = Recorder()
    pipeline = AskAhead(BATCHES, resolve, lookahead=1, threads=2)
    answered = []
    for batch, _answer in pipeline:
        answered.append(batch)
        pipeline.stop()
    assert answered == BATCHES[:1]
    assert resolve.started == [0]


def test_leaving_the_loop_early_leaves_no_thread_running():
    resolve = Recorder(hold=0.02)
    for _batch, _answer in AskAhead(BATCHES, resolve, lookahead=3, threads=2):
        break
    assert resolve.in_flight == 0
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("mail_domain_health")]


def test_no_batches_no_threads():
    assert list(AskAhead([], Recorder(), lookahead=3, threads=2)) == []
