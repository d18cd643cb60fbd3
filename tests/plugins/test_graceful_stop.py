"""A graceful stop processes everything a receiver accepted, however late it arrived.

Spark stops receivers before its last batches are cut; a receiver that kept storing while the
last batch was cut would have records accepted (acknowledged, for Flume, MQTT and the WAL)
but in no batch.
"""

from __future__ import annotations

import threading

from ember.plugins import Receiver, ReceiverStoppedError, SourceKind, create_source_stream
from ember.plugins.testing import BatchCollector, wait_until
from ember.streaming import StreamingContext


class EndlessReceiver(Receiver):
    """Stores 0, 1, 2, ... as fast as it can until the stream refuses, then writes how many it
    stored to ``report`` (it runs where the executor puts it: a worker process on local[N])."""

    def __init__(self, report):
        super().__init__()
        self.report = report

    def onStart(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        number = 0
        while True:
            try:
                self.store(number)
            except ReceiverStoppedError:
                self.report.write_text(str(number))
                return
            number += 1

    def onStop(self):
        pass


def test_every_record_accepted_before_a_graceful_stop_is_processed(sc, plugins, make_plugin, tmp_path):
    report = tmp_path / "accepted"
    receiver = EndlessReceiver(report)
    plugins(
        endless=make_plugin(
            "endless", ember_source_kinds=lambda: [SourceKind("endless", lambda ssc: receiver)]
        )
    )
    ssc = StreamingContext(sc, 0.2)
    seen = BatchCollector(create_source_stream(ssc, "endless").count())
    ssc.start()
    seen.wait_for(lambda collector: len(collector.batches) >= 2 and sum(collector.records) > 0)
    ssc.stop(stopSparkContext=False, stopGraceFully=True)
    wait_until(lambda: report.exists() and report.read_text(), what="the receiver to report what it stored")
    assert sum(seen.records) == int(report.read_text()) > 0
