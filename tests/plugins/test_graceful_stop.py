"""A graceful stop processes everything a receiver accepted, however late it arrived.

Spark stops receivers before its last batches are cut; a receiver that kept storing while the
last batch was cut would have records accepted (acknowledged, for Flume, MQTT and the WAL)
but in no batch.
"""

from __future__ import annotations

import threading

from ember.plugins import Receiver, ReceiverStoppedError, SourceKind, create_source_stream
from ember.plugins.testing import BatchCollector
from ember.streaming import StreamingContext


class EndlessReceiver(Receiver):
    """Stores 0, 1, 2, ... as fast as it can until the stream refuses; counts what it stored."""

    def __init__(self):
        super().__init__()
        self.accepted = 0
        self.first_stored = threading.Event()

    def onStart(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        number = 0
        while True:
            try:
                self.store(number)
            except ReceiverStoppedError:
                return
            self.accepted = number = number + 1
            self.first_stored.set()

    def onStop(self):
        pass


def test_every_record_accepted_before_a_graceful_stop_is_processed(sc, plugins, make_plugin):
    receiver = EndlessReceiver()
    plugins(
        endless=make_plugin(
            "endless", ember_source_kinds=lambda: [SourceKind("endless", lambda ssc: receiver)]
        )
    )
    ssc = StreamingContext(sc, 0.2)
    seen = BatchCollector(create_source_stream(ssc, "endless").count())
    ssc.start()
    assert receiver.first_stored.wait(10)
    seen.wait_for(lambda collector: len(collector.batches) >= 2)
    ssc.stop(stopSparkContext=False, stopGraceFully=True)
    assert receiver.accepted > 0
    assert sum(seen.records) == receiver.accepted
