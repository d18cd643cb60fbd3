"""Checkpointing keyed state of 1M keys: write time, restore time, size on disk.

    python bench/checkpoint_state.py [--keys N] [--partitions P] [--no-pyspark]

ember's side writes the state as a stateful stream's checkpoint does (one state file of P
partitions of ``(word, count)`` pairs, plus the checkpoint file naming it) and restores it as
recovery does (read, verify, decompress, decode back to lists of tuples).  When pyspark is
importable, the same pairs are checkpointed as PySpark checkpoints updateStateByKey's state
(an RDD of pickled Python pairs written by ``rdd.checkpoint()``), and the sizes compared.
Targets (issue 6): write and restore under 2 s each, smaller on disk than PySpark.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

from ember.checkpoint import FORMAT_VERSION, CheckpointDirectory, ValueCodec, open_store

TARGET_SECONDS = 2.0


def make_state(keys: int, partitions: int) -> list[list[tuple[str, int]]]:
    """Word-count-like state: distinct words with random letters, skewed random counts (so
    the compressor sees realistic entropy), spread over the partitions."""
    rng = random.Random(42)
    split: list[list[tuple[str, int]]] = [[] for _ in range(partitions)]
    for i in range(keys):
        word = f"{rng.getrandbits(36):09x}{i}"
        split[i % partitions].append((word, int(rng.expovariate(1 / 50)) + 1))
    return split


def directory_size(path: str) -> int:
    return sum(
        os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names
    )


def bench_ember(state: list[list], workdir: str) -> dict:
    location = os.path.join(workdir, "ember")
    directory = CheckpointDirectory(open_store(location), ValueCodec())
    started = time.perf_counter()
    name, size = directory.write_state_sized(1, 1000, state, "benchmark state")
    graph = [
        {"kind": "receiver", "slide_ms": 1000, "parents": []},
        {"kind": "updateStateByKey", "slide_ms": 1000, "parents": [0]},
    ]
    directory.write_checkpoint(
        {
            "format": FORMAT_VERSION,
            "time": 1000,
            "batch_ms": 1000,
            "zero_ms": 0,
            "last_completed_ms": 1000,
            "pending": [],
            "graph": graph,
            "streams": {1: {"state": {"file": name, "time": 1000, "bytes": size}}},
        }
    )
    written = time.perf_counter()
    restored = directory.load_latest().states[1]
    done = time.perf_counter()
    if restored != state:
        raise AssertionError("the restored state differs from the written one")
    return {"write_s": written - started, "restore_s": done - written, "bytes": directory_size(location)}


def bench_pyspark(state: list[list], workdir: str) -> dict | None:
    try:
        from pyspark import SparkConf, SparkContext
    except ImportError:
        return None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = SparkConf().setMaster("local[2]").setAppName("checkpoint-bench").set("spark.ui.enabled", "false")
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    try:
        location = os.path.join(workdir, "pyspark")
        sc.setCheckpointDir(location)
        pairs = [pair for partition in state for pair in partition]
        base = sc.parallelize(pairs, len(state)).cache()
        base.count()
        rdd = base.mapValues(lambda count: count).cache()  # a Python RDD, as the state is
        rdd.checkpoint()
        started = time.perf_counter()
        rdd.count()  # computes the RDD, then runs the checkpoint job that writes it
        written = time.perf_counter()
        return {"write_s": written - started, "bytes": directory_size(location)}
    finally:
        sc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--no-pyspark", action="store_true", help="skip the PySpark comparison")
    options = parser.parse_args(argv)
    state = make_state(options.keys, options.partitions)
    workdir = tempfile.mkdtemp(prefix="ember-ckpt-bench-")
    try:
        ember = bench_ember(state, workdir)
        pyspark = None if options.no_pyspark else bench_pyspark(state, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"state: {options.keys:,} keys in {options.partitions} partitions")
    print(
        f"ember   write {ember['write_s']:.2f} s  restore {ember['restore_s']:.2f} s  "
        f"on disk {ember['bytes'] / 1e6:.1f} MB"
    )
    within = ember["write_s"] < TARGET_SECONDS and ember["restore_s"] < TARGET_SECONDS
    print(f"target: under {TARGET_SECONDS:.0f} s each: {'met' if within else 'MISSED'}")
    if pyspark is None:
        print("pyspark: not importable or skipped; no size comparison")
        return 0 if within else 1
    print(
        f"pyspark write {pyspark['write_s']:.2f} s  on disk {pyspark['bytes'] / 1e6:.1f} MB "
        f"(ember is {ember['bytes'] / pyspark['bytes']:.0%} of it)"
    )
    return 0 if within and ember["bytes"] < pyspark["bytes"] else 1


if __name__ == "__main__":
    sys.exit(main())
