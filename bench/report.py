"""The results table: one row per measurement, one column per engine, targets on the right."""

from __future__ import annotations

import statistics


def _median(key):
    return lambda r: statistics.median(r[key]) if r.get(key) else None


def _keeps_up(interval_ms: float):
    """Kept up: no batch waited longer than one interval for the one before it."""

    def check(r):
        if "max_scheduling_delay_ms" in r:
            return r["max_scheduling_delay_ms"] < interval_ms
        return max(r["batch_ms"]) < interval_ms if r.get("batch_ms") else None

    return check


ROWS = [
    (
        "W1 word count, one RDD job (lines/s)",
        "rdd",
        lambda r: r.get("lines_per_s"),
        "{:,.0f}",
        ">= 1.3x plain",
    ),
    (
        "W1 word count, streaming (lines/s, the median run)",
        "w1",
        lambda r: r.get("lines_per_s"),
        "{:,.0f}",
        ">= 1.3x plain, 5x PySpark",
    ),
    ("W1 processing only (lines/s)", "w1", lambda r: r.get("processing_lines_per_s"), "{:,.0f}", ""),
    ("W2 updateStateByKey, median batch (ms)", "w2", _median("batch_ms"), "{:,.1f}", "10x below PySpark"),
    ("W2 batch with no new data, 50k keys (ms)", "w2", _median("empty_ms"), "{:,.1f}", "< 20"),
    ("W2 keeps up at 0.5 s", "w2", _keeps_up(500), "{}", "yes"),
    ("W3 reduceByKeyAndWindow, median batch (ms)", "w3", _median("batch_ms"), "{:,.1f}", ""),
    (
        "W3 with the window full, median batch (ms)",
        "w3",
        _median("full_window_ms"),
        "{:,.1f}",
        "10x below PySpark",
    ),
    ("Empty batch processing (ms)", "latency", lambda r: r.get("empty_batch_ms"), "{:,.2f}", "< 2"),
    ("Smallest sustained interval (s)", "latency", lambda r: r.get("smallest_interval_s"), "{}", "<= 0.05"),
    ("One batch of 1,000 new files (s)", "files", lambda r: r["1000"]["batch_s"], "{:,.2f}", ""),
    ("One batch of 3,000 new files (s)", "files", lambda r: r["3000"]["batch_s"], "{:,.2f}", ""),
    ("One batch of 10,000 new files (s)", "files", lambda r: r["10000"]["batch_s"], "{:,.2f}", "seconds"),
    ("Empty RDD job, 2 partitions (ms)", "rdd", lambda r: r.get("empty_job_ms"), "{:,.2f}", ""),
    (
        "Start-up: launch to first output (s)",
        "startup",
        lambda r: r.get("first_output_s"),
        "{:,.2f}",
        "< 0.5",
    ),
    ("Stop (s)", "startup", lambda r: r.get("stop_s"), "{:,.3f}", ""),
    ("Peak RSS, W1 (MiB)", "w1", lambda r: r.get("peak_mib"), "{:,.0f}", "< 200"),
    ("Peak RSS, W2 (MiB)", "w2", lambda r: r.get("peak_mib"), "{:,.0f}", ""),
    ("Peak RSS, W3 (MiB)", "w3", lambda r: r.get("peak_mib"), "{:,.0f}", ""),
]


def _cell(result: dict | None, extract, fmt: str) -> str:
    if result is None:
        return ""
    if "error" in result:
        return "error" if "skipped" not in result["error"] else "skipped"
    try:
        value = extract(result)
    except (KeyError, TypeError, ValueError):
        return ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fmt.format(value)


def _agreement(results: dict, labels: list[str]) -> list[str]:
    """Every engine's per-batch outputs compared with the plain loop's."""
    lines = []
    for workload in ("rdd", "w1", "w2", "w3"):
        runs = results.get(workload, {})
        reference = runs.get("plain loop", {}).get("outputs")
        if reference is None:
            continue
        verdicts = []
        for label in labels:
            outputs = runs.get(label, {}).get("outputs")
            if outputs is not None and label != "plain loop":
                verdicts.append(f"{label}: {'same' if outputs == reference else 'DIFFERENT'}")
        if verdicts:
            lines.append(f"{workload} outputs vs the plain loop: " + ", ".join(verdicts))
    return lines


def table(results: dict, labels: list[str]) -> str:
    header = ["measurement"] + labels + ["target"]
    rows = [header]
    for name, workload, extract, fmt, target in ROWS:
        if workload not in results:
            continue
        runs = results[workload]
        rows.append([name] + [_cell(runs.get(label), extract, fmt) for label in labels] + [target])
    errors = [
        f"{workload} on {label}: {run['error']}"
        for workload, runs in results.items()
        for label, run in runs.items()
        if "error" in run and "skipped" not in run["error"]
    ]
    return "\n".join([_markdown(rows), ""] + _agreement(results, labels) + errors)


def connector_table(runs: dict[str, dict]) -> str:
    """One row per connector and client: records/s of the client's own loop and of ember
    ``local[2]`` in the run with the median ratio, that ratio and the target ratio."""
    rows = [
        ["connector (records/s, the median run)", "client loop", "ember local[2]", "ember / loop", "target"]
    ]
    for name, run in runs.items():
        if "error" in run:
            rows.append([name, "not run", "", "", run["error"][:80]])
            continue
        loop, ember = run["loop_records_per_s"], run["ember_records_per_s"]
        rows.append([name, f"{loop:,.0f}", f"{ember:,.0f}", f"{ember / loop:.2f}x", f">= {run['target']}x"])
    return _markdown(rows)


def _markdown(rows: list[list[str]]) -> str:
    """``rows`` (the first is the header) as a Markdown table with aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in rows]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)
