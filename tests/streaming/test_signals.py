"""SIGTERM while a stream runs: the first stops it gracefully, a second one at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

JOB = textwrap.dedent("""
    import sys, time
    from ember import SparkContext
    from ember.streaming import StreamingContext

    sc = SparkContext("local[1]", "signals")
    ssc = StreamingContext(sc, 0.05)
    processed = []

    def slow(rdd):
        processed.append(rdd.collect())
        print("batch", flush=True)
        time.sleep(float(sys.argv[1]))  # the job's own processing time

    ssc.queueStream([[i] for i in range(1000)]).foreachRDD(slow)
    ssc.start()
    ssc.awaitTermination()
    print("stopped after", len(processed), "batches", flush=True)
""")


def start_job(tmp_path, seconds_per_batch: float) -> subprocess.Popen:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    process = subprocess.Popen(
        [sys.executable, str(script), str(seconds_per_batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline() == "batch\n"
    return process


def wait_for_line(stream, text: str) -> None:
    for line in stream:
        if text in line:
            return
    raise AssertionError(f"the job ended without printing {text!r}")


def test_the_first_sigterm_stops_gracefully(tmp_path):
    process = start_job(tmp_path, 0.0)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert out.splitlines()[-1].startswith("stopped after")


def test_a_second_sigterm_stops_at_once(tmp_path):
    process = start_job(tmp_path, 0.4)  # batches queue: each takes 8 intervals
    assert process.stdout.readline() == "batch\n"  # by now several batches wait in the queue
    process.send_signal(signal.SIGTERM)
    # signals of one kind do not queue: send the second once the first was handled
    wait_for_line(process.stderr, "stopping the stream gracefully")
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert time.monotonic() - started < 5
    processed = int(out.splitlines()[-1].split()[2])
    assert out.count("batch\n") + 2 == processed < 5
