"""``BatchInfo.numRecords()`` of file streams, as a StreamingListener sees it: records (lines,
fixed-length records), not bytes.  The batches run on a manual clock."""

from __future__ import annotations

import os
import time

from ember.streaming.listener import StreamingListener
from ember.testing import advance_batches, manual_streaming_context


class RecordCounts(StreamingListener):
    def __init__(self):
        self.batches: list[tuple[int, dict[int, int]]] = []

    def onBatchCompleted(self, batchCompleted):
        info = batchCompleted.batchInfo()
        by_stream = {i: input_info.numRecords() for i, input_info in info.streamIdToInputInfo().items()}
        self.batches.append((info.numRecords(), by_stream))


def put(path, data: bytes, mtime_ms: int) -> None:
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ms * 1_000_000, mtime_ms * 1_000_000))


def test_num_records_of_text_and_binary_file_streams_count_records(sc, tmp_path):
    text_dir, binary_dir = tmp_path / "text", tmp_path / "binary"
    text_dir.mkdir()
    binary_dir.mkdir()
    now_ms = int(time.time() * 1000) // 1000 * 1000
    ssc = manual_streaming_context(sc, batch_duration=1, start_ms=now_ms)
    listener = RecordCounts()
    ssc.addStreamingListener(listener)
    lines = ssc.textFileStream(str(text_dir))
    records = ssc.binaryRecordsStream(str(binary_dir), 4)
    lines.count().union(records.count()).foreachRDD(lambda rdd: None)
    ssc.start()
    try:
        ten_lines = "".join(f"line number {n:02d} of the ten lines\n" for n in range(10)).encode()
        assert len(ten_lines) == 320  # the issue: numRecords said 320
        put(text_dir / "ten.txt", ten_lines, now_ms - 500)  # settled by the first batch
        put(binary_dir / "three.bin", b"abcdefghijkl", now_ms - 500)
        advance_batches(ssc, 1)
        put(text_dir / "two.txt", b"no final\nline ending", now_ms + 500)
        advance_batches(ssc, 2)
    finally:
        ssc.stop(stopSparkContext=False)
    assert listener.batches == [
        (13, {lines.id: 10, records.id: 3}),
        (2, {lines.id: 2, records.id: 0}),
        (0, {lines.id: 0, records.id: 0}),
    ]
