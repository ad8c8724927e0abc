"""What PostgreSQL says its clients are doing: open transactions, sampled while a test runs."""

import threading
import time

import psycopg2


class TransactionSampler:
    """Polls pg_stat_activity: which backends of the database have a transaction open, since when."""

    def __init__(self, dsn: str, every: float = 0.02):
        self.dsn = dsn
        self.every = every
        # (pid, transaction start) -> last time it was seen open, both as epoch seconds.
        self.seen: dict[tuple[int, float], float] = {}
        # (pid, transaction start) -> longest time it was seen "idle in transaction": open, but waiting on its
        # client. A client that waits on the network inside a transaction shows here.
        self.idle: dict[tuple[int, float], float] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._connection = None

    def __enter__(self):
        # Connect here, not in the thread, so that a wrong DSN fails the test instead of sampling nothing.
        self._connection = psycopg2.connect(self.dsn)
        self._connection.autocommit = True
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(5)
        self._connection.close()

    def _poll(self):
        with self._connection.cursor() as cursor:
            while not self._stop.is_set():
                cursor.execute(
                    """
                    SELECT pid, EXTRACT(EPOCH FROM xact_start)::float8, EXTRACT(EPOCH FROM clock_timestamp())::float8,
                           CASE WHEN state LIKE 'idle in transaction%%'
                                THEN EXTRACT(EPOCH FROM clock_timestamp() - state_change)::float8 ELSE 0 END
                      FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
                    """
                )
                for pid, started, now, idle in cursor.fetchall():
                    key = (pid, round(started, 6))
                    self.seen[key] = now
                    self.idle[key] = max(idle, self.idle.get(key, 0.0))
                self.samples += 1
                time.sleep(self.every)

    def transactions(self, exclude_pids=()) -> list[tuple[int, float, float]]:
        """(pid, start, last seen open) of every transaction seen, but those of `exclude_pids`."""
        return [(pid, start, end) for (pid, start), end in self.seen.items() if pid not in exclude_pids]

    def longest_idle(self, exclude_pids=()) -> float:
        """The longest a transaction (but those of `exclude_pids`) was seen waiting on its client, in seconds."""
        return max((idle for (pid, _), idle in self.idle.items() if pid not in exclude_pids), default=0.0)
