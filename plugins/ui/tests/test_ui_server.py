"""Starting and not starting the UI: ports, settings, the test kit, the JSON API's shape."""

from __future__ import annotations

import socket

import pytest

from ember import SparkContext
from ember.testing import run_stream
from ember_ui.server import bind_ui_socket


def test_two_jobs_at_once_get_two_ports(start_job, free_port):
    first = start_job({"spark.ui.port": str(free_port)}, name="first")
    assert first.wait_for_ui() == f"http://127.0.0.1:{free_port}"
    second = start_job({"spark.ui.port": str(free_port)}, name="second")
    second_port = int(second.wait_for_ui().rsplit(":", 1)[1])
    assert free_port < second_port <= free_port + 16  # the next free one (free_port + 1 unless taken)
    # each serves its own job: its own executor's worker processes
    pids = [{w["pid"] for w in job.api("/ember/executors")["workers"]} for job in (first, second)]
    assert len(pids[0]) == len(pids[1]) == 2 and not pids[0] & pids[1]
    assert first.stop() == 0 and second.stop() == 0


def test_the_api_has_sparks_fields_and_the_failed_operation_has_the_users_traceback(start_job, line_server):
    job = start_job({"spark.ui.port": "0"})
    job.wait_for_ui()
    job.wait_for_batches(lambda f: sum(b["records"] > 0 for b in f) >= 1, "a batch with records")
    line_server.send_once("boom")
    figures = job.wait_for_batches(lambda f: any(b["failed"] for b in f), "the failed batch")
    failed_batch = next(b["batch"] for b in figures if b["failed"])

    statistics = job.api("/statistics")
    assert set(statistics) == {
        "startTime",
        "batchDuration",
        "numReceivers",
        "numActiveReceivers",
        "numInactiveReceivers",
        "numTotalCompletedBatches",
        "numRetainedCompletedBatches",
        "numActiveBatches",
        "numProcessedRecords",
        "numReceivedRecords",
        "avgInputRate",
        "avgSchedulingDelay",
        "avgProcessingTime",
        "avgTotalDelay",
    }
    assert (statistics["batchDuration"], statistics["numReceivers"], statistics["numActiveReceivers"]) == (
        500,
        1,
        1,
    )
    batch = job.api(f"/batches/{failed_batch}")
    assert {
        "batchId",
        "batchTime",
        "status",
        "batchDuration",
        "inputSize",
        "schedulingDelay",
        "processingTime",
        "totalDelay",
        "numActiveOutputOps",
        "numCompletedOutputOps",
        "numFailedOutputOps",
        "numTotalOutputOps",
        "firstFailureReason",
    } <= set(batch)
    assert (batch["status"], batch["numFailedOutputOps"], batch["numTotalOutputOps"]) == ("COMPLETED", 1, 2)
    assert batch["firstFailureReason"].startswith("ValueError: the job's check found 'boom' in this batch\n")
    operations = job.api(f"/batches/{failed_batch}/operations")
    assert [(o["outputOpId"], o["failureReason"] is None) for o in operations] == [(0, True), (1, False)]
    assert "in check_no_boom" in operations[1]["failureReason"]  # the user's own frame
    assert set(operations[1]) == {
        "outputOpId",
        "name",
        "description",
        "startTime",
        "endTime",
        "duration",
        "failureReason",
    }
    assert batch in job.api("/batches")
    [receiver] = job.api("/receivers")
    assert (receiver["streamId"], receiver["isActive"], receiver["lastError"]) == (0, True, None)
    assert receiver["avgEventRate"] > 0 and receiver["eventRates"]
    [source] = job.api("/ember/sources")
    assert (source["kind"], source["restarts"]) == ("receiver", 0)
    [state] = job.api("/ember/state")
    assert state["keys"] > 0 and state["bytes"] > 0
    assert job.stop() == 0


def test_with_the_ui_disabled_the_job_binds_no_port(start_job, free_port):
    job = start_job({"spark.ui.enabled": "false", "spark.ui.port": str(free_port)})
    job.wait_for_batches(lambda f: len(f) >= 2, "two batches")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", free_port))  # nobody holds it
    assert job.stop() == 0
    assert "Spark UI" not in job.stderr()


def test_the_test_kit_runs_without_the_ui(capfd):
    with SparkContext("local[1]") as sc:
        assert run_stream(sc, [[1, 2], [3]], lambda d: d.map(lambda x: x * 10)) == [[10, 20], [30]]
        assert sc.getConf().get("spark.ui.enabled") is None  # left as it was
    assert "Spark UI" not in capfd.readouterr().err


def test_a_taken_port_moves_the_ui_to_the_next_free_one_within_the_retries():
    holders = [bind_ui_socket("127.0.0.1", 0, 0)]
    base = holders[0].getsockname()[1]
    try:
        moved = bind_ui_socket("127.0.0.1", base, 16)
        assert moved.getsockname()[1] > base
        moved.close()
        with pytest.raises(OSError, match=rf"no free port for the UI in {base}..{base}"):
            bind_ui_socket("127.0.0.1", base, 0)
    finally:
        for holder in holders:
            holder.close()
