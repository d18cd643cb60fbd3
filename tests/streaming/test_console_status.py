"""The live status line of ``python -m ember run``: drawn in place on a terminal (a real
pseudo-terminal here), absent when stdout is a pipe or spark.ui.showConsoleProgress=false."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import textwrap

import pytest

JOB = textwrap.dedent("""
    import sys
    from ember import SparkContext
    from ember.streaming import StreamingContext

    sc = SparkContext("local[1]", "console-status")
    ssc = StreamingContext(sc, 0.2)
    ssc.checkpoint(sys.argv[1])
    batches = [[f"w{i % 5}" for i in range(n + 1)] for n in range(6)]
    counts = ssc.queueStream(batches).map(lambda w: (w, 1)).updateStateByKey(
        lambda new, old: sum(new) + (old or 0)).checkpoint(0.4)  # encoded (and measured) every 2 batches
    counts.foreachRDD(lambda t, rdd: print("printed by batch", t.strftime("%S.%f")[:6], flush=True))
    ssc.start()
    ssc.awaitTerminationOrTimeout(2.0)
    ssc.stop()
    print("job done")
""")
STATUS = re.compile(
    r"\r\x1b\[K\[Batch \d\d:\d\d:\d\d\] input [\d,]+ records/s \| processing \d+\.\d{3} s"
    r" \| scheduling delay \d+\.\d{3} s \| state (\d+ B|[\d.]+ KiB)"
)


@pytest.fixture
def job_file(tmp_path):
    path = tmp_path / "job.py"
    path.write_text(JOB)
    return path


def _run_on_terminal(job_file, tmp_path, *conf: str) -> str:
    """Run the job with stdout on a pseudo-terminal; everything it wrote there."""
    controller, terminal = pty.openpty()
    args = [
        sys.executable,
        "-m",
        "ember",
        "run",
        *[f"--conf={c}" for c in conf],
        str(job_file),
        str(tmp_path / "ck"),
    ]
    process = subprocess.Popen(args, stdout=terminal, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError(f"the job wrote nothing for 60 s; so far: {output!r}")
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the job closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(30) == 0, output
    return output.decode().replace("\r\n", "\n")


def test_the_status_line_is_redrawn_in_place_on_a_terminal(job_file, tmp_path):
    output = _run_on_terminal(job_file, tmp_path)
    states = STATUS.findall(output)
    assert len(states) >= 5, output
    assert states[-1] != "0 B"  # the state's bytes were measured
    # a batch's own output starts on a cleared line, and the last status line stays above "job done"
    assert "\r\x1b[Kprinted by batch" in output
    assert re.search(r"state [^\n]*\njob done", output)


def test_spark_ui_show_console_progress_false_turns_it_off(job_file, tmp_path):
    output = _run_on_terminal(job_file, tmp_path, "spark.ui.showConsoleProgress=false")
    assert "printed by batch" in output and "job done" in output
    assert "[Batch " not in output


def test_not_on_a_terminal_there_is_no_status_line(job_file, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ember", "run", str(job_file), str(tmp_path / "ck")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "printed by batch" in done.stdout and "[Batch " not in done.stdout and "\x1b" not in done.stdout
