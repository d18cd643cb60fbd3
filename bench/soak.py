"""Soak run: a socket source at full speed into a job slower than it, with backpressure off
and no maxRate, for ``--seconds`` (5 minutes by default).  Every ``--every`` seconds it samples
the RSS of the driver and of each worker, the driver's shared memory in /dev/shm and the
receiver's buffered bytes; the memory must be flat after the first minute (the receiver is
held back at ``spark.ember.streaming.receiver.maxBufferedBytes``).

    python -m bench.soak [--seconds 300] [--every 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.memory import _children

#: the flooding server: one client, lines written as fast as the socket takes them
SERVER = """
import socket, sys
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
connection, _ = listener.accept()
chunk = ("x" * 90 + "\\n").encode() * 10_000
try:
    while True:
        connection.sendall(chunk)
except OSError:
    pass
"""


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def shm_mib() -> float:
    prefix = f"ember_{os.getpid()}_"
    try:
        names = [n for n in os.listdir("/dev/shm") if n.startswith(prefix)]
    except OSError:
        return 0.0
    return (
        sum(
            os.path.getsize(os.path.join("/dev/shm", n))
            for n in names
            if os.path.exists(os.path.join("/dev/shm", n))
        )
        / 2**20
    )


def run(seconds: float, every: float, sink_delay_s: float) -> dict:
    from ember import SparkConf, SparkContext
    from ember.streaming import StreamingContext

    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    conf = SparkConf().set("spark.streaming.backpressure.enabled", "false").set("spark.ui.enabled", "false")
    sc = SparkContext("local[2]", "soak", conf=conf)
    ssc = StreamingContext(sc, 1)
    lines = ssc.socketTextStream("127.0.0.1", port)
    processed = {"records": 0, "batches": 0}

    def slow_sink(rdd):
        processed["records"] += rdd.map(len).count()
        processed["batches"] += 1
        time.sleep(sink_delay_s)

    lines.foreachRDD(slow_sink)
    samples = []
    started = time.monotonic()
    ssc.start()
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            workers = [pid for pid in _children().get(os.getpid(), []) if pid != server.pid]
            samples.append(
                {
                    "t_s": round(elapsed, 1),
                    "driver_mib": round(rss_mib(os.getpid()), 1),
                    "workers_mib": [round(rss_mib(pid), 1) for pid in workers],
                    "shm_mib": round(shm_mib(), 1),
                    "buffered_mib": round(lines.buffered_bytes / 2**20, 1),
                    "batches_done": processed["batches"],
                    "records_done": processed["records"],
                }
            )
            print(json.dumps(samples[-1]), flush=True)
            time.sleep(every)
        stop_started = time.monotonic()
        ssc.stop(stopSparkContext=True, stopGraceFully=True)
        stop_s = time.monotonic() - stop_started
    finally:
        server.kill()
        server.wait()
    return {
        "seconds": seconds,
        "sink_delay_s": sink_delay_s,
        "graceful_stop_s": round(stop_s, 1),
        "samples": samples,
        "summary": summarize(samples),
    }


def summarize(samples: list[dict]) -> dict:
    """RSS at the first minute, the most after it, and at the end: flat means the last two
    stay near the first."""
    after = [s for s in samples if s["t_s"] >= 60] or samples[-1:]
    first = after[0]

    def workers(sample):
        return sum(sample["workers_mib"])

    return {
        "driver_mib_at_60s": first["driver_mib"],
        "driver_mib_max_after_60s": max(s["driver_mib"] for s in after),
        "driver_mib_end": samples[-1]["driver_mib"],
        "workers_mib_at_60s": workers(first),
        "workers_mib_max_after_60s": max(map(workers, after)),
        "workers_mib_end": workers(samples[-1]),
        "shm_mib_max": max(s["shm_mib"] for s in samples),
        "buffered_mib_max": max(s["buffered_mib"] for s in samples),
        "records_processed": samples[-1]["records_done"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to run (default 300)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples (default 5)")
    parser.add_argument(
        "--sink-delay",
        type=float,
        default=1.5,
        help="seconds the sink sleeps per 1 s batch, to be slower than the input (default 1.5)",
    )
    parser.add_argument("--json", help="write the samples and summary to this file")
    options = parser.parse_args()
    result = run(options.seconds, options.every, options.sink_delay)
    print(json.dumps(result["summary"], indent=2), f"\ngraceful stop: {result['graceful_stop_s']} s")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()
