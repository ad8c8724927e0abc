"""Batches asked ahead: the nightly run's DNS work, in threads, while the ORM writes the batch before.

Free of the ORM and of Odoo: the scheduled action iterates over the answered batches and writes them; the
threads here only call `resolve`. Tested on its own (tests/engine/test_batch_pipeline.py).
"""

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

Batch = TypeVar("Batch")
Answer = TypeVar("Answer")
_DONE = object()


class AskAhead(Generic[Batch, Answer]):
    """Iterate over (batch, resolve(batch)) in order, with up to `lookahead` batches asked at once.

    `stop()` says the caller's time is up: batches not yet started are dropped, those already under way still
    come out of the iteration (their answers are not thrown away). `resolve` must not raise: an exception
    would end the iteration, and with it the batches after.
    """

    def __init__(
        self,
        batches: Sequence[Batch],
        resolve: Callable[[Batch], Answer],
        *,
        lookahead: int,
        threads: int,
    ):
        self._upcoming = iter(batches)
        self._resolve = resolve
        self._lookahead = max(1, lookahead)
        self._threads = max(1, threads)
        self._ahead: deque[tuple[Batch, Future]] = deque()
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True
        for _, pending in self._ahead:
            pending.cancel()

    def __iter__(self) -> Iterator[tuple[Batch, Answer]]:
        pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="mail_domain_health")
        try:
            self._ask(pool)
            while self._ahead:
                batch, answered = self._ahead.popleft()
                if answered.cancelled():
                    continue
                yield batch, answered.result()
                self._ask(pool)
        finally:
            # A caller that leaves the loop early leaves nothing running behind it.
            pool.shutdown(wait=True, cancel_futures=True)

    def _ask(self, pool: ThreadPoolExecutor) -> None:
        while not self._stopped and len(self._ahead) < self._lookahead:
            following = next(self._upcoming, _DONE)
            if following is _DONE:
                return
            self._ahead.append((following, pool.submit(self._resolve, following)))
