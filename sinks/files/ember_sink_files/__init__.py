"""ember-sink-files: ``DStream.saveAsTextFiles`` with Spark's directory layout."""

from ember_sink_files.text import TextFilesSink

__all__ = ["TextFilesSink"]
