"""The fingerprint of a DStream graph: what recovery checks before restoring data into it.

Recovery runs the job's setup function again, so the code may have changed; what must not
change is the graph's shape: which streams there are, in which order, of which kind, with
which slides and windows, fed by which parents, at which batch interval.  Streams are named
by their position in ``DStreamGraph.streams()`` (parents before children, outputs in
registration order), which is the same on every run of the same program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ember.checkpoint.errors import GraphMismatchError
from ember.streaming.durations import format_ms

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream
    from ember.streaming.graph import DStreamGraph

#: how many differences the mismatch error lists before it stops
_MAX_LISTED = 5


def ordered_streams(graph: DStreamGraph) -> list[DStream]:
    """The graph's streams in fingerprint order; a stream's index in this list is its name."""
    return list(graph.streams())


def fingerprint(graph: DStreamGraph) -> list[dict[str, Any]]:
    """One plain entry per stream: kind, source, slide, window and parents (by index)."""
    streams = ordered_streams(graph)
    index = {stream.id: position for position, stream in enumerate(streams)}
    return [
        {
            "kind": stream.kind,
            "source": getattr(stream, "description", None),
            "slide_ms": stream.slide_ms,
            "window_ms": stream.window_ms,
            "parents": [index[parent.id] for parent in stream.parents],
        }
        for stream in streams
    ]


def describe_entry(entry: dict[str, Any]) -> str:
    source = f" from {entry['source']}" if entry.get("source") else ""
    window = f", window {format_ms(entry['window_ms'])}" if entry.get("window_ms") else ""
    parents = ", ".join(f"#{p}" for p in entry["parents"]) or "none"
    return f"{entry['kind']} stream{source} (slide {format_ms(entry['slide_ms'])}{window}; parents {parents})"


def check_matches(
    saved: list[dict[str, Any]],
    saved_batch_ms: int,
    current: list[dict[str, Any]],
    current_batch_ms: int,
    location: str,
) -> None:
    """Raise ``GraphMismatchError`` saying what differs when the graphs are not the same."""
    differences = []
    if saved_batch_ms != current_batch_ms:
        differences.append(
            f"the batch interval was {format_ms(saved_batch_ms)}, the setup function "
            f"now uses {format_ms(current_batch_ms)}"
        )
    if len(saved) != len(current):
        differences.append(
            f"the checkpoint has {len(saved)} streams, the setup function now " f"builds {len(current)}"
        )
    for position, (was, now) in enumerate(zip(saved, current)):
        if was != now:
            differences.append(
                f"stream #{position} was a {describe_entry(was)}, now it is a " f"{describe_entry(now)}"
            )
    for position in range(len(current), len(saved)):
        differences.append(f"stream #{position}, a {describe_entry(saved[position])}, is gone")
    for position in range(len(saved), len(current)):
        differences.append(f"stream #{position}, a {describe_entry(current[position])}, is new")
    if differences:
        listed = differences[:_MAX_LISTED]
        more = len(differences) - len(listed)
        raise GraphMismatchError(
            f"The DStream graph built by the setup function does not match the checkpoint in "
            f"{location}: " + "; ".join(listed) + (f"; and {more} more" if more else "") + ". "
            "Checkpoints hold data for the graph they were taken of, so they cannot be restored "
            f"into another one. To start fresh, delete {location} (or give getOrCreate a new "
            "checkpoint directory); to recover, run the job with its former graph."
        )
