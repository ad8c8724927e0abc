"""Records stream out of the parser by batches: a report of any number of records is read in the memory of a batch."""

import gzip
import tracemalloc

import pytest
from reports.build import zipped
from test_aggregate_hostile import HEAD, plausible_records

from odoo.addons.mail_domain_health.maildns.aggregate import ReportError, ReportPart, Skip, parse_report, stream_reports
from odoo.addons.mail_domain_health.maildns.aggregate.feedback import BATCH


def big(records: int) -> bytes:
    return gzip.compress(HEAD + plausible_records(records) + b"</feedback>", 6, mtime=0)


def streamed_peak(data: bytes) -> tuple[int, int]:
    """Records read, and the peak of memory (tracemalloc) while they were counted part by part."""
    tracemalloc.start()
    try:
        records = sum(len(part.records) for part in stream_reports(data) if isinstance(part, ReportPart))
        return records, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_report_of_100000_records_is_read_whole():
    (report,) = parse_report(big(100_000))
    assert len(report.records) == 100_000
    assert report.messages == sum(record.count for record in report.records) > 100_000


def test_streamed_records_cost_the_memory_of_a_batch_not_of_the_report():
    small_count, small_peak = streamed_peak(big(4 * BATCH))
    large_count, large_peak = streamed_peak(big(40 * BATCH))
    assert (small_count, large_count) == (4 * BATCH, 40 * BATCH)
    # Ten times the records, and about the same peak: a batch, the parser's tree of a chunk, the file.
    assert large_peak < small_peak * 1.5 + 1024 * 1024, (small_peak, large_peak)


def test_parts_are_batches_and_the_last_carries_what_was_skipped():
    data = HEAD + plausible_records(2 * BATCH + 5) + b"<record><row/></record></feedback>"
    parts = list(stream_reports(data))
    assert [len(part.records) for part in parts] == [BATCH, BATCH, 5]
    assert [part.last for part in parts] == [False, False, True]
    assert parts[0].report.report_id == "1" and parts[0].report.skipped == ()
    assert [str(skip) for skip in parts[-1].report.skipped] == [
        f"record {2 * BATCH + 6}: the record has no <source_ip>"
    ]


def test_records_before_the_metadata_are_kept_until_it_comes():
    head, metadata = HEAD.split(b"<report_metadata>")
    data = head + plausible_records(3) + b"<report_metadata>" + metadata + b"</feedback>"
    (report,) = parse_report(data)
    assert (report.org_name, len(report.records)) == ("Hostile", 3)


def test_a_member_skipped_comes_as_a_skip_in_the_stream():
    parts = list(
        stream_reports(zipped({"notes.txt": b"hello", "report.xml": HEAD + plausible_records(2) + b"</feedback>"}))
    )
    assert isinstance(parts[0], Skip) and parts[0].what == "zip member notes.txt"
    assert isinstance(parts[1], ReportPart) and parts[1].last


def test_a_report_broken_after_its_first_batch_raises_after_handing_it_over():
    data = HEAD + plausible_records(BATCH + 1) + b"<record><row>"
    parts = []
    with pytest.raises(ReportError, match="truncated"):
        parts.extend(stream_reports(data))
    assert len(parts) == 1 and not parts[0].last
