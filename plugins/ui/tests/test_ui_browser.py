"""A real job with the UI on, looked at by a real browser and scraped by Prometheus' parser."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

MIN_BATCHES = 6


def _timeline_points(dom: str, plot: str) -> int:
    """Data points drawn in the timeline of the plot row ``plot``."""
    row = re.search(rf'<tr data-plot="{plot}">(.*?)</tr>', dom, re.S)
    assert row, f"no plot row {plot} in the page"
    timeline = re.search(r'class="timeline">(.*?)</div>', row.group(1), re.S).group(1)
    return len(re.findall(r'<circle[^>]*class="point"', timeline))


def _histogram_bars(dom: str, plot: str) -> list[float]:
    row = re.search(rf'<tr data-plot="{plot}">(.*?)</tr>', dom, re.S).group(1)
    return [float(h) for h in re.findall(r'<rect[^>]*height="([\d.]+)"[^>]*class="bar"', row)]


def test_the_page_plots_the_batches_and_metrics_match_the_listener(
    start_job, line_server, browser, artifacts_dir, free_port
):
    job = start_job({"spark.ui.port": str(free_port)})
    url = job.wait_for_ui()
    assert url == f"http://127.0.0.1:{free_port}"
    job.wait_for_batches(lambda f: sum(b["records"] > 0 for b in f) >= 2, "batches with records")
    line_server.send_once("boom")
    job.wait_for_batches(
        lambda f: any(b["failed"] for b in f) and len(f) >= MIN_BATCHES,
        f"{MIN_BATCHES} batches and the failed one",
    )

    dom = browser("--virtual-time-budget=4000", "--dump-dom", url + "/")
    for plot in ("inputRate", "schedulingDelay", "processingTime", "totalDelay"):
        assert _timeline_points(dom, plot) >= MIN_BATCHES, f"{plot}: too few points drawn"
        bars = _histogram_bars(dom, plot)
        assert len(bars) == 10 and max(bars) > 0, f"{plot}: the histogram is empty"
    table = re.search(r'<table class="grid batches" id="completed-batches">(.*?)</table>', dom, re.S).group(1)
    shown = {int(i) for i in re.findall(r'<tr class="batch[^"]*" data-batch-id="(\d+)"', table)}
    listed = {b["batch"] for b in job.figures_lines()}
    assert len(shown) >= MIN_BATCHES and shown <= listed
    assert 'class="batch failed"' in table
    sources = re.search(r'<table class="grid" id="sources">(.*?)</table>', dom, re.S).group(1)
    assert "SocketReceiver" in sources or "receiver" in sources
    workers = re.search(r'<table class="grid" id="workers">(.*?)</table>', dom, re.S).group(1)
    assert workers.count("<tr>") >= 3  # header and the two workers of local[2]

    failed_batch = next(b["batch"] for b in job.figures_lines() if b["failed"])
    batch_page = browser(
        "--virtual-time-budget=3000", "--dump-dom", f"{url}/streaming/batch/?id={failed_batch}"
    )
    trace = re.search(r"<details open=\"\"><summary>(.*?)</summary><pre>(.*?)</pre>", batch_page, re.S)
    assert trace.group(1) == "ValueError: the job's check found 'boom' in this batch"
    assert "in check_no_boom" in trace.group(2)  # the user's own frame

    screenshot = artifacts_dir / "ember-ui-streaming.png"
    browser("--virtual-time-budget=4000", f"--screenshot={screenshot}", url + "/")
    assert screenshot.stat().st_size > 10_000

    metrics = {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(job.get("/metrics").decode())
        for sample in family.samples
    }
    last_ms = round(metrics["ember_streaming_last_completed_batch_time_seconds[]"] * 1000)
    figures = [b for b in job.figures_lines() if b["batch"] <= last_ms]
    assert metrics["ember_streaming_batches_completed_total[]"] == len(figures)
    assert metrics["ember_streaming_batches_failed_total[]"] == sum(b["failed"] for b in figures) == 1
    for stream_id in {s for b in figures for s in b["by_stream"]}:
        records = sum(b["by_stream"].get(stream_id, 0) for b in figures)
        assert metrics[f"ember_streaming_records_in_total[('stream_id', '{stream_id}')]"] == records
    assert metrics["ember_streaming_batch_processing_seconds_count[]"] == len(figures)
    assert metrics["ember_streaming_batch_processing_seconds_sum[]"] == pytest.approx(
        sum(b["processing_ms"] for b in figures) / 1000
    )
    assert metrics["ember_streaming_batch_scheduling_delay_seconds_sum[]"] == pytest.approx(
        sum(b["scheduling_ms"] for b in figures) / 1000
    )
    state_keys = [v for k, v in metrics.items() if k.startswith("ember_streaming_state_keys")]
    assert len(state_keys) == 1 and state_keys[0] > 13  # word0..word12, roundN, lineN, boom
    worker_tasks = [v for k, v in metrics.items() if k.startswith("ember_executor_tasks_total")]
    assert len(worker_tasks) == 2 and sum(worker_tasks) > 0
    restarts = {k: v for k, v in metrics.items() if k.startswith("ember_streaming_receiver_restarts_total")}
    assert list(restarts.values()) == [0], restarts
    assert job.stop() == 0
