"""ember-flume: PySpark's Flume stream for ember (``from ember.streaming.flume import
FlumeUtils`` once installed).  See docs/connectors.md."""

from ember_flume.framing import FrameError
from ember_flume.receiver import FlumeReceiver
from ember_flume.utils import FlumeUtils, PollingStreamUnsupported, utf8_decoder

__all__ = ["FlumeReceiver", "FlumeUtils", "FrameError", "PollingStreamUnsupported", "utf8_decoder"]
