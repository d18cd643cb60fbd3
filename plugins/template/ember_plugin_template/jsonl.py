"""A sink writing each batch as one JSON-lines file, ``<directory>/batch-<ms>.jsonl``.

Each partition writes a hidden part file; the commit concatenates them into a hidden file and
renames it into place, so a batch appears whole and a re-run replaces it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

from ember.plugins import Sink, output_to_sink


class JsonLinesSink(Sink):
    def __init__(self, directory: str):
        self.directory = directory

    def open_batch(self, time_ms: int) -> dict:
        staging = os.path.join(self.directory, f".batch-{time_ms}.parts")
        shutil.rmtree(staging, ignore_errors=True)  # what a failed earlier run left
        os.makedirs(staging)
        return {"time_ms": time_ms, "staging": staging}

    def write_partition(self, batch: dict, partition: int, records: Iterator[Any]) -> str:
        path = os.path.join(batch["staging"], f"{partition:05d}")
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record) + "\n")
        return path

    def commit_batch(self, batch: dict, receipts: list[str]) -> None:
        final = os.path.join(self.directory, f"batch-{batch['time_ms']}.jsonl")
        hidden = os.path.join(self.directory, f".batch-{batch['time_ms']}.jsonl")
        with open(hidden, "w", encoding="utf-8") as out:
            for path in receipts:
                with open(path, encoding="utf-8") as part:
                    shutil.copyfileobj(part, out)
        os.replace(hidden, final)
        shutil.rmtree(batch["staging"], ignore_errors=True)

    def abort_batch(self, batch: dict, error: BaseException) -> None:
        shutil.rmtree(batch["staging"], ignore_errors=True)


def saveAsJsonLines(dstream, directory: str) -> None:
    """What a user calls: write every batch of ``dstream`` under ``directory``."""
    output_to_sink(dstream, "jsonl", directory=directory)
