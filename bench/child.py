"""One measurement in a fresh process: ``python -m bench.child WORKLOAD ENGINE MASTER PARAMS``.

A fresh process per (workload, engine) isolates peak memory and start-up costs; the last
line on stdout is the result as JSON.
"""

from __future__ import annotations

import json
import sys
import time

from bench import plain, rdd_jobs, streaming
from bench.corpus import batches, corpus, corpus_path
from bench.memory import tree_peak_mib


def _input(params: dict) -> list[list[str]]:
    lines = corpus(params["corpus_lines"])
    offset = params.get("offset", 0)
    return batches(lines[offset : offset + params["lines"]], params["batch_lines"])


def run_plain(workload: str, params: dict) -> dict:
    if workload == "w1":
        return plain.w1_total(corpus_path(params["corpus_lines"]))
    data = _input(params)
    if workload == "rdd":
        return plain.w1(data)
    if workload == "w2":
        return plain.w2(data, params["empty_batches"])
    if workload == "w3":
        return plain.w3(data, params["window"])
    raise ValueError(f"the plain loop has no {workload}")


def run_engine(workload: str, engine: str, master: str, params: dict) -> dict:
    api = streaming.load_api(engine)
    if workload == "rdd":
        result = rdd_jobs.measure(
            api, master, corpus(params["corpus_lines"])[: params["lines"]], params["empty_jobs"]
        )
        stop = result.pop("sc").stop
    elif workload == "latency":
        small = corpus(params["corpus_lines"])[: params["small_batch_lines"]]
        result = streaming.latency(api, master, small, params["intervals"], params["seconds"])
        stop = result.pop("sc").stop
    else:
        data = _input(params) if workload != "w1" else None
        if workload == "w1":
            result = streaming.w1(api, master, params["corpus_lines"], params["interval"])
        elif workload == "w2":
            result = streaming.w2(api, master, data, params["empty_batches"], params["interval"])
        else:
            result = streaming.w3(api, master, data, params["window"], params["interval"])
        stop = result.pop("ssc").stop
    result["peak_mib"] = tree_peak_mib()
    started = time.perf_counter()
    stop()
    result["stop_s"] = time.perf_counter() - started
    return result


def main() -> None:
    workload, engine, master, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    if engine == "plain":
        result = run_plain(workload, params)
        result["peak_mib"] = tree_peak_mib()
    else:
        result = run_engine(workload, engine, master, params)
    result["sustained"] = {str(k): v for k, v in result.get("sustained", {}).items()}
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
