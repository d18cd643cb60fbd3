"""``python -m ember checkpoint inspect|verify LOCATION``: look into checkpoints without a job.

Neither command runs code from the checkpoint: pickled values (only present when a job opted
in) are never loaded; their signatures are checked when the key is given with ``--conf``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ember.checkpoint.directory import (
    CheckpointDirectory,
    LoadedCheckpoint,
    checkpoint_name,
    file_key,
    max_bytes_from,
)
from ember.checkpoint.errors import CheckpointCorruptError, CheckpointError
from ember.checkpoint.framing import FORMAT_VERSION, read_header
from ember.checkpoint.store import open_store
from ember.checkpoint.values import PICKLE_KEY, PicklePolicy, ValueCodec
from ember.conf import SparkConf
from ember.streaming.durations import ms_to_datetime
from ember.streaming.map_with_state import InternalMapWithStateDStream
from ember.streaming.update_state_by_key import StateDStream
from ember.streaming.window_streams import ReducedWindowedDStream

#: the kinds of stream that keep state between batches (checkpointed as state files)
STATEFUL_KINDS = {
    stream.kind for stream in (StateDStream, InternalMapWithStateDStream, ReducedWindowedDStream)
}


def _open(options: argparse.Namespace) -> CheckpointDirectory:
    conf = SparkConf(loadDefaults=False)
    for pair in options.conf:
        key, _, value = pair.partition("=")
        conf.set(key, value)
    policy = PicklePolicy(allowed=False, key=PicklePolicy.from_conf(conf).key)
    key = file_key(conf)
    # without the key, authenticated files are read unchecked, and said so, instead of refused
    return CheckpointDirectory(
        open_store(options.location, conf),
        ValueCodec(policy, unpickle=False),
        key=key,
        max_bytes=max_bytes_from(conf),
        unchecked=[] if key is None else None,
    )


def _check(
    directory: CheckpointDirectory, time_ms: int, run: str | None
) -> tuple[LoadedCheckpoint, list[str]]:
    """Read back one checkpoint with its state files as recovery would; returns it and what
    could not be checked without the key (errors are raised)."""
    notes_before = len(directory.unchecked or [])
    pickles_before = directory.codec.unverified_pickles
    loaded = directory.load(time_ms)
    directory.check_history(loaded.document, run)
    unchecked = (directory.unchecked or [])[notes_before:]
    pickles = directory.codec.unverified_pickles - pickles_before
    if pickles:
        unchecked.append(
            f"{checkpoint_name(time_ms)}: the signatures of {pickles} pickled values were not "
            f"checked; give --conf {PICKLE_KEY}=<key> to check them"
        )
    return loaded, unchecked


def _format_ms(time_ms: int | None) -> str:
    if time_ms is None:
        return "none"
    return f"{time_ms} ({ms_to_datetime(time_ms)})"


def describe(directory: CheckpointDirectory) -> dict[str, Any]:
    """What ``inspect`` shows, as data: every checkpoint's status and the newest readable one."""
    report: dict[str, Any] = {
        "location": directory.store.uri,
        "reads_format_up_to": FORMAT_VERSION,
        "checkpoints": [],
    }
    run = directory.current_run()
    for time_ms in reversed(directory.checkpoint_times()):
        name = checkpoint_name(time_ms)
        entry: dict[str, Any] = {"time": time_ms, "file": name}
        try:
            entry["format"] = read_header(directory.store.read(name), name)[0]
            loaded, unchecked = _check(directory, time_ms, run)
        except (CheckpointError, OSError) as error:
            entry["problem"] = str(error)
        else:
            entry["status"] = "ok" if not unchecked else "read, not checked without the key"
            report.setdefault("newest_readable", _summary(loaded.document, loaded.states))
        report["checkpoints"].append(entry)
    return report


def _summary(document: dict[str, Any], states: dict[int, list[list]]) -> dict[str, Any]:
    streams = []
    for index, node in enumerate(document.get("graph", [])):
        recorded = document.get("streams", {}).get(index, {})
        stream: dict[str, Any] = {"index": index, **node}
        if recorded.get("state"):
            partitions = states.get(index, [])
            stream["state"] = {
                "time": recorded["state"]["time"],
                "file": recorded["state"]["file"],
                "records": sum(map(len, partitions)),
                "partitions": len(partitions),
            }
        if node.get("kind") in STATEFUL_KINDS:
            state_ms = stream.get("state", {}).get("time")
            stream["state_time"] = state_ms
            if state_ms is None or state_ms < document.get("last_completed_ms", 0):
                stream["state_behind_batches"] = _batches_between(state_ms, document)
        if recorded.get("positions"):
            stream["positions"] = {str(t): ranges for t, ranges in sorted(recorded["positions"].items())}
        if recorded.get("wal"):
            stream["write_ahead_log"] = recorded["wal"]
        streams.append(stream)
    return {
        "time": document["time"],
        "format": document.get("format"),
        "written_by": document.get("ember_version"),
        "batch_ms": document.get("batch_ms"),
        "zero_ms": document.get("zero_ms"),
        "last_completed_ms": document.get("last_completed_ms"),
        "pending": document.get("pending", []),
        "streams": streams,
    }


def _batches_between(state_ms: int | None, document: dict[str, Any]) -> int:
    since = document.get("zero_ms", 0) if state_ms is None else state_ms
    return (document.get("last_completed_ms", since) - since) // (document.get("batch_ms") or 1)


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"Checkpoint location: {report['location']}",
        f"Checkpoints: {len(report['checkpoints'])} (this ember reads format versions up to "
        f"{report['reads_format_up_to']})",
    ]
    for entry in report["checkpoints"]:
        status = entry.get("status") or f"UNREADABLE: {entry['problem']}"
        lines.append(f"  {entry['file']}  format {entry.get('format', '?')}  {status}")
    newest = report.get("newest_readable")
    if not report["checkpoints"]:
        lines.append(
            "No checkpoint here: StreamingContext.getOrCreate would start the job fresh "
            "(calling its setup function) and checkpoint into this location."
        )
        return "\n".join(lines)
    if newest is None:
        lines.append("No readable checkpoint: a job recovering here would fail.")
        return "\n".join(lines)
    lines += [
        f"Newest readable checkpoint: batch {_format_ms(newest['time'])}, format "
        f"{newest['format']}, written by ember {newest['written_by']}",
        f"  batch interval: {newest['batch_ms']} ms; zero time: {_format_ms(newest['zero_ms'])}",
        f"  last completed batch: {_format_ms(newest['last_completed_ms'])}",
        f"  batches generated but not completed: {newest['pending'] or 'none'}",
        "  streams (parents first):",
    ]
    for stream in newest["streams"]:
        window = f", window {stream['window_ms']} ms" if stream.get("window_ms") else ""
        source = f" from {stream['source']}" if stream.get("source") else ""
        lines.append(
            f"    #{stream['index']} {stream['kind']}{source} (slide {stream['slide_ms']} ms{window}; "
            f"parents {stream.get('parents') or 'none'})"
        )
        if "state" in stream:
            state = stream["state"]
            lines.append(
                f"      state at {state['time']}: {state['records']} records in "
                f"{state['partitions']} partitions ({state['file']})"
            )
        elif "state_time" in stream:
            lines.append("      state: none checkpointed")
        if stream.get("state_behind_batches"):
            lines.append(
                f"      WARNING: the state is {stream['state_behind_batches']} batches older than the "
                f"last completed batch; recovery re-runs them from their input, which receivers "
                f"without the write-ahead log cannot give back (their records would be lost)"
            )
        positions = stream.get("positions")
        if positions:
            times = list(positions)
            ranges = sum(map(len, positions.values()))
            lines.append(
                f"      positions recorded for {len(times)} batches ({times[0]} to {times[-1]}), "
                f"{ranges} ranges; batch {times[-1]}: {positions[times[-1]]}"
            )
        if "write_ahead_log" in stream:
            lines.append(f"      write-ahead log: {stream['write_ahead_log']}")
    return "\n".join(lines)


def inspect_command(options: argparse.Namespace) -> int:
    report = describe(_open(options))
    print(json.dumps(report, indent=2, default=repr) if options.json else format_report(report))
    return 0 if "newest_readable" in report else 1


def verify_command(options: argparse.Namespace) -> int:
    """Read back every checkpoint and state file as recovery would; exit 1 when any of them is
    damaged or refused, or could not be checked (authenticated or signed, and no key given)."""
    directory = _open(options)
    problems, unchecked = 0, []
    times = directory.checkpoint_times()
    if not times:
        print(f"{directory.store.uri}: no checkpoint found", file=sys.stderr)
        return 1
    try:
        run = directory.current_run()
    except CheckpointError as error:  # the run file's HMAC fails under the given key
        problems, run = 1, None
        print(f"REFUSED {error}")
    for time_ms in times:
        try:
            notes = _check(directory, time_ms, run)[1]
        except CheckpointError as error:
            problems += 1
            print(f"{'DAMAGED' if type(error) is CheckpointCorruptError else 'REFUSED'} {error}")
        else:
            unchecked += notes
            print(f"{'ok     ' if not notes else 'UNCHECKED'} {checkpoint_name(time_ms)}")
    for note in unchecked:
        print(f"  not checked: {note}")
    if problems:
        try:
            usable = directory.load_latest().time_ms
            print(f"{problems} damaged or refused; recovery would fall back to checkpoint-{usable}")
        except CheckpointError as error:
            print(f"{problems} damaged or refused; recovery would fail: {error}")
        return 1
    if unchecked:
        print(
            f"{len(times)} checkpoints read back, but {len(unchecked)} checks could not be made without "
            "the key: NOT verified (recovery refuses a file whose HMAC or signatures fail)"
        )
        return 1
    print(f"all {len(times)} checkpoints verify")
    return 0


def checkpoint_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ember checkpoint",
        description="Inspect or verify a job's checkpoints (a directory, file:// or a plugin "
        "store's URI such as s3://bucket/prefix). Nothing in them is executed.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, summary in [
        ("inspect", "batch times, streams, state sizes, source positions, format"),
        ("verify", "check every file's checksum and format; exit 1 if any is damaged"),
    ]:
        action = actions.add_parser(name, help=summary, description=summary)
        action.add_argument("location", metavar="DIR", help="the checkpoint directory or URI")
        action.add_argument(
            "--conf",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a setting, e.g. spark.ember.checkpoint.pickleKey to check signatures",
        )
        if name == "inspect":
            action.add_argument("--json", action="store_true", help="print the report as JSON")
    options = parser.parse_args(argv)
    try:
        return inspect_command(options) if options.action == "inspect" else verify_command(options)
    except (CheckpointError, ImportError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
