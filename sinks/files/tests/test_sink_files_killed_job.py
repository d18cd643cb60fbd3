"""saveAsTextFiles after a driver was SIGKILLed mid-batch: the next job writing to the prefix
removes the temporary directory the dead one left, says so once, and leaves live jobs' alone."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import uuid

from ember.streaming.sink_output import write_batch
from ember_sink_files.text import TextFilesSink

#: a job whose first batch blocks inside its write, after three records
KILLED_JOB = textwrap.dedent("""
    import sys, time
    from ember import SparkContext
    from ember.streaming import StreamingContext

    def slow(x):
        if x == 3:
            print("writing", flush=True)
            time.sleep(600)
        return x

    sc = SparkContext("local[2]", "killed-writer")
    ssc = StreamingContext(sc, 0.2)
    ssc.queueStream([sc.parallelize(range(6), 1)]).map(slow).saveAsTextFiles(sys.argv[1], "txt")
    ssc.start()
    ssc.awaitTermination()
""")


def kill_mid_batch(prefix: str) -> str:
    """Run KILLED_JOB until it is writing, SIGKILL it; the temporary directory it left."""
    job = subprocess.Popen(
        [sys.executable, "-c", KILLED_JOB, prefix], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert job.stdout.readline() == "writing\n"
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # the driver and its workers
        job.wait()
    [left] = [n for n in os.listdir(os.path.dirname(prefix)) if ".ember-tmp-" in n]
    return left


def test_the_next_job_removes_what_a_killed_job_left_and_says_so_once(sc, tmp_path, sink_warnings):
    prefix = str(tmp_path / "ids")
    left = kill_mid_batch(prefix)
    assert re.fullmatch(r"\.ids-\d+\.txt\.ember-tmp-\d+-[0-9a-f]{32}", left)
    assert os.listdir(tmp_path / left) == ["part-00000"]  # half written: no _SUCCESS
    other_prefix = tmp_path / f".other-1000.txt.ember-tmp-1-{uuid.uuid4().hex}"
    other_prefix.mkdir()  # another prefix's: not this job's to judge

    sink = TextFilesSink(prefix, "txt")
    write_batch(sink, 5000, sc.parallelize(["a", "b"], 2))
    write_batch(sink, 6000, sc.parallelize(["c"], 1))
    assert sorted(os.listdir(tmp_path)) == [other_prefix.name, "ids-5000.txt", "ids-6000.txt"]
    assert sink_warnings() == [
        f"saveAsTextFiles({prefix}): a job that stopped mid-batch left "
        f"temporary directories, removed: {left}"
    ]


def test_a_running_job_s_temporaries_and_a_replaced_output_a_dead_job_moved_aside(
    sc, tmp_path, sink_warnings
):
    live = tmp_path / f".run-1000.ember-tmp-{os.getpid()}-{uuid.uuid4().hex}"  # this process: alive
    live.mkdir()
    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    moved = tmp_path / f".run-2000.ember-old-{dead_pid}-{uuid.uuid4().hex}"  # died mid-replace
    moved.mkdir()
    (moved / "_SUCCESS").write_bytes(b"")
    write_batch(TextFilesSink(str(tmp_path / "run")), 3000, sc.parallelize(["x"], 1))
    assert sorted(os.listdir(tmp_path)) == [live.name, "run-2000", "run-3000"]
    assert os.listdir(tmp_path / "run-2000") == ["_SUCCESS"]
    assert sink_warnings() == [
        f"saveAsTextFiles({tmp_path / 'run'}): a job that stopped mid-batch "
        f"left outputs moved aside, put back: run-2000"
    ]
