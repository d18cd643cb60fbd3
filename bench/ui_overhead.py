"""What ember-ui costs a job: W1 streaming (ember local[2]) with the UI off, on, and on while
polled every second the way an open page plus a Prometheus scraper poll it.

    python -m bench.ui_overhead [--runs 3] [--quick]

Each run is a fresh process (``--child MODE``); the modes take turns so a change of machine
load hits them alike.  Needs ember-ui installed (``pip install -e plugins/ui``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from bench.corpus import corpus
from bench.run import ROOT, workload_params

MODES = ("off", "on", "polled")
URL_LINE = re.compile(r"Spark UI \(ember-ui\) for \S+ at (http://\S+)")
POLLED_PATHS = (
    "/metrics",
    "/statistics",
    "/batches",
    "/receivers",
    "/ember/sources",
    "/ember/state",
    "/ember/executors",
)


def child(mode: str, params: dict) -> None:
    from bench import streaming
    from ember.conf import set_submit_defaults

    set_submit_defaults({"spark.ui.enabled": "false" if mode == "off" else "true", "spark.ui.port": "0"})
    api = streaming.load_api("ember")
    before = time.process_time()
    result = streaming.w1(api, "local[2]", params["corpus_lines"], params["interval"])
    result["driver_cpu_s"] = time.process_time() - before  # the UI runs in the driver: its cost is here
    result.pop("ssc").stop()
    print(json.dumps(result), flush=True)


def _poll(url: str, stop: threading.Event, counts: list[int]) -> None:
    """Every second, what the page's refresh and a scrape ask for."""
    with urllib.request.urlopen(url + "/api/v1/applications", timeout=10) as response:
        app_id = json.loads(response.read())[0]["id"]
    api = f"{url}/api/v1/applications/{app_id}/streaming"
    while not stop.wait(1.0):
        for path in POLLED_PATHS:
            try:
                with urllib.request.urlopen(
                    (url if path == "/metrics" else api) + path, timeout=10
                ) as response:
                    response.read()
                counts[0] += 1
            except OSError:
                return


def run(mode: str, params: dict) -> dict:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.ui_overhead", "--child", mode, json.dumps(params)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop, polled = threading.Event(), [0]
    if mode != "off":
        for line in process.stderr:
            match = URL_LINE.search(line)
            if match:
                if mode == "polled":
                    threading.Thread(target=_poll, args=(match.group(1), stop, polled), daemon=True).start()
                break
    out, err = process.communicate(timeout=1800)
    stop.set()
    if process.returncode != 0:
        raise SystemExit(f"the {mode} run failed: {err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["requests"] = polled[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PARAMS"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child[0], json.loads(options.child[1]))
        return
    params = workload_params(options.quick, False)["w1"]
    corpus(params["corpus_lines"])  # generate (and cache) the corpus once, outside timings
    results: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for number in range(options.runs):
        for mode in MODES:
            result = run(mode, params)
            results[mode].append(result)
            print(
                f"run {number + 1} {mode:6}: {result['lines_per_s']:,.0f} lines/s, driver CPU "
                f"{result['driver_cpu_s']:.2f} s, {result['requests']} requests",
                flush=True,
            )
    baseline = statistics.median(r["lines_per_s"] for r in results["off"])
    cpu_baseline = statistics.median(r["driver_cpu_s"] for r in results["off"])
    print(f"\n{'ember-ui':8} | median lines/s | vs off | median driver CPU (s) | vs off | runs (lines/s)")
    for mode in MODES:
        rates = [r["lines_per_s"] for r in results[mode]]
        median, cpu = statistics.median(rates), statistics.median(r["driver_cpu_s"] for r in results[mode])
        print(
            f"{mode:8} | {median:14,.0f} | {median / baseline - 1:+6.1%} | {cpu:21.2f} | "
            f"{cpu / cpu_baseline - 1:+6.1%} | " + ", ".join(f"{rate:,.0f}" for rate in rates)
        )


if __name__ == "__main__":
    main()
