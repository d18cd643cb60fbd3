"""``python -m bench [--pyspark] [--quick] [--full] [--only w1,w2,...]``: run, print, save.

Every workload runs in a fresh process per engine: ember local[2], ember local[1], a plain
single-process Python loop with the same functions and data, and PySpark local[2] with
``--pyspark`` (slow: minutes).  The table goes to stdout, everything measured to
bench/results/bench-<time>.json.  W1 reads a local TCP socket (the ember-socket connector);
the other streaming workloads feed queueStream; ``files`` times one textFileStream batch of
1,000, 3,000 and 10,000 new files (ember only, ``bench.file_batch``); ``kafka`` and ``kinesis``
compare ember with a loop of the connector's own client, on brokers they start (a second table).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from operator import itemgetter

from bench.corpus import RESULTS_DIR, corpus

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINES = [
    ("ember local[2]", "ember", "local[2]"),
    ("ember local[1]", "ember", "local[1]"),
    ("plain loop", "plain", "-"),
]
PYSPARK = ("pyspark local[2]", "pyspark", "local[2]")
DASK = ("ember dask-local[2]", "ember", "dask-local[2]")  # with --dask (needs ember-dask)
#: how many new files the ``files`` workload puts in one batch
FILE_COUNTS = (1_000, 3_000, 10_000)


#: W1 streaming runs this many times per engine, each connector row this many times; the
#: tables show the median run
W1_RUNS = CONNECTOR_RUNS = 3


def workload_params(quick: bool, full: bool) -> dict[str, dict]:
    corpus_lines = 100_000 if quick else 1_000_000
    scale = 10 if quick else 1
    return {
        "rdd": {
            "corpus_lines": corpus_lines,
            "lines": corpus_lines,
            "batch_lines": corpus_lines,
            "empty_jobs": 200,
        },
        "w1": {
            "corpus_lines": corpus_lines,
            "lines": corpus_lines,
            "batch_lines": 100_000 // scale,
            "interval": 0.5,
        },
        "w2": {
            "corpus_lines": corpus_lines,
            "lines": 1_000_000 // scale,
            "batch_lines": 50_000 // scale,
            "empty_batches": 6,
            "interval": 0.5,
        },
        "w3": {
            # --full: issue 12's row, real 1 s batches of 25k lines: 30 fill the 30 s window,
            # 20 more run with it full (a batch entering, one leaving)
            "corpus_lines": 1_250_000 if full else corpus_lines,
            "lines": (1_250_000 if full else 400_000) // scale,
            "batch_lines": (25_000 if full else 10_000) // scale,
            "window": 30,
            "interval": 1.0 if full else 0.2,
        },
        "latency": {
            "corpus_lines": corpus_lines,
            "small_batch_lines": 100,
            "intervals": [0.1, 0.05, 0.02, 0.01],
            "seconds": 2.0,
        },
    }


def median_run(runs: list[dict], measure: Callable[[dict], float], key: str) -> dict:
    """The run with the median ``measure``, every run's measure beside it as ``key``; a failed
    run wins.  W1 streaming and the connector rows run several times: where ``start()`` falls
    in the 0.5 s batch clock moves a single run by up to a third."""
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    measures = [measure(run) for run in runs]
    median = sorted(range(len(runs)), key=measures.__getitem__)[len(runs) // 2]
    return {**runs[median], key: measures}


def run_child(workload: str, engine: str, master: str, params: dict) -> dict:
    command = [sys.executable, "-m", "bench.child", workload, engine, master, json.dumps(params)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def file_batches(master: str) -> dict:
    """One batch of each of ``FILE_COUNTS`` new files, each count in a fresh process."""
    results = {}
    for count in FILE_COUNTS:
        command = [sys.executable, "-m", "bench.file_batch", str(count), master]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
        results[str(count)] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def startup(engine: str, master: str, runs: int = 3) -> dict:
    """Launch to the first line the job prints, and the job's own stop() time (medians)."""
    firsts, stops = [], []
    for _ in range(runs):
        launched = time.perf_counter()
        job = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "bench", "minimal_job.py"), engine, master],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        first = job.stdout.readline()
        firsts.append(time.perf_counter() - launched)
        rest = job.stdout.read().strip().splitlines()
        job.wait()
        if not first or not rest:
            return {"error": f"the minimal job printed nothing (exit {job.returncode})"}
        stops.append(json.loads(rest[-1])["stop_s"])
    return {"first_output_s": statistics.median(firsts), "stop_s": statistics.median(stops)}


def connector_runs(wanted: list[str], quick: bool) -> dict[str, dict]:
    """The Kafka and Kinesis rows: ember's direct stream or receiver against one process
    reading with the same client (``bench.kafka_wordcount``, ``bench.ingest_streams``), each
    on a broker it starts itself; a row that could not run says why."""
    runs: dict[str, list[dict]] = {}
    for _ in range(CONNECTOR_RUNS):
        if "kafka" in wanted:
            print("  running kafka (a Tansu broker, both clients) ...", flush=True)
            records = 100_000 if quick else 1_000_000
            done = _script([os.path.join("bench", "kafka_wordcount.py"), "--records", str(records), "--json"])
            for client, target in (("kafka-python", 1.5), ("confluent", 1.0)):
                runs.setdefault(f"Kafka, {client}", []).append(
                    _connector_row(done, lambda last, c=client: json.loads(last)[c], target)
                )
        if "kinesis" in wanted:
            print("  running kinesis (kinesalite, 2 shards) ...", flush=True)
            records = 5_000 if quick else 20_000
            done = _script(["-m", "bench.ingest_streams", "--only", "kinesis", "--records", str(records)])
            runs.setdefault(f"Kinesis, {records:,} records", []).append(
                _connector_row(done, lambda last: json.loads(last.removeprefix("kinesis ")), 1.0)
            )
    return {name: median_run(rows, _ratio, "runs_ratio") for name, rows in runs.items()}


def _ratio(row: dict) -> float:
    return row["ember_records_per_s"] / row["loop_records_per_s"]


def _script(arguments: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )


def _connector_row(done: subprocess.CompletedProcess, rates_of, target: float) -> dict:
    lines = done.stdout.strip().splitlines()
    try:
        rates = rates_of(lines[-1])
    except (IndexError, KeyError, ValueError):
        reason = (done.stderr.strip().splitlines() or lines or [f"exit {done.returncode}"])[-1]
        return {"error": reason}
    return {**rates, "target": target}


def pyspark_available() -> bool:
    return subprocess.run([sys.executable, "-c", "import pyspark"], capture_output=True).returncode == 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyspark", action="store_true", help="also run PySpark local[2] (slow)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, for a smoke run")
    parser.add_argument("--full", action="store_true", help="W3 with real 1 s batches (30 s window)")
    parser.add_argument("--dask", action="store_true", help="also run ember on dask-local[2] (ember-dask)")
    parser.add_argument("--engines", default="", help="comma-separated engine labels to keep (default all)")
    parser.add_argument(
        "--only",
        default="rdd,w1,w2,w3,latency,files,startup,kafka,kinesis",
        help="comma-separated workloads (rdd, w1, w2, w3, latency, files, startup, kafka, kinesis)",
    )
    args = parser.parse_args(argv)
    engines = list(ENGINES)
    if args.pyspark:
        if pyspark_available():
            engines.append(PYSPARK)
        else:
            print("PySpark is not importable: its column is left out")
    if args.dask:
        engines.append(DASK)
    if args.engines:
        engines = [engine for engine in engines if engine[0] in args.engines.split(",")]
    wanted = args.only.split(",")
    params = workload_params(args.quick, args.full)
    corpus(params["w1"]["corpus_lines"])  # generate (and cache) the corpus once, outside timings
    source_note = "W1 input: socketTextStream on a local TCP socket; W2, W3, latency: queueStream"
    load_before = os.getloadavg()[0]
    print(
        f"ember benchmarks, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load_before:.1f}; {source_note}"
    )
    results: dict[str, dict] = {}
    for workload in [w for w in ("rdd", "w1", "w2", "w3", "latency") if w in wanted]:
        runs: dict[str, list[dict]] = {}
        for _ in range(W1_RUNS if workload == "w1" else 1):  # engines alternate between runs
            for label, engine, master in engines:
                if engine == "plain" and workload == "latency":
                    continue
                print(f"  running {workload} on {label} ...", flush=True)
                runs.setdefault(label, []).append(run_child(workload, engine, master, params[workload]))
        results[workload] = {
            label: median_run(label_runs, itemgetter("lines_per_s"), "runs_lines_per_s")
            if len(label_runs) > 1
            else label_runs[0]
            for label, label_runs in runs.items()
        }
    if "files" in wanted:
        results["files"] = {}
        for label, engine, master in engines:
            if engine == "ember":
                print(f"  running files on {label} ...", flush=True)
                results["files"][label] = file_batches(master)
    if "startup" in wanted:
        results["startup"] = {}
        for label, engine, master in engines:
            if engine == "plain":
                continue
            print(f"  running startup on {label} ...", flush=True)
            results["startup"][label] = startup(engine, master)
    connectors = connector_runs(wanted, args.quick)
    from bench.report import connector_table, table

    load_after = os.getloadavg()[0]
    print(
        f"\nload average (1 min) before: {load_before:.1f}, after: {load_after:.1f} "
        "(other work on the machine slows every column, the multi-process ones most)"
    )
    if results:
        print(table(results, [label for label, _, _ in engines]))
    if connectors:
        print("\n" + connector_table(connectors))
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as out:
        json.dump(
            {
                "machine": {
                    "cores": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average": [load_before, load_after],
                },
                "source": source_note,
                "params": params,
                "results": results,
                "connectors": connectors,
            },
            out,
            indent=1,
        )
    print(f"\nsaved {path}")
