"""The baseline: one Python process applying the workloads' functions in a plain loop."""

from __future__ import annotations

import itertools
import time
from collections import deque

from bench.functions import add, positive, split_line, subtract, to_pair, update_count


def word_count(lines: list[str]) -> dict:
    counts: dict = {}
    for line in lines:
        for word in split_line(line):
            key, value = to_pair(word)
            counts[key] = add(counts[key], value) if key in counts else value
    return counts


def w1(batches: list[list[str]]) -> dict:
    start = time.perf_counter()
    outputs = [len(word_count(batch)) for batch in batches]
    elapsed = time.perf_counter() - start
    lines = sum(map(len, batches))
    return {"lines_per_s": lines / elapsed, "outputs": outputs}


def w1_total(path: str, chunk_lines: int = 100_000) -> dict:
    """W1 as the socket run checks it (words counted over all lines), reading the corpus file
    as a stream, a chunk of lines at a time, as the engines read their socket."""
    start = time.perf_counter()
    total = lines = 0
    with open(path, encoding="utf-8") as source:
        while chunk := list(itertools.islice(source, chunk_lines)):
            total += sum(word_count(chunk).values())
            lines += len(chunk)
    elapsed = time.perf_counter() - start
    return {"lines_per_s": lines / elapsed, "outputs": [total]}


def w2(batches: list[list[str]], empty_batches: int) -> dict:
    state: dict = {}
    times, outputs = [], []
    for batch in batches + [[]] * empty_batches:
        start = time.perf_counter()
        new: dict = {}
        for line in batch:
            for word in split_line(line):
                key, value = to_pair(word)
                new.setdefault(key, []).append(value)
        for key in set(state) | set(new):
            updated = update_count(new.get(key, []), state.get(key))
            if updated is None:
                state.pop(key, None)
            else:
                state[key] = updated
        outputs.append(len(state))
        times.append((time.perf_counter() - start) * 1000)
    return {"batch_ms": times[: len(batches)], "empty_ms": times[len(batches) :], "outputs": outputs}


def w3(batches: list[list[str]], window: int) -> dict:
    """reduceByKeyAndWindow with invFunc: add the entering batch, subtract the leaving one."""
    reduced_batches: deque = deque()
    window_counts: dict = {}
    times, outputs = [], []
    for batch in batches:
        start = time.perf_counter()
        entering = word_count(batch)
        reduced_batches.append(entering)
        if len(reduced_batches) > window:
            for key, value in reduced_batches.popleft().items():
                window_counts[key] = subtract(window_counts[key], value)
        for key, value in entering.items():
            window_counts[key] = add(window_counts[key], value) if key in window_counts else value
        window_counts = dict(filter(positive, window_counts.items()))
        outputs.append(len(window_counts))
        times.append((time.perf_counter() - start) * 1000)
    return {"batch_ms": times, "full_window_ms": times[window:], "outputs": outputs}
