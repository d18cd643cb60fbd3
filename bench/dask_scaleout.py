"""``python -m bench.dask_scaleout [--workers 2,4,8] [--files 16] [--lines 20000]``: ember-dask
scale-out, simulated on one machine.

For each worker count, a stateful streaming job (running word counts with updateStateByKey,
checkpointed) reads a directory of text files (a replayable source: the tasks read the files
on the workers) on ``dask-local[N]``.  After the last batch it reports where the blocks are,
per worker (blocks, records, encoded bytes: the encoded state of checkpoint times and the
shuffle outputs; and the state partitions kept in the worker's memory), and the driver's RSS
(now and peak), to show the data spread over the workers while the driver stays flat.  Each
worker count runs in a fresh process.  Nothing is asserted; docs/benchmarks.md reports a run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time


def _rss_mib() -> tuple[float, float]:
    """The driver's (current, peak) resident memory."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def job(workers: int, files: int, lines: int) -> dict:
    from ember import SparkContext
    from ember.streaming import StreamingContext

    work = tempfile.mkdtemp(prefix="ember-scaleout-")
    watched, staging = os.path.join(work, "in"), os.path.join(work, "staging")
    os.makedirs(watched)
    os.makedirs(staging)
    sc = SparkContext(f"dask-local[{workers}]", "bench-dask-scaleout")
    sc.setLogLevel("ERROR")
    ssc = StreamingContext(sc, 1)
    ssc.checkpoint(os.path.join(work, "checkpoint"))
    state = (
        ssc.textFileStream(watched)
        .flatMap(str.split)
        .map(lambda w: (w, 1))
        .updateStateByKey(lambda new, old: sum(new) + (old or 0), numPartitions=2 * workers)
    )
    totals = {}
    state.foreachRDD(lambda rdd: totals.update(keys=rdd.count()))
    ssc.start()
    words = [f"w{i}" for i in range(50_000)]
    rng = random.Random(7)
    started = time.perf_counter()
    for index in range(files):
        path = os.path.join(staging, f"{index}.txt")
        with open(path, "w") as out:
            out.writelines(" ".join(rng.choices(words, k=8)) + "\n" for _ in range(lines))
        os.replace(path, os.path.join(watched, f"{index}.txt"))
        time.sleep(1.0)
    time.sleep(3.0)  # the last file's batch
    elapsed = time.perf_counter() - started
    by_worker = sc.executor.blocks_by_worker()
    kept = sc.executor.local_blocks_by_worker()
    current, peak = _rss_mib()
    ssc.stop(stopSparkContext=True, stopGraceFully=False)
    shutil.rmtree(work, ignore_errors=True)
    return {
        "workers": workers,
        "state_keys": totals.get("keys"),
        "seconds": round(elapsed, 1),
        "driver_rss_mib": round(current, 1),
        "driver_peak_mib": round(peak, 1),
        "per_worker": {
            address: dict(zip(("blocks", "records", "bytes"), by_worker.get(address, (0, 0, 0))))
            | {"state_partitions": kept.get(address, 0)}
            for address in sorted(set(by_worker) | set(kept))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dask_scaleout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--workers", default="2,4,8")
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(job(args.child, args.files, args.lines)))
        return
    for workers in map(int, args.workers.split(",")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.dask_scaleout",
                "--child",
                str(workers),
                "--files",
                str(args.files),
                "--lines",
                str(args.lines),
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONHASHSEED="0"),
        )
        if done.returncode != 0:
            print(f"{workers} workers: failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        records = [w["records"] for w in result["per_worker"].values()]
        megabytes = [round(w["bytes"] / 2**20, 2) for w in result["per_worker"].values()]
        kept = [w["state_partitions"] for w in result["per_worker"].values()]
        print(
            f"{workers} workers: {result['state_keys']} state keys; driver RSS {result['driver_rss_mib']} MiB "
            f"(peak {result['driver_peak_mib']}); per worker records {records}, MiB {megabytes}, "
            f"state partitions kept {kept}"
        )


if __name__ == "__main__":
    main()
