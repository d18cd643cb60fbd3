"""Jobs killed with SIGKILL mid-stream and recovered with getOrCreate: what Flume and MQTT
acknowledged before the kill is counted (write-ahead log), Kinesis records exactly once."""
from __future__ import annotations

import threading

import avro.errors

from flume_client import flume_client
from mosquitto_broker import Publisher
from stream_jobs import TotalsJob
from stream_services import free_port, unavailable, wait_until

JOB_START_S = 60  # a job's interpreter, pool and first batches, on a machine shared with others


class Sender(threading.Thread):
    """Sends numbered records ``r0``, ``r1``, ... in small batches until stopped; ``send(batch)``
    returns whether the counterpart acknowledged the batch, else it is sent again."""

    def __init__(self, send):
        super().__init__(daemon=True)
        self.send = send
        self.acknowledged: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            batch = [f"r{number + i}" for i in range(5)]
            if self.send(batch):
                self.acknowledged += batch
                number += len(batch)
            else:
                self.stopping.wait(0.05)  # the same batch again, after a pause
            self.stopping.wait(0.01)

    def stop(self) -> list[str]:
        self.stopping.set()
        self.join(30)
        return list(self.acknowledged)


def kill_and_recover(job: TotalsJob, sender: Sender) -> list[str]:
    """Let records flow into a checkpointed job, SIGKILL it, start it again from its checkpoint,
    let records flow again, then stop sending; returns what the counterpart acknowledged."""
    sender.start()
    wait_until(lambda: job.check_alive() or job.checkpointed() or job.batches_written() >= 6,
               JOB_START_S, "the job to run batches")
    if not job.checkpointed():
        sender.stop()
        unavailable("checkpointed recovery", "the job ran 6 batches without writing a checkpoint "
                    "(the StreamingContext does not use ember.checkpoint's session yet)")
    wait_until(lambda: job.check_alive() or len(sender.acknowledged) >= 40, JOB_START_S, "records to flow")
    job.kill()
    acknowledged_before_kill = len(sender.acknowledged)
    job.start()
    wait_until(lambda: job.check_alive() or len(sender.acknowledged) >= acknowledged_before_kill + 40,
               JOB_START_S, "records to flow into the recovered job")
    return sender.stop()


def counted_across_a_kill(job: TotalsJob, send, ready=lambda: True) -> tuple[list[str], dict]:
    """Once ``ready()``, records sent with ``send`` around a kill and recovery of ``job``: those
    acknowledged, and the job's totals once they all appear there."""
    try:
        wait_until(lambda: job.check_alive() or ready(), JOB_START_S, "the job to be ready")
        acknowledged = kill_and_recover(job, Sender(send))
        wait_until(lambda: job.check_alive() or set(acknowledged) <= set(job.totals()), JOB_START_S,
                   "every acknowledged record in the totals")
        return acknowledged, job.totals()
    finally:
        job.stop()


def test_flume_events_acknowledged_before_a_sigkill_are_all_counted(tmp_path):
    port = free_port()
    job = TotalsJob(tmp_path, "flume", "127.0.0.1", str(port)).start()
    clients = []

    def send(batch: list[str]) -> bool:
        """As a Flume Avro sink: a batch not acknowledged OK is sent again, on a new connection."""
        try:
            if not clients:
                clients.append(flume_client(port, stateful=True))
            return clients[0].append_batch([({}, record.encode()) for record in batch]) == "OK"
        except (OSError, avro.errors.AvroException):
            clients.clear()
            return False

    acknowledged, totals = counted_across_a_kill(job, send)
    assert all(totals[record] >= 1 for record in acknowledged)


def test_mqtt_messages_published_around_a_sigkill_are_all_counted(tmp_path, broker):
    job = TotalsJob(tmp_path, "mqtt", broker.url, "readings").start()
    publisher = Publisher(broker)
    try:
        acknowledged, totals = counted_across_a_kill(
            job, lambda batch: publisher.publish("readings", *batch) or True,
            # the job's persistent session exists once a message published now is counted
            ready=lambda: publisher.publish("readings", "probe") or "probe" in job.totals())
    finally:
        publisher.close()
    assert all(totals[record] >= 1 for record in acknowledged)


def test_kinesis_records_are_counted_exactly_once_across_a_sigkill(tmp_path, kinesis):
    name = kinesis.create_stream(shards=2)
    job = TotalsJob(tmp_path, "kinesis", kinesis.endpoint, name).start()

    def put(batch: list[str]) -> bool:
        kinesis.client.put_records(StreamName=name, Records=[{"Data": r.encode(), "PartitionKey": r} for r in batch])
        return True

    written, totals = counted_across_a_kill(job, put)
    assert totals == {record: 1 for record in written}
